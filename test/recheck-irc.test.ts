/**
 * The recheck bot's IRC announcements against a real IRC server: Debian's ngircd on 127.0.0.1,
 * TLS with a certificate made for the test, and a listener in every channel.
 */
import * as fs from "node:fs";
import { IrcAnnouncer } from "../services/recheck/irc";
import { ngircdGate, startNgircd, type IrcServer } from "./support/ngircd";
import { until } from "./support/until";
import { describeGated } from "./support/validators";

describeGated(ngircdGate(), "IRC announcements, against a real ngircd with TLS on loopback", () => {
  let irc: IrcServer;
  const CHANNELS = ["recheck-nova", "recheck-neutron", "recheck-unknown"];

  beforeAll(async () => {
    irc = await startNgircd(CHANNELS);
  });

  afterAll(() => irc?.stop());

  test("announces over TLS in the channels subscribed to the project and the kind of event only", async () => {
    const logs: string[] = [];
    const announcer = new IrcAnnouncer({
      server: "127.0.0.1",
      port: irc.tlsPort,
      nick: "recheckbot",
      channels: {
        "recheck-nova": { projects: ["nova"], events: ["positive"] },
        "recheck-neutron": { projects: ["openstack/neutron"], events: ["positive", "negative"] },
        "recheck-unknown": { projects: ["all"], events: ["negative"] },
      },
      ca: fs.readFileSync(irc.caFile, "utf8"),
      log: { log: (level, message, fields) => logs.push(`${level} ${message} ${JSON.stringify(fields)}`) },
    });
    announcer.announce("openstack/nova", "positive", "openstack/nova change 2001,1 failed tempest-full-py3 because of: https://bugs.launchpad.net/bugs/1000001");
    announcer.announce("openstack/nova", "negative", "openstack/nova change 2002,1 failed tempest-full-py3 with an unrecognized error");
    announcer.start();
    try {
      // The server relays one client's messages in order: once the last is here, the others are too.
      await until("the second announcement", () => irc.received.length >= 2, { context: () => `the announcer logged: ${logs.join("; ")}` });
      expect(irc.received).toEqual([
        "recheckbot #recheck-nova :openstack/nova change 2001,1 failed tempest-full-py3 because of: https://bugs.launchpad.net/bugs/1000001",
        "recheckbot #recheck-unknown :openstack/nova change 2002,1 failed tempest-full-py3 with an unrecognized error",
      ]);
    } finally {
      announcer.stop();
    }
  });
});
