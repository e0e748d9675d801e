/**
 * The node facts of a build, from the `zuul-info/inventory.yaml` Zuul writes into every build's
 * logs (upstream's contract): the nodepool host ids, clouds, regions and providers of its nodes,
 * and the executor that ran it. A missing or unreadable inventory leaves the facts empty: the
 * logs are still indexed.
 *
 * Zuul writes the file with PyYAML in block style (`safe_dump(..., default_flow_style=False)`,
 * untrusted strings tagged `!unsafe`). The reader follows that layout by indentation and reads
 * only the few scalars it needs (`all.hosts.<host>.nodepool.{host_id,cloud,region,provider}`,
 * `all.vars.zuul.executor.hostname`), which are short words, plain or quoted. It is not a YAML
 * parser, on purpose: a general one (js-yaml, yaml) would triple the service's bundle, which
 * travels in the worker's user data (Nova's 64 KiB); the tests check it on files PyYAML writes.
 */

export interface NodeFacts {
  readonly hostsId: readonly string[];
  /** `<cloud>-<region>` of each node, without repeats. */
  readonly hostsRegion: readonly string[];
  readonly nodeProvider: readonly string[];
  readonly zuulExecutor?: string;
}

export const NO_NODE_FACTS: NodeFacts = { hostsId: [], hostsRegion: [], nodeProvider: [] };

const NODEPOOL_KEYS = new Set(["host_id", "cloud", "region", "provider"]);
/** `key:` or `key: value` with a plain key; other keys (quoted, complex) never lead to a fact. */
const KEY_LINE = /^([A-Za-z0-9_.@-]+):(?: +(.*))?$/;
/** A sequence item's key is never on a path to a fact. */
const ITEM = "-";

/** A scalar as PyYAML writes a short one: plain, 'single' ('' for '), "double" (JSON escapes), maybe tagged. */
export function scalar(text: string): string | undefined {
  const value = text.replace(/^!(?:unsafe|!str) +/, "");
  if (value.startsWith("'")) return value.endsWith("'") && value.length > 1 ? value.slice(1, -1).replace(/''/g, "'") : undefined;
  if (value.startsWith('"')) {
    try {
      return JSON.parse(value) as string;
    } catch {
      return undefined;
    }
  }
  const plain = value.replace(/ +#.*$/, "").trim();
  return plain === "" || plain === "~" || plain === "null" || /^[|>[{&*!%@`]/.test(plain) ? undefined : plain;
}

export function nodeFacts(inventoryText: string): NodeFacts {
  const stack: { indent: number; key: string }[] = [];
  const hosts = new Map<string, Map<string, string>>();
  let zuulExecutor: string | undefined;
  for (const line of inventoryText.split("\n")) {
    const content = line.trimEnd();
    if (content.trim() === "" || content.trimStart().startsWith("#") || content === "---" || content === "...") continue;
    let indent = content.length - content.trimStart().length;
    let rest = content.slice(indent);
    while (stack.length > 0 && stack[stack.length - 1].indent >= indent) stack.pop();
    while (rest.startsWith("- ") || rest === "-") {
      stack.push({ indent, key: ITEM });
      indent += 2;
      rest = rest.slice(2);
    }
    const match = KEY_LINE.exec(rest);
    if (!match) continue;
    const [, key, valueText] = match;
    const path = [...stack.map((entry) => entry.key), key];
    stack.push({ indent, key });
    if (valueText === undefined) continue;
    const value = scalar(valueText);
    if (value === undefined) continue;
    if (path.length === 5 && path[0] === "all" && path[1] === "hosts" && path[2] !== ITEM && path[3] === "nodepool" && NODEPOOL_KEYS.has(key)) {
      const host = hosts.get(path[2]) ?? new Map<string, string>();
      host.set(key, value);
      hosts.set(path[2], host);
    } else if (path.join(".") === "all.vars.zuul.executor.hostname") {
      zuulExecutor = value;
    }
  }
  const hostsId: string[] = [];
  const regions = new Set<string>();
  const providers = new Set<string>();
  for (const host of hosts.values()) {
    if (host.has("host_id")) hostsId.push(host.get("host_id")!);
    if (host.has("cloud") && host.has("region")) regions.add(`${host.get("cloud")}-${host.get("region")}`);
    if (host.has("provider")) providers.add(host.get("provider")!);
  }
  return { hostsId, hostsRegion: [...regions], nodeProvider: [...providers], ...(zuulExecutor !== undefined ? { zuulExecutor } : {}) };
}
