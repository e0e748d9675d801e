import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { EventStream, review, type GerritConnection } from "../services/recheck/gerrit";
import type { Level } from "../services/shared/log";
import { fakeGerritGate, startFakeGerrit, zuulReportEvent, type FakeGerrit } from "./support/fake-gerrit";
import { until } from "./support/until";
import { describeGated } from "./support/validators";

describeGated(fakeGerritGate(), "the bot's Gerrit connection, against a real sshd playing Gerrit", () => {
  let gerrit: FakeGerrit;
  let connection: GerritConnection;
  beforeAll(async () => {
    gerrit = await startFakeGerrit();
    connection = { host: "127.0.0.1", port: gerrit.port, user: gerrit.user, knownHostsFile: gerrit.knownHostsFile, keyFile: gerrit.clientKeyFile };
  });
  afterAll(async () => gerrit?.stop());

  function follow(known: GerritConnection) {
    const events: Record<string, unknown>[] = [];
    const logs: { level: Level; message: string; fields?: Record<string, unknown> }[] = [];
    const stream = new EventStream(known, { onEvent: (event) => events.push(event), log: { log: (level, message, fields) => logs.push({ level, message, fields }) }, minBackoffMs: 200 });
    return { stream, events, logs };
  }

  test("follows stream-events with the pinned host key and receives each event", async () => {
    const { stream, events } = follow(connection);
    const before = gerrit.connections();
    stream.start();
    try {
      await until("the stream-events connection", () => gerrit.connections() > before);
      gerrit.appendEvent(zuulReportEvent(123445, 3, ["- tempest-full-py3 https://zuul.opendev.org/t/openstack/build/4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e : FAILURE in 1h 2m 3s"]));
      const [event] = await until("an event", () => (events.length > 0 ? events : undefined));
      expect(event).toMatchObject({ type: "comment-added", author: { username: "zuul" }, change: { number: 123445 }, patchSet: { number: 3 } });
    } finally {
      stream.stop();
    }
  });

  test("refuses a server whose host key is not the configured one, and keeps retrying", async () => {
    const otherKey = path.join(gerrit.dir, "other_ed25519");
    expect(spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", otherKey]).status).toBe(0);
    const wrongKnownHosts = path.join(gerrit.dir, "wrong_known_hosts");
    fs.writeFileSync(wrongKnownHosts, `[127.0.0.1]:${gerrit.port} ${fs.readFileSync(`${otherKey}.pub`, "utf8").split(" ").slice(0, 2).join(" ")}\n`);
    const { stream, logs } = follow({ ...connection, knownHostsFile: wrongKnownHosts });
    const before = gerrit.connections();
    stream.start();
    try {
      const ended = await until("two refused attempts", () => {
        const refused = logs.filter((entry) => entry.message.startsWith("Gerrit's event stream ended"));
        return refused.length >= 2 ? refused : undefined;
      });
      expect(String(ended[0].fields?.ssh)).toMatch(/Host key verification failed/);
      expect(gerrit.connections()).toBe(before);
    } finally {
      stream.stop();
    }
  });

  test("posts a review whose message arrives exactly, quotes and line breaks included", async () => {
    const message = "I noticed Zuul failed, I think you hit bug(s):\n\n- job: https://bugs.launchpad.net/bugs/1\n\nIf you believe we've correctly identified the failure, leave a 'recheck' \"comment\" $HOME `x`";
    await review(connection, 123445, 3, message);
    expect(gerrit.reviews().at(-1)).toEqual(["123445,3", "--message", message]);
  });
});
