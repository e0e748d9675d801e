/**
 * The gate of the tests that run real Terraform. It is not a Debian package (it comes from
 * HashiCorp's apt repository or release archive); configurations that need no provider
 * download run here without any network.
 */
import { toolGate } from "./validators";

export const terraformGate = toolGate("terraform", "terraform (HashiCorp's apt repository)");
