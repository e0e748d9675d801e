import { expandGrok } from "../lib/ingestion/grok";
import { ERROR_FIELDS, GROK_PATTERNS, ingestPipelineBody, serviceFields, type GrokProcessor } from "../lib/ingestion/ingest-pipeline";
import { CONSOLE_ERROR_PATTERN, CONSOLE_KEYWORDS, ERROR_GROK_PATTERNS, OSLO_ERROR_PATTERN } from "../lib/signatures/error-lines";
import { ERROR_TEXT_MAX_CHARS, fingerprintOf, normalizeError, NORMALIZATION_RULES, PLACEHOLDERS } from "../lib/signatures/normalize";
import { generateLogs } from "./fixtures/ci-logs";
import { ERROR_LINE_CASES } from "./fixtures/error-lines";
import { GrokMatcher, loadOniguruma } from "./support/grok";

const groks = ERROR_FIELDS.processors.flatMap((processor) => ("grok" in processor ? [processor.grok] : [])) as GrokProcessor[];
let oniguruma: { oslo: GrokMatcher; console: GrokMatcher };

beforeAll(async () => {
  await loadOniguruma();
  const definitions = { ...GROK_PATTERNS, ...ERROR_GROK_PATTERNS };
  oniguruma = { oslo: new GrokMatcher([OSLO_ERROR_PATTERN], definitions), console: new GrokMatcher([CONSOLE_ERROR_PATTERN], definitions) };
});

/** The error text grok finds in the cluster (Oniguruma), by the processor the line's level selects. */
function clusterErrorText(message: string): string | undefined {
  const { loglevel } = serviceFields(message.split("\n", 1)[0]);
  if (loglevel === "ERROR" || loglevel === "CRITICAL") return oniguruma.oslo.match(message)?.error_normalized as string | undefined;
  if (loglevel !== undefined || !CONSOLE_KEYWORDS.some((keyword) => message.includes(keyword))) return undefined;
  return oniguruma.console.match(message)?.error_normalized as string | undefined;
}

/** Every message of generated devstack and tempest builds, and the cases. */
function corpus(): string[] {
  const generated = [1, 2, 3].flatMap((seed) => generateLogs(seed, Date.UTC(2026, 4, 14, 10)).flatMap((file) => file.messages.map((message) => message.text)));
  return [...ERROR_LINE_CASES.map((item) => item.message), ...generated];
}

describe("error-like messages and their normalized text", () => {
  test.each(ERROR_LINE_CASES.map((item) => [item.what, item] as const))("%s", (_what, item) => {
    expect(serviceFields(item.message).error_normalized).toBe(item.normalized);
  });

  test("a fingerprint is set exactly when the normalized text is, and is the first 16 hex digits of its SHA-1", () => {
    for (const message of corpus()) {
      const fields = serviceFields(message);
      expect(fields.error_fingerprint).toBe(fields.error_normalized === undefined ? undefined : fingerprintOf(fields.error_normalized as string));
    }
    expect(fingerprintOf("nova.exception.NoValidHost: No valid host was found.")).toBe("9ec2770b3ca893e9");
  });

  test("the same error in two builds has one fingerprint; another error has another", () => {
    const line = (uuid: string, host: string, ms: string) =>
      `May 14 10:21:33.${ms} ${host} devstack@n-cpu.service[${ms}]: ERROR nova.compute.manager [None req-${uuid} admin admin] [instance: ${uuid}] Failed to allocate the network(s) on 10.0.${ms.slice(0, 1)}.7, not rescheduling.`;
    const first = serviceFields(line("0c7b1a2e-9f3d-4b5e-8a6c-2d4e6f8a0b1c", "np0037543210", "123456"));
    const second = serviceFields(line("11111111-2222-4333-8444-555555555555", "np0037999999", "654321"));
    expect(first.error_fingerprint).toBeDefined();
    expect(second.error_fingerprint).toBe(first.error_fingerprint);
    const other = serviceFields("2024-05-14 10:21:34.456 1 ERROR nova.compute.manager [-] Failed to allocate the network(s), rescheduling.");
    expect(other.error_fingerprint).not.toBe(first.error_fingerprint);
  });

  test("the grok patterns find the same error text in Oniguruma (the cluster's grok) as in JavaScript", () => {
    const messages = corpus();
    let errorLike = 0;
    for (const message of messages) {
      const text = clusterErrorText(message);
      const fields = serviceFields(message);
      expect([message, text === undefined ? undefined : normalizeError(text)]).toEqual([message, fields.error_normalized]);
      if (text !== undefined) errorLike += 1;
    }
    // The corpus has both kinds, plenty of each.
    expect(errorLike).toBeGreaterThan(50);
    expect(messages.length - errorLike).toBeGreaterThan(500);
  });

  test("every message the console pattern matches contains one of the keywords its processor's condition checks", () => {
    const definitions = { ...GROK_PATTERNS, ...ERROR_GROK_PATTERNS };
    const withoutKeywords = new GrokMatcher([CONSOLE_ERROR_PATTERN], definitions);
    for (const message of corpus()) {
      if (withoutKeywords.match(message) !== undefined) expect(CONSOLE_KEYWORDS.some((keyword) => message.includes(keyword))).toBe(true);
    }
  });

  test("cuts the error text at the limit, hard when there is no space", () => {
    const text = serviceFields(`FAILED!${"x".repeat(1000)}`).error_normalized as string;
    expect(text).toBe(`FAILED!${"x".repeat(ERROR_TEXT_MAX_CHARS - 7)}`);
    expect(clusterErrorText(`FAILED!${"x".repeat(1000)}`)).toBe(text);
  });

  test("counts characters as code points, as Oniguruma and Java do", () => {
    const message = `controller | Error: ${"✓😀 ".repeat(120)}`;
    expect(serviceFields(message).error_normalized).toBe(normalizeError(clusterErrorText(message)!));
  });
});

describe("normalization rules", () => {
  test.each([
    ["an ISO time with a zone", "at 2024-05-14T10:21:33.123+00:00 done", "at <time> done"],
    ["a uwsgi date", "[Tue May 14 10:21:33 2024] GET /", "[<time>] GET /"],
    ["a uuid in upper case", "id 0C7B1A2E-9F3D-4B5E-8A6C-2D4E6F8A0B1C gone", "id <uuid> gone"],
    ["a 32-digit hex id", "build 7f3a9b2c1d0e4f5a8b6c9d0e1f2a3b4c", "build <hex>"],
    ["a tap device and an instance name", "tap6a0c1c2d-3f on instance-0000001a", "tap<hex>-<n>f on instance-<hex>"],
    ["numbers, but not versions or identifiers", "py3 v2.1 test_2 x86_64 took 12.5 s for 3 of 40 (HTTP 503)", "py3 v2.1 test_2 x86_64 took <n> s for <n> of <n> (HTTP <n>)"],
    ["tempest's random resource names", "tempest-ServersTestJSON-1829383892-project", "tempest-ServersTestJSON-<n>-project"],
    ["a port after an address", "connect to 192.168.0.1:5672 failed", "connect to <ip>:<n> failed"],
    ["an IPv6 address, not a double colon alone", "fd00::1 and fe80::f816:3eff:fe12:3456 :: waited", "<ip> and <ip> :: waited"],
    ["a /var/tmp path", "cannot open /var/tmp/abc123/x.lock: no", "cannot open <tmp>: no"],
  ])("%s", (_what, text, normalized) => {
    expect(normalizeError(text)).toBe(normalized);
  });

  test("a placeholder is never matched by a rule", () => {
    for (const placeholder of PLACEHOLDERS) {
      for (const rule of NORMALIZATION_RULES) expect([rule.name, placeholder.replace(new RegExp(rule.pattern, "gu"), "#")]).toEqual([rule.name, placeholder]);
    }
  });

  test("patterns avoid what Java and JavaScript read differently", () => {
    for (const rule of NORMALIZATION_RULES) expect([rule.name, /\\[swbSWB]|\$|\(\?[a-z]/.test(rule.pattern)]).toEqual([rule.name, false]);
    for (const definition of Object.values(ERROR_GROK_PATTERNS)) expect(/\\[swbSWB]|\$|(?<!\\)\.(?![^[]*\])/.test(definition.replace(/\[[^\]]*\]/g, ""))).toBe(false);
  });
});

describe("the pipeline's error stage", () => {
  test("comes after the line fields: a grok for ERROR and CRITICAL lines, one for messages without a level, a gsub per rule, the fingerprint's script", () => {
    const processors = ingestPipelineBody().processors;
    expect(processors.slice(1)).toEqual(ERROR_FIELDS.processors);
    expect(groks.map((grok) => [grok.patterns, grok.if])).toEqual([
      [[OSLO_ERROR_PATTERN], "ctx.loglevel == 'ERROR' || ctx.loglevel == 'CRITICAL'"],
      [[CONSOLE_ERROR_PATTERN], expect.stringMatching(/^ctx\.loglevel == null && ctx\.message instanceof String && \(ctx\.message\.contains\('Traceback \(most recent call last\):'\) \|\| ctx\.message\.contains\('FAILED'\) \|\| /)],
    ]);
    const gsubs = ERROR_FIELDS.processors.flatMap((processor) => ("gsub" in processor ? [processor.gsub] : []));
    expect(gsubs.map((gsub) => [gsub.field, gsub.pattern, gsub.replacement])).toEqual(NORMALIZATION_RULES.map((rule) => ["error_normalized", rule.pattern, rule.placeholder]));
    expect(ERROR_FIELDS.processors.at(-1)).toEqual({ script: expect.objectContaining({ lang: "painless", if: "ctx.error_normalized != null", source: "ctx.error_fingerprint = ctx.error_normalized.sha1().substring(0, 16)" }) });
  });

  test("defines every pattern its groks use", () => {
    for (const grok of groks) expect(() => expandGrok(grok.patterns[0], grok.pattern_definitions)).not.toThrow();
  });
});
