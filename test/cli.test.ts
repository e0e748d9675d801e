/**
 * Every command of scripts/ answers --help with its usage (exit 0) and a mistake with one message
 * and a non-zero exit, never a stack trace: the shared behaviour of lib/cli.ts, then each script
 * run for real (in parallel: each start of tsx costs about a second).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CANCELLED_EXIT_CODE, CommandError, runCommand, UsageError, wantsHelp, type Command } from "../lib/cli";
import { copyExampleConfig, repoRoot } from "./support/config-fixture";
import { runProcess, runScript, type ScriptRun as Run } from "./support/scripts";
import { terraformGate } from "./support/terraform";
import { describeGated, toolGate } from "./support/validators";

const tsxCli = path.join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs");

const STACK_FRAME = /^\s+at /m;

async function collect(command: Command, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(command, argv, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

const failingWith = (error: unknown): Command => ({
  name: "example",
  usage: "usage: npm run example -- <thing>",
  run: () => {
    throw error;
  },
});

describe("runCommand", () => {
  test("prints the usage on --help or -h before any `--`, and exits 0 without running the command", async () => {
    const result = await collect(failingWith(new Error("must not run")), ["x", "--help"]);
    expect(result).toEqual({ code: 0, out: ["usage: npm run example -- <thing>"], err: [] });
    expect(wantsHelp(["-h"])).toBe(true);
    expect(wantsHelp(["--", "--help"])).toBe(false);
  });

  test("fails a usage error with exit 2: one line, then where the usage is", async () => {
    expect(await collect(failingWith(new UsageError("expected a thing")), [])).toEqual({
      code: 2,
      out: [],
      err: ["example: expected a thing", "Run `npm run example -- --help` for usage."],
    });
  });

  test("fails a command error with its own exit code and message only", async () => {
    expect(await collect(failingWith(new CommandError("cdktf.out/stacks/x not found; run `npm run synth` first", 3)), [])).toEqual({
      code: 3,
      out: [],
      err: ["example: cdktf.out/stacks/x not found; run `npm run synth` first"],
    });
  });

  test("fails a prompt closed by Ctrl+D or Ctrl+C (readline's AbortError) with exit 130 and one line", async () => {
    const abort = Object.assign(new Error("The operation was aborted"), { name: "AbortError", code: "ABORT_ERR" });
    expect(await collect(failingWith(abort), [])).toEqual({ code: CANCELLED_EXIT_CODE, out: [], err: ["\nexample: cancelled; nothing was written."] });
  });

  test("fails an unexpected error with exit 1 and its message, without the stack trace", async () => {
    const previous = process.env.DEBUG;
    delete process.env.DEBUG;
    try {
      const result = await collect(failingWith(new TypeError("x is undefined")), []);
      expect(result.code).toBe(1);
      expect(result.err.join("\n")).not.toMatch(STACK_FRAME);
      expect(result.err[0]).toBe("example: unexpected error: x is undefined");
    } finally {
      if (previous !== undefined) process.env.DEBUG = previous;
    }
  });
});

describe("every command of scripts/", () => {
  const commands = ["check-queries", "new-cloud", "preflight", "refresh-provider-schema", "replace-server", "review", "smoke", "ssh-config"];
  let help: Record<string, Run>;
  let unknownFlag: Record<string, Run>;

  beforeAll(async () => {
    // Four at a time: more only queue for the two cores.
    const jobs = commands.flatMap((name) => [() => runScript(name, ["--help"]), () => runScript(name, ["--no-such-flag"])]);
    const runs: Run[] = [];
    for (let start = 0; start < jobs.length; start += 4) runs.push(...(await Promise.all(jobs.slice(start, start + 4).map((job) => job()))));
    help = Object.fromEntries(commands.map((name, index) => [name, runs[2 * index]]));
    unknownFlag = Object.fromEntries(commands.map((name, index) => [name, runs[2 * index + 1]]));
  }, 120_000);

  test("is every script but the generators and the bench (with its parts), each run by `npm run <name>`", () => {
    const scripts = fs.readdirSync(path.join(repoRoot, "scripts")).map((file) => file.replace(/\.ts$/, ""));
    // synth.js, plain JavaScript, has its command-line tests in synth.test.ts.
    expect(scripts.filter((name) => !/^(write-|bench(-[a-z]+)?$|synth\.js$)/.test(name)).sort()).toEqual(commands);
    const npmScripts = (JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    for (const name of commands) expect(npmScripts[name]).toMatch(new RegExp(`(^|\\s)tsx scripts/${name}\\.ts$`));
  });

  test.each(["check-queries", "new-cloud", "preflight", "refresh-provider-schema", "replace-server", "review", "smoke", "ssh-config"])(
    "%s --help prints its usage and exits 0",
    (name) => {
      expect(help[name].stderr).toBe("");
      expect(help[name].stdout).toMatch(new RegExp(`^usage: npm run ${name}\\b`));
      expect(help[name].status).toBe(0);
    },
  );

  test.each(["check-queries", "new-cloud", "preflight", "refresh-provider-schema", "replace-server", "review", "smoke", "ssh-config"])(
    "%s fails an unknown flag with exit 2 and two lines, no stack trace",
    (name) => {
      expect(unknownFlag[name].stdout).toBe("");
      const lines = unknownFlag[name].stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(new RegExp(`^${name}: Unknown option '--no-such-flag'(\\.|$)`));
      expect(lines[1]).toBe(`Run \`npm run ${name} -- --help\` for usage.`);
      expect(unknownFlag[name].status).toBe(2);
    },
  );

  test("smoke and replace-server before synth fail with one line naming `npm run synth`", async () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-outdir-"));
    try {
      const [smoke, replace] = await Promise.all([
        runScript("smoke", ["production"], { CDKTF_OUTDIR: outdir }),
        runScript("replace-server", ["production", "production-search-data-1"], { CDKTF_OUTDIR: outdir }),
      ]);
      expect(smoke.stderr).toBe(`smoke: ${outdir}/stacks/production/cdk.tf.json not found; run \`npm run synth\` and deploy the stack first\n`);
      expect(smoke.status).toBe(2);
      expect(replace.stderr).toBe(`replace-server: ${outdir}/stacks/production/cdk.tf.json not found; run \`npm run synth\` first (stacks: none synthesized).\n`);
      expect(replace.status).toBe(1);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }, 60_000);

  describeGated(terraformGate, "with Terraform", () => {
    test("smoke on a synthesized stack that was never deployed fails with Terraform's reason, not the usage (exit 2)", async () => {
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-outdir-"));
      try {
        fs.mkdirSync(path.join(outdir, "stacks", "evaluation"), { recursive: true });
        const stack = { terraform: { backend: { local: { path: path.join(outdir, "evaluation.tfstate") } } } };
        fs.writeFileSync(path.join(outdir, "stacks", "evaluation", "cdk.tf.json"), JSON.stringify(stack));
        const result = await runScript("smoke", ["evaluation"], { CDKTF_OUTDIR: outdir });
        expect(result.status).toBe(2);
        expect(result.stderr).toMatch(/^smoke: cannot read the outputs of evaluation: has it been deployed from this folder \(`npx cdktf deploy evaluation`\)\?/);
        expect(result.stderr).toContain("Backend initialization required");
        expect(result.stderr).not.toContain("usage:");
        expect(result.stderr).not.toMatch(/[╷│╵]/);
      } finally {
        fs.rmSync(outdir, { recursive: true, force: true });
      }
    }, 60_000);
  });
});

describeGated(toolGate("python3", "python3"), "new-cloud at a terminal prompt (a pseudo-terminal from Python's pty)", () => {
  /** Starts new-cloud on a pseudo-terminal, waits for its first question, sends `keys`, returns what it printed and its exit code. */
  const atPrompt = async (configDir: string, keys: string): Promise<{ status: number | null; output: string }> => {
    const driver = [
      "import os, pty, sys, time",
      "pid, fd = pty.fork()",
      "if pid == 0:",
      "    os.execv(sys.argv[1], sys.argv[1:])",
      "out = b''",
      "deadline = time.time() + 30",
      "while b'Entry of clouds.yaml' not in out and time.time() < deadline:",
      "    out += os.read(fd, 4096)",
      "os.write(fd, sys.stdin.buffer.read())",
      "while True:",
      "    try:",
      "        chunk = os.read(fd, 4096)",
      "    except OSError:",
      "        break",
      "    if not chunk:",
      "        break",
      "    out += chunk",
      "_, status = os.waitpid(pid, 0)",
      "sys.stdout.buffer.write(out)",
      "sys.exit(os.waitstatus_to_exitcode(status))",
    ].join("\n");
    const { status, stdout } = await runProcess("python3", ["-c", driver, process.execPath, tsxCli, path.join(repoRoot, "scripts", "new-cloud.ts"), "sponsor-x"], {
      cwd: repoRoot,
      env: { ...process.env, CONFIG_DIR: configDir },
      input: keys,
      timeoutMs: 40_000,
    });
    return { status, output: stdout };
  };

  test.each([
    ["Ctrl+D", "\u0004"],
    ["Ctrl+C", "\u0003"],
  ])("fails %s at a prompt with one line and exit 130, writing nothing", async (_label, key) => {
    const dir = copyExampleConfig();
    try {
      const before = fs.readdirSync(path.join(dir, "clouds"));
      const result = await atPrompt(dir, key);
      expect(result.output).toContain("new-cloud: cancelled; nothing was written.");
      expect(result.output).not.toMatch(STACK_FRAME);
      expect(result.output).not.toContain("AbortError");
      expect(result.status).toBe(CANCELLED_EXIT_CODE);
      expect(fs.readdirSync(path.join(dir, "clouds"))).toEqual(before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
