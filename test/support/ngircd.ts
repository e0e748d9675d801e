/**
 * A real IRC server for the tests: Debian's ngircd on 127.0.0.1, TLS with a certificate made for
 * the run (and a plain port), with a listener joined to the given channels that records every
 * PRIVMSG it sees as `<nick> #<channel> :<text>`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { selfSignedCertificate } from "./certificates";
import { freePort } from "./nginx-live";
import { until } from "./until";
import { findExecutable, toolGate, type ToolGate } from "./validators";

export const ngircdGate = (): ToolGate => toolGate("ngircd", "ngircd");

export interface IrcServer {
  readonly tlsPort: number;
  /** The PEM file of the server's certificate, to trust. */
  readonly caFile: string;
  /** What the listener received, in order. */
  readonly received: string[];
  stop(): void;
}

export async function startNgircd(channels: readonly string[]): Promise<IrcServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ngircd-"));
  selfSignedCertificate(dir, { commonName: "127.0.0.1", ipAddress: "127.0.0.1" });
  const plainPort = await freePort();
  const tlsPort = await freePort();
  fs.writeFileSync(path.join(dir, "ngircd.conf"), [
    "[Global]", "Name = irc.test.example", "Info = recheck test server", "Listen = 127.0.0.1", `Ports = ${plainPort}`,
    "AdminInfo1 = test", "AdminInfo2 = test", "AdminEMail = test@example.org",
    // Networks such as OFTC allow 30 characters; ngircd's default is 9.
    "[Limits]", "MaxNickLength = 30",
    "[Options]", "PAM = no", "Ident = no", "DNS = no",
    "[SSL]", `CertFile = ${dir}/cert.pem`, `KeyFile = ${dir}/key.pem`, `Ports = ${tlsPort}`, "",
  ].join("\n"));
  const server: ChildProcess = spawn(findExecutable("ngircd")!, ["-n", "-f", path.join(dir, "ngircd.conf")], { stdio: ["ignore", "pipe", "pipe"] });
  // What ngircd printed and how it ended, for the error when it never listens (a port taken
  // between freePort and its bind, a bad config) instead of a bare timeout.
  let output = "";
  server.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  server.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  let exit: string | undefined;
  server.once("exit", (code, signal) => (exit = `exited with ${signal ?? code}`));
  const stop = () => {
    listener?.destroy();
    server.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  let listener: net.Socket | undefined;
  try {
    // A loaded 2-core machine can take many seconds to start it: the deadline is generous.
    const deadline = Date.now() + 45_000;
    while (listener === undefined) {
      listener = await new Promise<net.Socket | undefined>((resolve) => {
        const socket = net.connect(plainPort, "127.0.0.1", () => resolve(socket));
        socket.once("error", () => resolve(undefined));
      });
      if (listener !== undefined) break;
      if (exit !== undefined || Date.now() > deadline) {
        throw new Error(`ngircd did not listen on 127.0.0.1:${plainPort} (${exit ?? "still running after 45 s"}); it printed:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const received: string[] = [];
    let buffer = "";
    let joined = 0;
    const socket = listener;
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split("\r\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        if (/^\S+ 001 /.test(line)) socket.write(`JOIN ${channels.map((name) => `#${name}`).join(",")}\r\n`);
        else if (/^\S+ 366 /.test(line)) joined += 1;
        else if (line.startsWith("PING")) socket.write(`PONG ${line.slice(5)}\r\n`);
        else if (/^:\S+ PRIVMSG /.test(line)) received.push(line.replace(/^:(\S+?)!\S+ PRIVMSG /, "$1 "));
      }
    });
    socket.write("NICK listener\r\nUSER listener 0 * :test listener\r\n");
    await until("the listener in every channel", () => joined === channels.length);
    return { tlsPort, caFile: path.join(dir, "cert.pem"), received, stop };
  } catch (error) {
    stop();
    throw error;
  }
}
