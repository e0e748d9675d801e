import { renderSystemdUnit } from "../lib/cloud-init/systemd-unit";

describe("renderSystemdUnit", () => {
  test("renders sections in the given order, a blank line between them and a trailing newline", () => {
    const text = renderSystemdUnit({
      Unit: { Description: "Log ingestion worker", After: "network-online.target" },
      Service: { ExecStart: "/usr/local/bin/worker" },
      Install: { WantedBy: "multi-user.target" },
    });
    expect(text).toBe(
      [
        "[Unit]",
        "Description=Log ingestion worker",
        "After=network-online.target",
        "",
        "[Service]",
        "ExecStart=/usr/local/bin/worker",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
      ].join("\n"),
    );
  });

  test("renders a list as repeated keys, an empty element as the resetting `Key=`", () => {
    const text = renderSystemdUnit({ Service: { ExecStart: ["", "/usr/bin/worker --verbose"], Environment: ["A=1", "B=2"] } });
    expect(text).toBe("[Service]\nExecStart=\nExecStart=/usr/bin/worker --verbose\nEnvironment=A=1\nEnvironment=B=2\n");
  });

  test("renders booleans as yes/no and numbers in decimal", () => {
    const text = renderSystemdUnit({ Timer: { Persistent: true, RandomizedDelaySec: 30 }, Service: { RemainAfterExit: false } });
    expect(text).toBe("[Timer]\nPersistent=yes\nRandomizedDelaySec=30\n\n[Service]\nRemainAfterExit=no\n");
  });

  test("renders a section without keys as its header alone", () => {
    expect(renderSystemdUnit({ Unit: {}, Service: { Type: "oneshot" } })).toBe("[Unit]\n\n[Service]\nType=oneshot\n");
  });

  test("fails on a value containing a newline, naming the key and the value", () => {
    expect(() => renderSystemdUnit({ Service: { ExecStart: "/bin/echo a\nBogus=1" } })).toThrow(
      'systemd [Service] ExecStart: value "/bin/echo a\\nBogus=1" contains a newline',
    );
  });

  test("fails on a list element containing a carriage return", () => {
    expect(() => renderSystemdUnit({ Service: { Environment: ["A=1", "B=2\r"] } })).toThrow('Environment: value "B=2\\r" contains a newline');
  });

  test("fails on a number that is not finite", () => {
    expect(() => renderSystemdUnit({ Service: { LimitNOFILE: Number.POSITIVE_INFINITY } })).toThrow(
      "systemd [Service] LimitNOFILE: got Infinity; expected a finite number",
    );
  });

  test("fails on a key that systemd cannot parse", () => {
    expect(() => renderSystemdUnit({ Service: { "Exec Start": "/bin/true" } })).toThrow('invalid systemd key "Exec Start" in [Service]');
  });

  test("fails on a section name given with brackets", () => {
    expect(() => renderSystemdUnit({ "[Service]": { ExecStart: "/bin/true" } })).toThrow('invalid systemd section name "[Service]"');
  });

  test("fails on a unit without sections", () => {
    expect(() => renderSystemdUnit({})).toThrow("a systemd unit needs at least one section");
  });
});
