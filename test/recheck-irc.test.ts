/**
 * The recheck bot's IRC announcements against a real IRC server: Debian's ngircd on 127.0.0.1,
 * TLS with a certificate made for the test, and a listener in every channel.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { IrcAnnouncer } from "../services/recheck/irc";
import { StateStore } from "../services/recheck/state";
import { moreSuggestionsLine, SuggestionAnnouncer, suggestionLine } from "../services/recheck/suggest-irc";
import { suggestion, suggestionsData } from "./support/suggestions";
import { ngircdGate, startNgircd, type IrcServer } from "./support/ngircd";
import { until } from "./support/until";
import { describeGated } from "./support/validators";

describeGated(ngircdGate(), "IRC announcements, against a real ngircd with TLS on loopback", () => {
  let irc: IrcServer;
  const CHANNELS = ["recheck-nova", "recheck-neutron", "recheck-unknown"];
  const channels = {
    "recheck-nova": { projects: ["nova"], events: ["positive"] },
    "recheck-neutron": { projects: ["openstack/neutron"], events: ["positive", "negative"] },
    "recheck-unknown": { projects: ["all"], events: ["negative"] },
  } as const;
  const logs: string[] = [];
  const log = { log: (level: string, message: string, fields?: object) => logs.push(`${level} ${message} ${JSON.stringify(fields)}`) };
  const announcerFor = (nick: string) => new IrcAnnouncer({ server: "127.0.0.1", port: irc.tlsPort, nick, channels, ca: fs.readFileSync(irc.caFile, "utf8"), log });
  const dashboardUrl = "https://recheck.example.org/elastic-recheck/";
  const freshStateFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "recheck-suggest-irc-")), "state.json");
  /** The bot's suggestion announcer of threshold 5, saying its lines on `announcer`, with the state read afresh from `stateFile` (as at a start). */
  const suggestionAnnouncer = (announcer: IrcAnnouncer, stateFile: string) =>
    new SuggestionAnnouncer({ minBuilds: 5, dashboardUrl, say: (text) => announcer.announceToAllProjects("negative", text), state: new StateStore(stateFile, log) });
  /** What the listener received from the time `from` lines were there, without the sender (a restarted bot may take another nick). */
  const receivedSince = (from: number) => irc.received.slice(from).map((line) => line.replace(/^\S+ /, ""));

  beforeAll(async () => {
    irc = await startNgircd(CHANNELS);
  });

  afterAll(() => irc?.stop());

  test("announces over TLS in the channels subscribed to the project and the kind of event only", async () => {
    const announcer = announcerFor("recheckbot");
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

  test("says a suggested signature that reaches the threshold once, in the all-projects negative channel: not again on the next refresh or after a restart", async () => {
    const stateFile = freshStateFile();
    const from = irc.received.length;
    const refresh = (announcer: IrcAnnouncer, at: string) => suggestionAnnouncer(announcer, stateFile).announce(suggestionsData([suggestion("a", 5), suggestion("b", 4)], at));
    const context = { context: () => `received ${JSON.stringify(receivedSince(from))}; the announcers logged: ${logs.join("; ")}` };
    const first = announcerFor("suggestbot");
    first.start();
    try {
      expect(refresh(first, "2026-12-02T12:00:00.000Z")).toBe(1);
      expect(refresh(first, "2026-12-02T12:30:00.000Z")).toBe(0);
      // The server relays one client's lines in order: once this one is here, nothing else came before it.
      first.say("recheck-unknown", "first bot done");
      await until("the first bot's lines", () => receivedSince(from).includes("#recheck-unknown :first bot done"), context);
    } finally {
      first.stop();
    }
    const restarted = announcerFor("suggestbot");
    restarted.start();
    try {
      expect(refresh(restarted, "2026-12-02T13:00:00.000Z")).toBe(0);
      restarted.say("recheck-unknown", "restarted bot done");
      await until("the restarted bot's line", () => receivedSince(from).includes("#recheck-unknown :restarted bot done"), context);
    } finally {
      restarted.stop();
    }
    expect(receivedSince(from)).toEqual([
      `#recheck-unknown :${suggestionLine(suggestion("a", 5), dashboardUrl)}`,
      "#recheck-unknown :first bot done",
      "#recheck-unknown :restarted bot done",
    ]);
  });

  test("says at most three new suggested signatures a refresh and sums up the rest in one line", async () => {
    const from = irc.received.length;
    const announcer = announcerFor("burstbot");
    const many = ["a", "b", "c", "d", "e", "f"].map((name) => suggestion(name, 10));
    announcer.start();
    try {
      suggestionAnnouncer(announcer, freshStateFile()).announce(suggestionsData(many));
      announcer.say("recheck-unknown", "burst done");
      await until("the burst's lines", () => receivedSince(from).includes("#recheck-unknown :burst done"), { context: () => `received ${JSON.stringify(receivedSince(from))}; logged: ${logs.join("; ")}` });
    } finally {
      announcer.stop();
    }
    expect(receivedSince(from)).toEqual([
      ...many.slice(0, 3).map((each) => `#recheck-unknown :${suggestionLine(each, dashboardUrl)}`),
      `#recheck-unknown :${moreSuggestionsLine(3, 5, dashboardUrl)}`,
      "#recheck-unknown :burst done",
    ]);
  });
});
