/**
 * The recheck bot's IRC announcements against a real IRC server: Debian's ngircd on 127.0.0.1,
 * TLS with a certificate made for the test, and a listener in every channel.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { IrcAnnouncer } from "../services/recheck/irc";
import { selfSignedCertificate } from "./support/certificates";
import { freePort } from "./support/nginx-live";
import { until } from "./support/until";
import { describeGated, findExecutable, toolGate } from "./support/validators";

describeGated(toolGate("ngircd", "ngircd"), "IRC announcements, against a real ngircd with TLS on loopback", () => {
  let dir: string;
  let server: ChildProcess;
  let listener: net.Socket;
  let tlsPort: number;
  const received: string[] = [];
  const CHANNELS = ["recheck-nova", "recheck-neutron", "recheck-unknown"];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ngircd-"));
    selfSignedCertificate(dir, { commonName: "127.0.0.1", ipAddress: "127.0.0.1" });
    const plainPort = await freePort();
    tlsPort = await freePort();
    fs.writeFileSync(path.join(dir, "ngircd.conf"), [
      "[Global]", "Name = irc.test.example", "Info = recheck test server", "Listen = 127.0.0.1", `Ports = ${plainPort}`,
      "AdminInfo1 = test", "AdminInfo2 = test", "AdminEMail = test@example.org",
      // Networks such as OFTC allow 30 characters; ngircd's default is 9.
      "[Limits]", "MaxNickLength = 30",
      "[Options]", "PAM = no", "Ident = no", "DNS = no",
      "[SSL]", `CertFile = ${dir}/cert.pem`, `KeyFile = ${dir}/key.pem`, `Ports = ${tlsPort}`, "",
    ].join("\n"));
    server = spawn(findExecutable("ngircd")!, ["-n", "-f", path.join(dir, "ngircd.conf")], { stdio: "ignore" });
    // A listener in every channel, on the plain port.
    let buffer = "";
    let joined = 0;
    for (let attempt = 0; ; attempt += 1) {
      const connected = await new Promise<net.Socket | undefined>((resolve) => {
        const socket = net.connect(plainPort, "127.0.0.1", () => resolve(socket));
        socket.once("error", () => resolve(undefined));
      });
      if (connected) {
        listener = connected;
        break;
      }
      if (attempt > 100) throw new Error("ngircd did not start");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    listener.setEncoding("utf8");
    listener.on("data", (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split("\r\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        if (/^\S+ 001 /.test(line)) listener.write(`JOIN ${CHANNELS.map((name) => `#${name}`).join(",")}\r\n`);
        else if (/^\S+ 366 /.test(line)) joined += 1;
        else if (line.startsWith("PING")) listener.write(`PONG ${line.slice(5)}\r\n`);
        else if (/^:\S+ PRIVMSG /.test(line)) received.push(line.replace(/^:(\S+?)!\S+ PRIVMSG /, "$1 "));
      }
    });
    listener.write("NICK listener\r\nUSER listener 0 * :test listener\r\n");
    await until("the listener in every channel", () => joined === CHANNELS.length);
  });

  afterAll(() => {
    listener?.destroy();
    server?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("announces over TLS in the channels subscribed to the project and the kind of event only", async () => {
    const logs: string[] = [];
    const announcer = new IrcAnnouncer({
      server: "127.0.0.1",
      port: tlsPort,
      nick: "recheckbot",
      channels: {
        "recheck-nova": { projects: ["nova"], events: ["positive"] },
        "recheck-neutron": { projects: ["openstack/neutron"], events: ["positive", "negative"] },
        "recheck-unknown": { projects: ["all"], events: ["negative"] },
      },
      ca: fs.readFileSync(path.join(dir, "cert.pem"), "utf8"),
      log: { log: (level, message, fields) => logs.push(`${level} ${message} ${JSON.stringify(fields)}`) },
    });
    announcer.announce("openstack/nova", "positive", "openstack/nova change 2001,1 failed tempest-full-py3 because of: https://bugs.launchpad.net/bugs/1000001");
    announcer.announce("openstack/nova", "negative", "openstack/nova change 2002,1 failed tempest-full-py3 with an unrecognized error");
    announcer.start();
    try {
      // The server relays one client's messages in order: once the last is here, the others are too.
      await until("the second announcement", () => received.length >= 2, { context: () => `the announcer logged: ${logs.join("; ")}` });
      expect(received).toEqual([
        "recheckbot #recheck-nova :openstack/nova change 2001,1 failed tempest-full-py3 because of: https://bugs.launchpad.net/bugs/1000001",
        "recheckbot #recheck-unknown :openstack/nova change 2002,1 failed tempest-full-py3 with an unrecognized error",
      ]);
    } finally {
      announcer.stop();
    }
  });
});
