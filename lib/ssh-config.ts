/**
 * `npm run ssh-config <stack>`: an OpenSSH client configuration for the servers of a deployed
 * stack, from its outputs. On a tenant network only the front end and the recheck server have
 * public addresses; the others are reached with ProxyJump through the front end, whose security
 * group the other roles accept SSH from.
 */
import { type Command, parseCommandArgs, UsageError } from "./cli";
import { outputValues, OutputsError, readOutputsJson } from "./stack-outputs";

/** The stack output naming each server's addresses (stacks/deployment-stack.ts). */
export const SSH_HOSTS_OUTPUT = "ssh_hosts";
/** The stack output naming the server private servers are reached through, on tenant networks. */
export const SSH_JUMP_HOST_OUTPUT = "ssh_jump_host";
/** The login user of a server whose output does not name one (stacks synthesized before Debian was supported: Ubuntu's). */
export const DEFAULT_SSH_USER = "ubuntu";

export interface SshHost {
  readonly name: string;
  readonly address: string;
  readonly publicAddress?: string;
  /** The image's default user, which holds the admins' keys (admin.ssh_public_keys). */
  readonly user?: string;
}

export interface SshConfigOptions {
  /** @default each server's image's default user (from the outputs) */
  readonly user?: string;
  /** @default the ssh client's own choice of keys */
  readonly identityFile?: string;
}

/** A value ssh_config takes as one word: no spaces, quotes or comment signs. */
function sshWord(value: string, what: string): string {
  if (!/^[^\s"'#]+$/.test(value)) throw new UsageError(`${what}: ${JSON.stringify(value)}: expected one word, without spaces, quotes or #`);
  return value;
}

/**
 * The hosts and the jump host from the outputs JSON.
 * @throws OutputsError when the outputs lack ssh_hosts or it is malformed
 */
export function sshHostsFromOutputs(json: string, source: string): { hosts: SshHost[]; jumpHost?: string } {
  const values = outputValues(json, source);
  const raw = values[SSH_HOSTS_OUTPUT];
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    const names = Object.keys(values);
    throw new OutputsError(`${source}: no ${SSH_HOSTS_OUTPUT} output (${names.length > 0 ? `outputs: ${names.join(", ")}; synthesize and deploy the stack again to add it` : "no outputs at all: has the stack been deployed?"})`);
  }
  const hosts = Object.entries(raw as Record<string, unknown>).map(([name, entry]) => {
    const { address, public_address: publicAddress, user } = (entry ?? {}) as { address?: unknown; public_address?: unknown; user?: unknown };
    if (typeof address !== "string" || address === "") throw new OutputsError(`${source}: ${SSH_HOSTS_OUTPUT}.${name}.address: expected an address, got ${JSON.stringify(address)}`);
    return {
      name,
      address,
      publicAddress: typeof publicAddress === "string" && publicAddress !== "" ? publicAddress : undefined,
      user: typeof user === "string" && user !== "" ? user : undefined,
    };
  });
  const jump = values[SSH_JUMP_HOST_OUTPUT];
  if (jump !== undefined && jump !== null && !(typeof jump === "string" && hosts.some((host) => host.name === jump && host.publicAddress))) {
    throw new OutputsError(`${source}: ${SSH_JUMP_HOST_OUTPUT}: expected the name of a server with a public address, got ${JSON.stringify(jump)}`);
  }
  return { hosts: hosts.sort((a, b) => a.name.localeCompare(b.name)), jumpHost: typeof jump === "string" ? jump : undefined };
}

/** The ssh_config text: one Host block per server; private ones with ProxyJump through the jump host. */
export function renderSshConfig(stack: string, hosts: readonly SshHost[], jumpHost: string | undefined, options: SshConfigOptions = {}): string {
  const identity = options.identityFile === undefined ? [] : [`  IdentityFile ${sshWord(options.identityFile, "--identity-file")}`, "  IdentitiesOnly yes"];
  const lines = [
    `# SSH to the servers of ${stack}, from its Terraform outputs (npm run ssh-config -- ${stack}).`,
    jumpHost
      ? `# Servers without a public address are reached through ${jumpHost} (ProxyJump).`
      : "# Every server has an address on the provider network: no jump host.",
    "# Use it with `ssh -F <this file> <server>`, or paste it into ~/.ssh/config.",
  ];
  for (const host of hosts) {
    const direct = host.publicAddress ?? (jumpHost ? undefined : host.address);
    const user = options.user === undefined ? sshWord(host.user ?? DEFAULT_SSH_USER, `user of ${host.name}`) : sshWord(options.user, "--user");
    lines.push("", `Host ${sshWord(host.name, "server name")}`, `  HostName ${sshWord(direct ?? host.address, `address of ${host.name}`)}`, `  User ${user}`, ...identity);
    if (!direct) lines.push(`  ProxyJump ${jumpHost}`);
  }
  return `${lines.join("\n")}\n`;
}

export const SSH_CONFIG_USAGE = `usage: npm run ssh-config -- <stack> [--outputs <file.json>] [--user <name>] [--identity-file <path>]

Prints an OpenSSH client configuration for the servers of a deployed stack, from its outputs
(\`terraform -chdir=cdktf.out/stacks/<stack> output -json\`, or --outputs <file>). On a tenant
network, servers without a public address get ProxyJump through the front end.

  --outputs <file>         read the outputs JSON from a file (then <stack> names the stack in comments only)
  --user <name>            the login user (default: the image's default user, ubuntu or debian)
  --identity-file <path>   the private key to use (default: ssh's own choice)

Exits 0 when printed, 2 on a usage error or unreadable outputs.`;

export interface SshConfigIo {
  /** @default "cdktf.out" */
  readonly outdir?: string;
  /** @default "terraform" */
  readonly terraform?: string;
}

export function sshConfigCommand(io: SshConfigIo = {}): Command {
  return {
    name: "ssh-config",
    usage: SSH_CONFIG_USAGE,
    run: (argv, { out }) => {
      const parsed = parseCommandArgs(argv, {
        allowPositionals: true,
        options: { outputs: { type: "string" }, user: { type: "string" }, "identity-file": { type: "string" } },
      });
      const { values, positionals } = parsed;
      if (positionals.length > 1) throw new UsageError(`expected one stack name, got ${positionals.join(" ")}`);
      const stack = positionals[0];
      const { json, source } = readOutputsJson(stack, values.outputs, io.outdir, io.terraform);
      const { hosts, jumpHost } = sshHostsFromOutputs(json, source);
      out(renderSshConfig(stack ?? "the stack", hosts, jumpHost, { user: values.user, identityFile: values["identity-file"] }).trimEnd());
      return 0;
    },
  };
}
