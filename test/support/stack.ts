import { Testing, TerraformStack } from "cdktf";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { OpenstackProvider } from "../../.gen/providers/openstack/provider";
import type { StackJson } from "./synth";

/**
 * Builds constructs in a fresh stack (with the OpenStack, random and tls providers) and returns the synthesized
 * Terraform JSON, after aspects and validations as `npm run synth` runs them.
 */
export function synthStack(build: (stack: TerraformStack) => void): StackJson {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  new OpenstackProvider(stack, "openstack", { cloud: "test-cloud" });
  new RandomProvider(stack, "random");
  new TlsProvider(stack, "tls");
  build(stack);
  return JSON.parse(Testing.synth(stack, true));
}

/** The resources of one type in a synthesized stack, in creation order. */
export function resources(stack: StackJson, type: string): StackJson[] {
  return Object.values(stack.resource?.[type] ?? {});
}

/** The Terraform reference to an attribute of the resource of `type` whose `name` attribute is `name`. */
export function refByName(stack: StackJson, type: string, name: string, attribute = "id"): string {
  const entry = Object.entries(stack.resource?.[type] ?? {}).find(([, resource]) => (resource as StackJson).name === name);
  if (!entry) throw new Error(`no ${type} named ${name} in the stack`);
  return `\${${type}.${entry[0]}.${attribute}}`;
}
