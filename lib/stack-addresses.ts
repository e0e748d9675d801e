/** Finding resources of a synthesized stack (cdk.tf.json) by what admins know them as. */

type StackJson = { resource?: Record<string, Record<string, { name?: unknown }>> };

/** The Terraform address of the server named `serverName` (its name in Nova), e.g. for `terraform apply -replace`. */
export function serverAddress(stack: StackJson, serverName: string): string {
  const instances = stack.resource?.openstack_compute_instance_v2 ?? {};
  const match = Object.entries(instances).find(([, instance]) => instance.name === serverName);
  if (!match) {
    const names = Object.values(instances).map((instance) => String(instance.name)).sort();
    throw new Error(`no server named ${JSON.stringify(serverName)} in the stack; its servers are: ${names.join(", ") || "(none)"}`);
  }
  return `openstack_compute_instance_v2.${match[0]}`;
}
