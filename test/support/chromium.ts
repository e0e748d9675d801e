/**
 * Headless Chromium (Debian `chromium`) opening a page as a visitor would, with the flags that
 * keep it from reaching out on its own: the page's DOM after load, an optional screenshot, and
 * every request the page itself started (from Chromium's network log, where a request started by
 * a page names the page's origin as its initiator; the browser's own background requests name
 * none).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findExecutable, toolGate, type ToolGate } from "./validators";

export const chromiumGate = (env: NodeJS.ProcessEnv = process.env): ToolGate => toolGate("chromium", "chromium", env);

export interface PageVisit {
  /** The DOM after the page loaded, serialized. */
  readonly dom: string;
  /** URLs of the requests the page started (its subresources), by initiator origin. */
  readonly pageRequests: readonly string[];
}

const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--ignore-certificate-errors", "--window-size=1280,900"];

export async function visit(url: string, options: { screenshotFile?: string } = {}): Promise<PageVisit> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chromium-"));
  try {
    const netLog = path.join(dir, "net-log.json");
    const args = [...FLAGS, `--user-data-dir=${path.join(dir, "profile")}`, `--log-net-log=${netLog}`, "--dump-dom",
      ...(options.screenshotFile ? [`--screenshot=${options.screenshotFile}`] : []), url];
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(findExecutable("chromium")!, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, HOME: dir } });
      let out = "";
      let err = "";
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
      child.on("error", reject);
      child.on("close", (status) => resolve({ code: status, stdout: out, stderr: err }));
    });
    if (code !== 0) throw new Error(`chromium exited with ${code}: ${stderr.slice(-2000)}`);
    const log = JSON.parse(fs.readFileSync(netLog, "utf8")) as { constants: { logEventTypes: Record<string, number> }; events: { type: number; params?: { url?: string; initiator?: string } }[] };
    const startJob = log.constants.logEventTypes.URL_REQUEST_START_JOB;
    const origin = new URL(url).origin;
    const pageRequests = log.events
      .filter((event) => event.type === startJob && event.params?.initiator === origin && event.params.url !== undefined)
      .map((event) => event.params!.url!);
    return { dom: stdout, pageRequests };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
