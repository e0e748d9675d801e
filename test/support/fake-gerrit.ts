/**
 * Gerrit's SSH side for the recheck tests, played by a real OpenSSH sshd on 127.0.0.1 with a
 * forced command: `gerrit stream-events` prints the events appended to a file after the client
 * connected (as Gerrit prints only new events), `gerrit review` records its arguments. The
 * command line is split by Python's shlex, with POSIX shell rules, as Gerrit splits it. Host and
 * client keys are generated in a private temporary folder for each server.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { allGates, findExecutable, toolGate, type ToolGate } from "./validators";

/** sshd and ssh-keygen (openssh-server, which brings openssh-client), and python3 for the forced command. */
export function fakeGerritGate(env: NodeJS.ProcessEnv = process.env): ToolGate {
  return allGates(toolGate("sshd", "openssh-server", env), toolGate("ssh", "openssh-client", env), toolGate("python3", "python3", env));
}

const FORCED_COMMAND = `import json, os, shlex, sys, time
state = sys.argv[1]
words = shlex.split(os.environ.get("SSH_ORIGINAL_COMMAND", ""))
def record(name, value):
    with open(os.path.join(state, name), "a") as f:
        f.write(json.dumps(value) + "\\n")
if words[:2] == ["gerrit", "stream-events"]:
    events = os.path.join(state, "events.jsonl")
    position = os.path.getsize(events)
    record("connections.jsonl", words)
    while True:
        with open(events, "rb") as f:
            f.seek(position)
            chunk = f.read()
        complete = chunk[: chunk.rfind(b"\\n") + 1]
        if complete:
            sys.stdout.buffer.write(complete)
            sys.stdout.flush()
            position += len(complete)
        time.sleep(0.05)
elif words[:2] == ["gerrit", "review"]:
    record("reviews.jsonl", words[2:])
else:
    sys.stderr.write("fake gerrit: unknown command %r\\n" % (words,))
    sys.exit(1)
`;

export interface FakeGerrit {
  readonly port: number;
  readonly user: string;
  /** A known_hosts file with the server's real host key. */
  readonly knownHostsFile: string;
  /** The bot's private key, which the server accepts. */
  readonly clientKeyFile: string;
  readonly dir: string;
  /** Appends an event for every connected stream-events client. */
  appendEvent(event: object): void;
  /** The arguments of every `gerrit review` received, after `review`. */
  reviews(): string[][];
  /** How many stream-events connections were made. */
  connections(): number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function keygen(file: string): string {
  const result = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", file], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`ssh-keygen failed: ${result.stderr}`);
  return fs.readFileSync(`${file}.pub`, "utf8").trim();
}

const readLines = (file: string): string[] => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter((line) => line !== "") : []);

async function waitForPort(port: number, sshd: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (sshd.exitCode !== null) throw new Error(`sshd exited with ${sshd.exitCode}: ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`sshd did not listen on ${port}: ${log()}`);
}

export async function startFakeGerrit(): Promise<FakeGerrit> {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "fake-gerrit-")));
  const hostKey = keygen(path.join(dir, "host_ed25519"));
  const clientKey = keygen(path.join(dir, "client_ed25519"));
  fs.writeFileSync(path.join(dir, "authorized_keys"), `${clientKey}\n`);
  fs.writeFileSync(path.join(dir, "gerrit.py"), FORCED_COMMAND);
  fs.writeFileSync(path.join(dir, "events.jsonl"), "");
  const port = await freePort();
  fs.writeFileSync(path.join(dir, "known_hosts"), `[127.0.0.1]:${port} ${hostKey.split(" ").slice(0, 2).join(" ")}\n`);
  const python = findExecutable("python3")!;
  fs.writeFileSync(
    path.join(dir, "sshd_config"),
    [
      `Port ${port}`, "ListenAddress 127.0.0.1", `HostKey ${dir}/host_ed25519`, `PidFile ${dir}/sshd.pid`,
      `AuthorizedKeysFile ${dir}/authorized_keys`, "StrictModes no", "UsePAM no", "PasswordAuthentication no",
      "KbdInteractiveAuthentication no", "PubkeyAuthentication yes", "PermitRootLogin prohibit-password",
      "AllowTcpForwarding no", "X11Forwarding no", "PrintMotd no", "LogLevel ERROR",
      `ForceCommand ${python} ${dir}/gerrit.py ${dir}`,
    ].join("\n") + "\n",
  );
  // As root, sshd needs its privilege separation folder, which its systemd unit creates.
  if (process.getuid?.() === 0) fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  let log = "";
  const sshd = spawn(findExecutable("sshd")!, ["-D", "-e", "-f", path.join(dir, "sshd_config")], { stdio: ["ignore", "ignore", "pipe"] });
  sshd.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  await waitForPort(port, sshd, () => log);
  return {
    port,
    user: os.userInfo().username,
    knownHostsFile: path.join(dir, "known_hosts"),
    clientKeyFile: path.join(dir, "client_ed25519"),
    dir,
    appendEvent: (event) => fs.appendFileSync(path.join(dir, "events.jsonl"), `${JSON.stringify(event)}\n`),
    reviews: () => readLines(path.join(dir, "reviews.jsonl")).map((line) => JSON.parse(line) as string[]),
    connections: () => readLines(path.join(dir, "connections.jsonl")).length,
    stop: async () => {
      if (sshd.exitCode === null) {
        const exited = new Promise((resolve) => sshd.once("exit", resolve));
        sshd.kill();
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A comment-added event as Gerrit prints it, with a Zuul report as its comment. */
export function zuulReportEvent(change: number, patchset: number, jobLines: readonly string[], author = "zuul"): object {
  return {
    author: { name: "Zuul", email: "zuul@example.org", username: author },
    approvals: [{ type: "Verified", description: "Verified", value: "-1", oldValue: "0" }],
    comment: `Patch Set ${patchset}: Verified-1\n\nBuild failed (check pipeline).  For information on how to proceed, see\nhttps://docs.opendev.org/opendev/infra-manual/latest/developers.html#automated-testing\n\n\n${jobLines.join("\n")}\n`,
    patchSet: {
      number: patchset, revision: "3f2a9c1d4e5b6a7980c1d2e3f4a5b6c7d8e9f0a1", parents: ["a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"],
      ref: `refs/changes/${String(change).slice(-2)}/${change}/${patchset}`, uploader: { name: "Dev", email: "dev@example.org", username: "dev" },
      createdOn: 1764400000, author: { name: "Dev", email: "dev@example.org", username: "dev" }, kind: "REWORK", sizeInsertions: 12, sizeDeletions: -3,
    },
    change: {
      project: "openstack/nova", branch: "master", id: "I0123456789abcdef0123456789abcdef01234567", number: change, subject: "Fix the thing",
      owner: { name: "Dev", email: "dev@example.org", username: "dev" }, url: `https://review.example.org/c/openstack/nova/+/${change}`,
      commitMessage: "Fix the thing\n\nChange-Id: I0123456789abcdef0123456789abcdef01234567\n", createdOn: 1764300000, status: "NEW",
    },
    project: "openstack/nova",
    refName: "refs/heads/master",
    changeKey: { id: "I0123456789abcdef0123456789abcdef01234567" },
    type: "comment-added",
    eventCreatedOn: 1764400500,
  };
}
