/**
 * Prints an OpenSSH client configuration for the servers of a deployed stack, with ProxyJump
 * through the front end for private servers on a tenant network:
 *
 *   npm run ssh-config -- <stack> [--outputs <file.json>] [--user <name>] [--identity-file <path>]
 *
 * See lib/ssh-config.ts.
 */
import { runMain } from "../lib/cli";
import { sshConfigCommand } from "../lib/ssh-config";

runMain(sshConfigCommand({ outdir: process.env.CDKTF_OUTDIR ?? "cdktf.out" }));
