import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { takeCpuTurn } from "./support/cpu-turns";

describe("test files taking turns with the cores", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "cpu-turns-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("a second holder waits until the first releases its turn", async () => {
    const first = await takeCpuTurn("the first", 10_000, dir);
    expect(first.waitedMs).toBeLessThan(1000);
    let secondHeld = false;
    const second = takeCpuTurn("the second", 20_000, dir).then((turn) => {
      secondHeld = true;
      return turn;
    });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(secondHeld).toBe(false);
    first.release();
    const turn = await second;
    expect(turn.waitedMs).toBeGreaterThanOrEqual(3000);
    expect(fs.readFileSync(path.join(dir, "cpu-heavy-turn.lock", "holder"), "utf8")).toBe("the second");
    turn.release();
    expect(fs.existsSync(path.join(dir, "cpu-heavy-turn.lock"))).toBe(false);
  });

  test("a turn whose holder process has ended is taken over at once", async () => {
    const ended = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    fs.mkdirSync(path.join(dir, "cpu-heavy-turn.lock"));
    fs.writeFileSync(path.join(dir, "cpu-heavy-turn.lock", "pid"), ended.stdout);
    fs.writeFileSync(path.join(dir, "cpu-heavy-turn.lock", "holder"), "a crashed worker");
    const turn = await takeCpuTurn("the next", 10_000, dir);
    expect(turn.waitedMs).toBeLessThan(1000);
    expect(fs.readFileSync(path.join(dir, "cpu-heavy-turn.lock", "pid"), "utf8")).toBe(String(process.pid));
    turn.release();
  });

  test("waiting longer than the bound fails, naming the holder", async () => {
    const first = await takeCpuTurn("the qemu boot test", 10_000, dir);
    await expect(takeCpuTurn("the search cluster test", 100, dir)).rejects.toThrow("the search cluster test waited 0 s for the qemu boot test to finish with the machine's cores");
    first.release();
  });
});
