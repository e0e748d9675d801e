import { diffStacks, referencesIn, type StackJson } from "../lib/review/diff";
import { hasBlockingFinding, reviewStack, reviewStacks } from "../lib/review";
import { OFFLINE_LIMITS, renderReport, renderStackReport } from "../lib/review/report";
import type { Finding } from "../lib/review/risks";

// ---------------------------------------------------------------------------------------------
// Hand-made stacks, in the shape cdktf synthesizes (with "//" metadata).

type Resources = Record<string, Record<string, Record<string, unknown>>>;

function stack(resources: Resources, extra: Record<string, unknown> = {}): StackJson {
  const withMetadata = Object.fromEntries(
    Object.entries(resources).map(([type, instances]) => [
      type,
      Object.fromEntries(
        Object.entries(instances).map(([name, config]) => [name, { "//": { metadata: { path: `test/${name}`, uniqueId: name } }, ...config }]),
      ),
    ]),
  );
  return {
    "//": { metadata: { backend: "local", stackName: "test", version: "0.21.0" } },
    provider: { openstack: [{ cloud: "example", region: "RegionOne" }] },
    terraform: { required_providers: { openstack: { source: "terraform-provider-openstack/openstack", version: "3.4.0" } } },
    resource: withMetadata,
    ...extra,
  };
}

const volume = (extra: Record<string, unknown> = {}) => ({
  name: "prod-search-data-1-data",
  size: 1024,
  lifecycle: { prevent_destroy: true },
  ...extra,
});

const searchNode = (extra: Record<string, unknown> = {}) => ({
  name: "prod-search-data-1",
  flavor_name: "m1.xlarge",
  image_id: "${data.openstack_images_image_v2.image.id}",
  metadata: { deployment: "prod", role: "search-data" },
  user_data: "#cloud-config\n" + "x: 1\n".repeat(40),
  lifecycle: { ignore_changes: ["user_data", "image_id"] },
  ...extra,
});

const worker = (extra: Record<string, unknown> = {}) => ({
  name: "prod-ingestion-1",
  flavor_name: "m1.large",
  image_id: "${data.openstack_images_image_v2.image.id}",
  metadata: { deployment: "prod", role: "ingestion" },
  user_data: "#cloud-config\n" + "y: 1\n".repeat(40),
  lifecycle: { create_before_destroy: true },
  ...extra,
});

const group = (name: string) => ({ name, description: `${name} servers`, delete_default_rules: true });

const rule = (extra: Record<string, unknown> = {}) => ({
  description: "a flow",
  direction: "ingress",
  ethertype: "IPv4",
  protocol: "tcp",
  port_range_min: 22,
  port_range_max: 22,
  remote_ip_prefix: "203.0.113.0/24",
  security_group_id: "${openstack_networking_secgroup_v2.frontend.id}",
  ...extra,
});

const groups = {
  openstack_networking_secgroup_v2: { frontend: group("prod-frontend"), ingestion: group("prod-ingestion") },
};

const rules = (...entries: [string, Record<string, unknown>][]) => ({
  ...groups,
  openstack_networking_secgroup_rule_v2: Object.fromEntries(entries),
});

const rulesOf = (findings: readonly Finding[]) => findings.map((finding) => `${finding.severity} ${finding.rule} ${finding.subject ?? ""}`);

// ---------------------------------------------------------------------------------------------

describe("diffStacks", () => {
  test("finds no change between equal stacks, whatever their \"//\" metadata says", () => {
    const before = stack({ openstack_blockstorage_volume_v3: { data: volume() } });
    const after = JSON.parse(JSON.stringify(before));
    after["//"].metadata.version = "0.22.0";
    after.resource.openstack_blockstorage_volume_v3.data["//"].metadata.path = "moved/data";
    const diff = diffStacks("test", before, after);
    expect([diff.added, diff.removed, diff.replaced, diff.changed, diff.ignored, diff.providers, diff.outputs]).toEqual([[], [], [], [], [], [], []]);
  });

  test("matches resources by type and logical name: a renamed logical id is one removed and one added resource", () => {
    const diff = diffStacks(
      "test",
      stack({ openstack_blockstorage_volume_v3: { data_1: volume() } }),
      stack({ openstack_blockstorage_volume_v3: { data_2: volume() } }),
    );
    expect(diff.removed.map((change) => change.address)).toEqual(["openstack_blockstorage_volume_v3.data_1"]);
    expect(diff.added.map((change) => change.address)).toEqual(["openstack_blockstorage_volume_v3.data_2"]);
    expect(diff.added[0].constructPath).toBe("test/data_2");
  });

  test("reports an in-place change with the attribute's path and both values", () => {
    const diff = diffStacks(
      "test",
      stack({ openstack_blockstorage_volume_v3: { data: volume() } }),
      stack({ openstack_blockstorage_volume_v3: { data: volume({ size: 2048 }) } }),
    );
    expect(diff.replaced).toEqual([]);
    expect(diff.changed).toHaveLength(1);
    expect(diff.changed[0].changes).toEqual([
      expect.objectContaining({ path: "size", before: 1024, after: 2048, effect: "update", note: expect.stringMatching(/extended in place/) }),
    ]);
  });

  test("names nested paths: a map key, a block attribute", () => {
    const diff = diffStacks(
      "test",
      stack({ openstack_compute_instance_v2: { worker: worker({ metadata: { role: "ingestion" } }) } }),
      stack({ openstack_compute_instance_v2: { worker: worker({ metadata: { role: "ingestion", tier: "2" } }) } }),
    );
    expect(diff.changed[0].changes.map((change) => [change.path, change.before, change.after])).toEqual([["metadata.tier", undefined, "2"]]);
  });

  test("treats a list of strings (often a set) as one value", () => {
    const port = (ids: string[]) => ({ network_id: "${openstack_networking_network_v2.net.id}", security_group_ids: ids });
    const diff = diffStacks(
      "test",
      stack({ openstack_networking_port_v2: { port: port(["a", "b"]) } }),
      stack({ openstack_networking_port_v2: { port: port(["a", "c"]) } }),
    );
    expect(diff.changed[0].changes.map((change) => change.path)).toEqual(["security_group_ids"]);
  });

  test("a changed ForceNew argument replaces the resource and says why", () => {
    const diff = diffStacks(
      "test",
      stack(rules(["ssh", rule()])),
      stack(rules(["ssh", rule({ remote_ip_prefix: "198.51.100.0/24" })])),
    );
    expect(diff.replaced.map((change) => change.address)).toEqual(["openstack_networking_secgroup_rule_v2.ssh"]);
    expect(diff.replaced[0].replacementReasons).toEqual(["remote_ip_prefix forces replacement"]);
  });

  test("a change inside a block with a ForceNew nested attribute replaces the resource, naming the block", () => {
    const diff = diffStacks(
      "test",
      stack({ openstack_compute_instance_v2: { worker: worker({ scheduler_hints: [{ group: "g1" }] }) } }),
      stack({ openstack_compute_instance_v2: { worker: worker({ scheduler_hints: [{ group: "g2" }] }) } }),
    );
    expect(diff.replaced).toHaveLength(1);
    expect(diff.replaced[0].changes[0].path).toBe("scheduler_hints[0].group");
    expect(diff.replaced[0].replacementReasons[0]).toMatch(/^scheduler_hints \(block\) forces replacement: attributes inside it/);
  });

  test("a change to an attribute in lifecycle.ignore_changes plans nothing, even a ForceNew one", () => {
    const diff = diffStacks(
      "test",
      stack({ openstack_compute_instance_v2: { node: searchNode() } }),
      stack({ openstack_compute_instance_v2: { node: searchNode({ user_data: "#cloud-config\nchanged: true\n" }) } }),
    );
    expect(diff.replaced).toEqual([]);
    expect(diff.changed).toEqual([]);
    expect(diff.ignored.map((change) => [change.address, change.changes.map((item) => item.effect)])).toEqual([
      ["openstack_compute_instance_v2.node", ["ignored"]],
    ]);
  });

  test("lifecycle.ignore_changes \"all\" covers every attribute", () => {
    const ignoreAll = { lifecycle: { ignore_changes: "all" } };
    const diff = diffStacks(
      "test",
      stack({ openstack_compute_instance_v2: { w: worker({ ...ignoreAll }) } }),
      stack({ openstack_compute_instance_v2: { w: worker({ ...ignoreAll, key_pair: "other", flavor_name: "m1.small" }) } }),
    );
    expect(diff.ignored).toHaveLength(1);
    expect(diff.replaced).toEqual([]);
  });

  test("a ForceNew argument that refers to a replaced resource's id replaces its resource too", () => {
    const before = stack(rules(["ssh", rule()]));
    const after = stack({
      ...rules(["ssh", rule()]),
      openstack_networking_secgroup_v2: { frontend: { ...group("prod-frontend"), delete_default_rules: false }, ingestion: group("prod-ingestion") },
    });
    const diff = diffStacks("test", before, after);
    expect(diff.replaced.map((change) => change.address).sort()).toEqual([
      "openstack_networking_secgroup_rule_v2.ssh",
      "openstack_networking_secgroup_v2.frontend",
    ]);
    const ruleChange = diff.replaced.find((change) => change.type === "openstack_networking_secgroup_rule_v2")!;
    expect(ruleChange.replacementReasons).toEqual(["security_group_id refers to openstack_networking_secgroup_v2.frontend, which is replaced"]);
    expect(ruleChange.changes[0]).toMatchObject({ path: "security_group_id", via: "openstack_networking_secgroup_v2.frontend", effect: "replace" });
  });

  test("an in-place argument that refers to a replaced resource's id is updated; one referring to a configured attribute is not", () => {
    const port = {
      network_id: "${openstack_networking_network_v2.net.id}",
      security_group_ids: ["${openstack_networking_secgroup_v2.frontend.id}"],
    };
    const server = worker({ security_groups: ["${openstack_networking_secgroup_v2.frontend.name}"] });
    const resources = (deleteDefaultRules: boolean): Resources => ({
      openstack_networking_secgroup_v2: { frontend: { ...group("prod-frontend"), delete_default_rules: deleteDefaultRules } },
      openstack_networking_port_v2: { port },
      openstack_compute_instance_v2: { server },
    });
    const diff = diffStacks("test", stack(resources(true)), stack(resources(false)));
    expect(diff.changed.map((change) => change.address)).toEqual(["openstack_networking_port_v2.port"]);
    expect(diff.changed[0].changes[0].note).toBe(
      "refers to openstack_networking_secgroup_v2.frontend.id, which is replaced: known only after apply",
    );
  });

  test("follows replacements through several resources, and stops at ignored attributes", () => {
    const resources = (algorithm: string): Resources => ({
      tls_private_key: { key: { algorithm } },
      tls_cert_request: { request: { private_key_pem: "${tls_private_key.key.private_key_pem}", subject: [{ common_name: "n" }] } },
      tls_locally_signed_cert: {
        cert: {
          ca_cert_pem: "${tls_self_signed_cert.ca.cert_pem}",
          ca_private_key_pem: "${tls_private_key.ca.private_key_pem}",
          cert_request_pem: "${tls_cert_request.request.cert_request_pem}",
          validity_period_hours: 100,
          allowed_uses: ["server_auth"],
        },
      },
      openstack_compute_instance_v2: {
        worker: worker({ user_data: "cert: ${base64encode(tls_locally_signed_cert.cert.cert_pem)}" }),
        node: searchNode({ user_data: "cert: ${base64encode(tls_locally_signed_cert.cert.cert_pem)}" }),
      },
    });
    const diff = diffStacks("test", stack(resources("ECDSA")), stack(resources("RSA")));
    expect(diff.replaced.map((change) => change.address).sort()).toEqual([
      "openstack_compute_instance_v2.worker",
      "tls_cert_request.request",
      "tls_locally_signed_cert.cert",
      "tls_private_key.key",
    ]);
    expect(diff.changed).toEqual([]);
  });

  test("marks what refers to a changed data source as a possible change", () => {
    const image = (name: string) => ({ data: { openstack_images_image_v2: { image: { name, most_recent: true } } } });
    const resources: Resources = { openstack_compute_instance_v2: { worker: worker(), node: searchNode() } };
    const diff = diffStacks("test", stack(resources, image("Ubuntu 24.04")), stack(resources, image("Ubuntu 26.04")));
    expect(diff.dataSources).toEqual([expect.objectContaining({ subject: "data.openstack_images_image_v2.image", kind: "changed" })]);
    expect(diff.changed.map((change) => change.address)).toEqual(["openstack_compute_instance_v2.worker"]);
    expect(diff.changed[0].changes[0].note).toMatch(/may change at plan time; if so, rebuilds the server in place/);
  });

  test("any argument change of random_password replaces it", () => {
    const diff = diffStacks(
      "test",
      stack({ random_password: { admin: { length: 32, special: false } } }),
      stack({ random_password: { admin: { length: 40, special: false } } }),
    );
    expect(diff.replaced.map((change) => change.address)).toEqual(["random_password.admin"]);
  });

  test("a meta-argument change shows as a change that plans nothing by itself", () => {
    const diff = diffStacks(
      "test",
      stack({ openstack_compute_instance_v2: { w: worker() } }),
      stack({ openstack_compute_instance_v2: { w: worker({ depends_on: ["openstack_networking_router_v2.router"] }) } }),
    );
    expect(diff.changed[0].changes).toEqual([expect.objectContaining({ path: "depends_on", effect: "meta" })]);
  });

  test("a stack on one side only is all added or all removed", () => {
    const only = stack({ openstack_blockstorage_volume_v3: { data: volume() }, random_password: { p: { length: 8 } } });
    expect(diffStacks("new", undefined, only)).toMatchObject({ presence: "added", removed: [] });
    expect(diffStacks("new", undefined, only).added).toHaveLength(2);
    expect(diffStacks("old", only, undefined)).toMatchObject({ presence: "removed", added: [] });
    expect(diffStacks("old", only, undefined).removed).toHaveLength(2);
  });

  test("lists provider, required provider and output changes", () => {
    const before = stack({}, { output: { url: { value: "a" } } });
    const after = stack({}, {
      output: { url: { value: "b" } },
      provider: { openstack: [{ cloud: "other", region: "RegionOne" }] },
      terraform: { required_providers: { openstack: { source: "terraform-provider-openstack/openstack", version: "3.5.0" } } },
    });
    const diff = diffStacks("test", before, after);
    expect(diff.providers.map((setting) => [setting.subject, setting.changes.map((change) => change.path)])).toEqual([
      ["provider.openstack", ["cloud"]],
      ["required_providers.openstack", ["version"]],
    ]);
    expect(diff.outputs.map((setting) => setting.subject)).toEqual(["output.url"]);
  });
});

describe("diffStacks: referred values", () => {
  const keyPair = (name: string) => ({ name, public_key: "ssh-ed25519 AAAA" });
  const server = (extra: Record<string, unknown> = {}) =>
    worker({ key_pair: "${openstack_compute_keypair_v2.admin.name}", security_groups: ["${openstack_networking_secgroup_v2.frontend.name}"], ...extra });

  test("a configured attribute whose value changes replaces what refers to it through a ForceNew argument", () => {
    const diff = diffStacks(
      "test",
      stack({ openstack_compute_keypair_v2: { admin: keyPair("prod-admin") }, openstack_compute_instance_v2: { node: searchNode({ key_pair: "${openstack_compute_keypair_v2.admin.name}" }) } }),
      stack({ openstack_compute_keypair_v2: { admin: keyPair("prod-admins") }, openstack_compute_instance_v2: { node: searchNode({ key_pair: "${openstack_compute_keypair_v2.admin.name}" }) } }),
    );
    expect(diff.replaced.map((change) => change.address).sort()).toEqual(["openstack_compute_instance_v2.node", "openstack_compute_keypair_v2.admin"]);
    const node = diff.replaced.find((change) => change.type === "openstack_compute_instance_v2")!;
    expect(node.replacementReasons).toEqual(["key_pair refers to openstack_compute_keypair_v2.admin.name, whose value changes"]);
    expect(node.changes[0]).toMatchObject({
      path: "key_pair", effect: "replace", via: "openstack_compute_keypair_v2.admin",
      referred: { kind: "changed", reference: "openstack_compute_keypair_v2.admin.name", before: "prod-admin", after: "prod-admins" },
    });
  });

  test("a group renamed in place changes the servers that name it, in place", () => {
    const resources = (name: string): Resources => ({
      openstack_compute_keypair_v2: { admin: keyPair("prod-admin") },
      openstack_networking_secgroup_v2: { frontend: { ...group("prod-frontend"), name } },
      openstack_compute_instance_v2: { fe: server() },
    });
    const diff = diffStacks("test", stack(resources("prod-frontend")), stack(resources("prod-web")));
    expect(diff.replaced).toEqual([]);
    expect(diff.changed.map((change) => [change.address, change.changes.map((item) => [item.path, item.effect])])).toEqual([
      ["openstack_networking_secgroup_v2.frontend", [["name", "update"]]],
      ["openstack_compute_instance_v2.fe", [["security_groups", "update"]]],
    ]);
    expect(renderStackReport(reviewStack("test", stack(resources("prod-frontend")), stack(resources("prod-web"))))).toContain(
      '| `security_groups` | same expression, its value: `"prod-frontend"` → `"prod-web"` | refers to openstack_networking_secgroup_v2.frontend.name, whose value changes |',
    );
  });

  test("follows the whole reference path: a port read from a replaced server's network block is known after apply", () => {
    const association = { floating_ip: "${openstack_networking_floatingip_v2.fip.address}", port_id: "${openstack_compute_instance_v2.fe.network[0].port}" };
    const resources = (keyName: string): Resources => ({
      openstack_compute_instance_v2: { fe: worker({ key_pair: keyName, network: [{ uuid: "net" }] }) },
      openstack_networking_floatingip_associate_v2: { assoc: association },
    });
    const diff = diffStacks("test", stack(resources("a")), stack(resources("b")));
    expect(diff.changed.map((change) => change.address)).toEqual(["openstack_networking_floatingip_associate_v2.assoc"]);
    expect(diff.changed[0].changes[0].note).toBe("refers to openstack_compute_instance_v2.fe.network[0].port, which is replaced: known only after apply");
  });

  test("a configured value that refers on to a replaced resource is known only after apply", () => {
    const resources = (algorithm: string): Resources => ({
      tls_private_key: { key: { algorithm } },
      openstack_compute_keypair_v2: { admin: { name: "prod-admin", public_key: "${tls_private_key.key.public_key_openssh}" } },
      openstack_networking_port_v2: { port: { network_id: "n", description: "${openstack_compute_keypair_v2.admin.public_key}" } },
    });
    const diff = diffStacks("test", stack(resources("RSA")), stack(resources("ED25519")));
    const port = diff.changed.find((change) => change.type === "openstack_networking_port_v2")!;
    expect(port.changes[0].note).toBe(
      "refers to openstack_compute_keypair_v2.admin.public_key, which depends on tls_private_key.key, which is replaced: known only after apply",
    );
  });

  test("an ignored argument of the referred resource keeps its value", () => {
    const resources = (userData: string): Resources => ({
      openstack_compute_instance_v2: { node: searchNode({ user_data: userData }) },
      openstack_networking_port_v2: { port: { network_id: "n", description: "${openstack_compute_instance_v2.node.user_data}" } },
    });
    expect(diffStacks("test", stack(resources("a")), stack(resources("b"))).changed).toEqual([]);
  });
});

describe("diffStacks: moved, import and removed blocks", () => {
  const attached = (volumeName: string) => ({
    openstack_blockstorage_volume_v3: { [volumeName]: volume() },
    openstack_compute_volume_attach_v2: { attach: { instance_id: "i", volume_id: `\${openstack_blockstorage_volume_v3.${volumeName}.id}` } },
  });

  test("a moved block turns a removed and an added resource into a move, and what refers to it does not change", () => {
    const diff = diffStacks(
      "test",
      stack(attached("data")),
      stack(attached("volume"), { moved: [{ from: "openstack_blockstorage_volume_v3.data", to: "openstack_blockstorage_volume_v3.volume" }] }),
    );
    expect([diff.added, diff.removed, diff.replaced, diff.changed]).toEqual([[], [], [], []]);
    expect(diff.moved.map((change) => [change.movedFrom, change.address])).toEqual([
      ["openstack_blockstorage_volume_v3.data", "openstack_blockstorage_volume_v3.volume"],
    ]);
    const text = renderStackReport(reviewStack("test", stack(attached("data")), stack(attached("volume"), {
      moved: [{ from: "openstack_blockstorage_volume_v3.data", to: "openstack_blockstorage_volume_v3.volume" }],
    })));
    expect(text).toContain("## Stack `test`: 0 blocking risks, 0 warnings; 0 added, 0 removed, 0 replaced, 0 changed, 1 moved");
    expect(text).toContain("| `openstack_blockstorage_volume_v3.volume`<br>test/volume | `openstack_blockstorage_volume_v3.data` |");
  });

  test("follows chains of moved blocks, compares a moved resource with its old self, and ignores a move whose source is gone", () => {
    const moved = [
      { from: "openstack_blockstorage_volume_v3.a", to: "openstack_blockstorage_volume_v3.b" },
      { from: "openstack_blockstorage_volume_v3.b", to: "openstack_blockstorage_volume_v3.c" },
      { from: "openstack_blockstorage_volume_v3.old", to: "openstack_blockstorage_volume_v3.d" },
    ];
    const diff = diffStacks(
      "test",
      stack({ openstack_blockstorage_volume_v3: { a: volume() } }),
      stack({ openstack_blockstorage_volume_v3: { c: volume({ size: 2048 }), d: volume() } }, { moved }),
    );
    expect(diff.changed.map((change) => [change.movedFrom, change.address])).toEqual([
      ["openstack_blockstorage_volume_v3.a", "openstack_blockstorage_volume_v3.c"],
    ]);
    expect(diff.added.map((change) => change.address)).toEqual(["openstack_blockstorage_volume_v3.d"]);
  });

  test("an import block adopts instead of creating; a removed block with destroy = false forgets instead of destroying", () => {
    const before = stack({ openstack_blockstorage_volume_v3: { kept: volume(), gone: volume() } });
    const after = stack({ openstack_blockstorage_volume_v3: { adopted: volume() } }, {
      import: [{ to: "openstack_blockstorage_volume_v3.adopted", id: "6f1c0d9e" }],
      removed: [{ from: "openstack_blockstorage_volume_v3.kept", lifecycle: { destroy: false } }, { from: "openstack_blockstorage_volume_v3.gone", lifecycle: { destroy: true } }],
    });
    const review = reviewStack("test", before, after);
    expect(review.diff.imported.map((change) => [change.address, change.importId])).toEqual([["openstack_blockstorage_volume_v3.adopted", "6f1c0d9e"]]);
    expect(review.diff.forgotten.map((change) => change.address)).toEqual(["openstack_blockstorage_volume_v3.kept"]);
    expect(review.diff.removed.map((change) => change.address)).toEqual(["openstack_blockstorage_volume_v3.gone"]);
    expect(rulesOf(review.findings)).toEqual([
      "blocking data-volume-destroyed openstack_blockstorage_volume_v3.gone",
      "warning resource-forgotten openstack_blockstorage_volume_v3.kept",
    ]);
    const text = renderStackReport(review);
    expect(text).toContain("0 added, 1 removed, 0 replaced, 0 changed, 1 imported, 1 forgotten");
    expect(text).toContain("| `openstack_blockstorage_volume_v3.adopted`<br>test/adopted | prod-search-data-1-data, 1024 GiB | `6f1c0d9e` |");
    expect(text).toContain("### Forgotten (left in the cloud, removed from the state) (1)");
  });
});

describe("referencesIn", () => {
  test("keeps the whole path of a reference: list indexes and nested attributes", () => {
    const text = '${openstack_compute_instance_v2.fe.network[0].port} ${aws_x.y.tags["a b"]} ${element(openstack_networking_port_v2.p.all_fixed_ips, 0)}';
    expect(referencesIn(text).map((reference) => [reference.address, reference.attribute, reference.path])).toEqual([
      ["openstack_compute_instance_v2.fe", "network", "network[0].port"],
      ["aws_x.y", "tags", 'tags["a b"]'],
      ["openstack_networking_port_v2.p", "all_fixed_ips", "all_fixed_ips"],
    ]);
  });

  test("finds resource, data source and variable references inside expressions, not shell variables or escapes", () => {
    const text = "a ${random_password.admin-password_FE94.result} b ${base64encode(tls_private_key.k.private_key_pem)} " +
      "c $${HOME} ${ENGINE:?} $${var.z} ${data.openstack_images_image_v2.image.id} ${base64encode(var.key)} ${local.a.b}";
    expect(referencesIn(text).map((reference) => [reference.address, reference.text])).toEqual([
      ["random_password.admin-password_FE94", "random_password.admin-password_FE94.result"],
      ["tls_private_key.k", "tls_private_key.k.private_key_pem"],
      ["data.openstack_images_image_v2.image", "data.openstack_images_image_v2.image.id"],
      ["var.key", "var.key"],
    ]);
  });
});

describe("risks", () => {
  test("fails when a data volume is destroyed: its prevent_destroy goes away with its resource block", () => {
    const { findings } = reviewStack("test", stack({ openstack_blockstorage_volume_v3: { data: volume() } }), stack({}));
    expect(rulesOf(findings)).toEqual(["blocking data-volume-destroyed openstack_blockstorage_volume_v3.data"]);
    expect(findings[0].message).toMatch(
      /prod-search-data-1-data \(1024 GiB\) is destroyed: its data is lost\. Its lifecycle\.prevent_destroy does not stop this: the protection goes away with the removed resource block\.$/,
    );
  });

  test("says the plan refuses to replace a resource whose configuration keeps prevent_destroy", () => {
    const { findings } = reviewStack(
      "test",
      stack({ openstack_blockstorage_volume_v3: { data: volume() } }),
      stack({ openstack_blockstorage_volume_v3: { data: volume({ availability_zone: "az2" }) } }),
    );
    expect(findings[0].message).toMatch(/It has lifecycle\.prevent_destroy, so terraform plan will refuse it\.$/);
  });

  test("fails when a data volume is replaced, with the reason", () => {
    const { findings } = reviewStack(
      "test",
      stack({ openstack_blockstorage_volume_v3: { data: volume() } }),
      stack({ openstack_blockstorage_volume_v3: { data: volume({ availability_zone: "az2" }) } }),
    );
    expect(rulesOf(findings)).toEqual(["blocking data-volume-destroyed openstack_blockstorage_volume_v3.data"]);
    expect(findings[0].message).toMatch(/replaced \(destroyed, then created empty\) because availability_zone forces replacement/);
  });

  test("fails when a search node is destroyed or replaced, not when a stateless server is", () => {
    const master = searchNode({ name: "prod-search-master-1", metadata: { role: "search-master" } });
    const removed = reviewStack("test", stack({ openstack_compute_instance_v2: { master } }), stack({}));
    expect(rulesOf(removed.findings)).toEqual(["blocking search-node-destroyed openstack_compute_instance_v2.master"]);

    const replaced = reviewStack(
      "test",
      stack({ openstack_compute_instance_v2: { node: searchNode(), worker: worker() } }),
      stack({ openstack_compute_instance_v2: { node: searchNode({ key_pair: "new" }), worker: worker({ key_pair: "new" }) } }),
    );
    expect(rulesOf(replaced.findings)).toEqual(["blocking search-node-destroyed openstack_compute_instance_v2.node"]);
  });

  test("fails when SSH is opened to 0.0.0.0/0", () => {
    const { findings } = reviewStack("test", stack(rules()), stack(rules(["ssh", rule({ remote_ip_prefix: "0.0.0.0/0" })])));
    expect(rulesOf(findings)).toEqual(["blocking world-open-ingress openstack_networking_secgroup_rule_v2.ssh"]);
    expect(findings[0].message).toMatch(/^security group prod-frontend accepts tcp port 22 from 0\.0\.0\.0\/0/);
  });

  test("fails when a rule is changed to be open to ::/0", () => {
    const { findings } = reviewStack(
      "test",
      stack(rules(["ssh", rule({ ethertype: "IPv6", remote_ip_prefix: "2001:db8::/48" })])),
      stack(rules(["ssh", rule({ ethertype: "IPv6", remote_ip_prefix: "::/0" })])),
    );
    expect(rulesOf(findings)).toEqual(["blocking world-open-ingress openstack_networking_secgroup_rule_v2.ssh"]);
  });

  test("fails on an ingress rule without a remote prefix or group: Neutron opens it to everyone", () => {
    const open = rule({ protocol: undefined, port_range_min: undefined, port_range_max: undefined, remote_ip_prefix: undefined });
    const { findings } = reviewStack("test", stack(rules()), stack(rules(["all", open])));
    expect(findings.map((finding) => finding.message)).toEqual([expect.stringMatching(/accepts every protocol on every port from anywhere/)]);
  });

  test("only warns when 80 or 443 is opened on a -frontend group", () => {
    const https = rule({ port_range_min: 443, port_range_max: 443, remote_ip_prefix: "0.0.0.0/0" });
    const { findings } = reviewStack("test", stack(rules()), stack(rules(["https", https])));
    expect(rulesOf(findings)).toEqual(["warning world-open-ingress openstack_networking_secgroup_rule_v2.https"]);
  });

  test("fails when 443 is opened on another group, or a port range spanning 80-443 on the front end", () => {
    const elsewhere = rule({
      port_range_min: 443, port_range_max: 443, remote_ip_prefix: "0.0.0.0/0", security_group_id: "${openstack_networking_secgroup_v2.ingestion.id}",
    });
    const range = rule({ port_range_min: 80, port_range_max: 443, remote_ip_prefix: "0.0.0.0/0" });
    const { findings } = reviewStack("test", stack(rules()), stack(rules(["elsewhere", elsewhere], ["range", range])));
    expect(rulesOf(findings)).toEqual([
      "blocking world-open-ingress openstack_networking_secgroup_rule_v2.elsewhere",
      "blocking world-open-ingress openstack_networking_secgroup_rule_v2.range",
    ]);
  });

  test("ignores an open rule that stays as it was, and egress to the world", () => {
    const https = rule({ port_range_min: 443, port_range_max: 443, remote_ip_prefix: "0.0.0.0/0" });
    const egress = rule({ direction: "egress", port_range_min: 53, port_range_max: 53, remote_ip_prefix: "0.0.0.0/0" });
    const { findings } = reviewStack("test", stack(rules(["https", https])), stack(rules(["https", https], ["dns", egress])));
    expect(findings).toEqual([]);
  });

  test("fails when lifecycle.prevent_destroy is removed", () => {
    const { findings, diff } = reviewStack(
      "test",
      stack({ openstack_blockstorage_volume_v3: { data: volume() } }),
      stack({ openstack_blockstorage_volume_v3: { data: volume({ lifecycle: {} }) } }),
    );
    expect(rulesOf(findings)).toEqual(["blocking prevent-destroy-removed openstack_blockstorage_volume_v3.data"]);
    expect(diff.changed[0].changes).toEqual([expect.objectContaining({ path: "lifecycle.prevent_destroy", effect: "meta" })]);
  });

  test("warns on a provider change", () => {
    const after = stack({}, { provider: { openstack: [{ cloud: "example", region: "RegionTwo" }] } });
    const { findings } = reviewStack("test", stack({}), after);
    expect(rulesOf(findings)).toEqual(["warning provider-changed provider.openstack"]);
    expect(findings[0].message).toMatch(/^provider\.openstack is changed \(region\): it applies to every resource of the provider/);
  });

  test("warns on a backend change: the state must be migrated", () => {
    const backend = (config: Record<string, unknown>) => ({
      terraform: { backend: config, required_providers: { openstack: { source: "terraform-provider-openstack/openstack", version: "3.4.0" } } },
    });
    const { findings } = reviewStack(
      "test",
      stack({}, backend({ local: { path: "terraform.test.tfstate" } })),
      stack({}, backend({ s3: { bucket: "state", key: "test.tfstate" } })),
    );
    expect(rulesOf(findings)).toEqual(["warning backend-changed backend"]);
    expect(findings[0].message).toMatch(/^the state backend changes \(local, s3\): migrate the state first/);
  });

  test("warns when a data volume would shrink, which Cinder refuses", () => {
    const { findings } = reviewStack(
      "test",
      stack({ openstack_blockstorage_volume_v3: { data: volume() } }),
      stack({ openstack_blockstorage_volume_v3: { data: volume({ size: 512 }) } }),
    );
    expect(rulesOf(findings)).toEqual(["warning data-volume-shrunk openstack_blockstorage_volume_v3.data"]);
  });

  test("warns when a resource type has no replacement facts", () => {
    const { findings } = reviewStack(
      "test",
      stack({ openstack_images_image_v2: { img: { name: "a" } } }),
      stack({ openstack_images_image_v2: { img: { name: "b" } } }),
    );
    expect(rulesOf(findings)).toEqual(["warning unknown-resource-type openstack_images_image_v2.img"]);
  });

  test("adds the quota hook's findings; by default there are none", () => {
    const before = stack({});
    const after = stack({ openstack_blockstorage_volume_v3: { data: volume() } });
    expect(reviewStack("test", before, after).findings).toEqual([]);
    const quota = (): Finding[] => [{ severity: "warning", rule: "quota", message: "volumes: 7 of 6 GiB" }];
    expect(rulesOf(reviewStack("test", before, after, { quotaFindings: quota }).findings)).toEqual(["warning quota "]);
  });

  test("lists blocking findings before warnings", () => {
    const https = rule({ port_range_min: 443, port_range_max: 443, remote_ip_prefix: "0.0.0.0/0" });
    const after = stack({ ...rules(["https", https]) }, { provider: { openstack: [{ cloud: "x" }] } });
    const { findings } = reviewStack("test", stack({ ...rules(), openstack_blockstorage_volume_v3: { data: volume() } }), after);
    expect(findings.map((finding) => finding.severity)).toEqual(["blocking", "warning", "warning"]);
  });
});

describe("risks of lifecycle changes, renames and in-place restarts", () => {
  test("no longer ignoring user data on search nodes is blocking; dropping create_before_destroy is a warning", () => {
    const before = stack({ openstack_compute_instance_v2: { node: searchNode(), w: worker() } });
    const after = stack({
      openstack_compute_instance_v2: { node: searchNode({ lifecycle: { ignore_changes: ["image_id"] } }), w: worker({ lifecycle: {} }) },
    });
    const { findings, diff } = reviewStack("test", before, after);
    expect(rulesOf(findings)).toEqual([
      "blocking ignore-changes-narrowed openstack_compute_instance_v2.node",
      "warning create-before-destroy-removed openstack_compute_instance_v2.w",
    ]);
    expect(findings[0].message).toMatch(/no longer covers user_data on search-data server \(prod-search-data-1\): .*user_data forces replacement/);
    expect(diff.changed.find((change) => change.name === "node")!.changes[0].note).toMatch(/^no longer ignores user_data: /);
  });

  test("no longer ignoring an in-place argument of a stateless server is a warning that says what the update does", () => {
    const ignoring = (ignore: string[]) => worker({ lifecycle: { create_before_destroy: true, ignore_changes: ignore } });
    const { findings } = reviewStack(
      "test",
      stack({ openstack_compute_instance_v2: { w: ignoring(["image_id"]) } }),
      stack({ openstack_compute_instance_v2: { w: ignoring([]) } }),
    );
    expect(rulesOf(findings)).toEqual(["warning ignore-changes-narrowed openstack_compute_instance_v2.w"]);
    expect(findings[0].message).toMatch(/image_id is updated in place \(rebuilds the server in place: its root disk is re-imaged\)/);
  });

  test("resizing every master in one change is a warning, even when only masters change; one search node alone is not", () => {
    const master = (n: number, flavor: string) => searchNode({ name: `prod-search-master-${n}`, flavor_name: flavor, metadata: { role: "search-master" } });
    const masters = (flavor: string, resized = 3) => stack({
      openstack_compute_instance_v2: Object.fromEntries([1, 2, 3].map((n) => [`m${n}`, master(n, n <= resized ? flavor : "m1.large")])),
    });
    const all = reviewStack("test", masters("m1.large"), masters("m1.xlarge"));
    expect(rulesOf(all.findings)).toEqual(["warning search-nodes-restarted-together openstack_compute_instance_v2.m1"]);
    expect(all.findings[0].message).toMatch(/^3 search nodes are changed in place .*: every master, so the cluster has no quorum/);
    expect(reviewStack("test", masters("m1.large"), masters("m1.xlarge", 1)).findings).toEqual([]);
  });

  test("says whose data disk a replaced volume attachment takes away, after the role of the server it attaches to", () => {
    const monitoringServer = searchNode({ name: "prod-monitoring-1", metadata: { deployment: "prod", role: "monitoring" } });
    const attachment = (volumeId: string, instance: string) => ({ instance_id: `\${openstack_compute_instance_v2.${instance}.id}`, volume_id: volumeId });
    const attached = (volumeId: string) => stack({
      openstack_compute_instance_v2: { node: searchNode(), monitoring: monitoringServer },
      openstack_compute_volume_attach_v2: { search: attachment(volumeId, "node"), metrics: attachment(volumeId, "monitoring") },
    });
    const { findings } = reviewStack("test", attached("v1"), attached("v2"));
    const message = (subject: string) => findings.find((finding) => finding.subject === subject)!.message;
    expect(rulesOf(findings)).toEqual([
      "blocking data-volume-detached openstack_compute_volume_attach_v2.metrics",
      "blocking data-volume-detached openstack_compute_volume_attach_v2.search",
    ]);
    expect(message("openstack_compute_volume_attach_v2.metrics")).toMatch(
      /detached from its server while it runs and attached again; monitoring server prod-monitoring-1 \(monitoring\) loses its data disk, with the metrics history and Alertmanager's silences\.$/,
    );
    expect(message("openstack_compute_volume_attach_v2.search")).toMatch(/; search node prod-search-data-1 \(search-data\) loses its data disk, with its shards\.$/);
  });

  test("names the server of a removed volume attachment from the configuration before, when the server goes too", () => {
    const before = stack({
      openstack_compute_instance_v2: { w: worker({ metadata: { deployment: "prod", role: "scratch" } }) },
      openstack_compute_volume_attach_v2: { a: { instance_id: "${openstack_compute_instance_v2.w.id}", volume_id: "v" } },
    });
    const { findings } = reviewStack("test", before, stack({}));
    expect(findings.find((finding) => finding.rule === "data-volume-detached")!.message).toMatch(/; scratch server prod-ingestion-1 loses its data disk\.$/);
  });

  test("suggests the moved block for a removed and an added resource of the same type and configuration", () => {
    const { findings } = reviewStack(
      "test",
      stack({ openstack_blockstorage_volume_v3: { data: volume() }, openstack_compute_volume_attach_v2: { a: { instance_id: "i", volume_id: "${openstack_blockstorage_volume_v3.data.id}" } } }),
      stack({ openstack_blockstorage_volume_v3: { volume: volume() }, openstack_compute_volume_attach_v2: { a: { instance_id: "i", volume_id: "${openstack_blockstorage_volume_v3.volume.id}" } } }),
    );
    expect(rulesOf(findings)).toEqual([
      "blocking data-volume-destroyed openstack_blockstorage_volume_v3.data",
      "blocking data-volume-detached openstack_compute_volume_attach_v2.a",
      "warning rename-without-moved openstack_blockstorage_volume_v3.volume",
    ]);
    expect(findings[2].message).toContain(
      'call `.moveFromId("openstack_blockstorage_volume_v3.data")` on the new resource in the code (or `moveTo` on the old one), which synthesizes ' +
        "`moved { from = openstack_blockstorage_volume_v3.data, to = openstack_blockstorage_volume_v3.volume }`",
    );
  });
});

describe("renderStackReport", () => {
  test("titles the stack with its counts and puts the risks first, blocking before warnings", () => {
    const https = rule({ port_range_min: 443, port_range_max: 443, remote_ip_prefix: "0.0.0.0/0" });
    const before = stack({ ...rules(), openstack_blockstorage_volume_v3: { data: volume() }, random_password: { p: { length: 8 } } });
    const after = stack({ ...rules(["https", https]), random_password: { p: { length: 9 } } });
    const text = renderStackReport(reviewStack("prod", before, after));
    expect(text.split("\n")[0]).toBe("## Stack `prod`: 1 blocking risk, 1 warning; 1 added, 1 removed, 1 replaced, 0 changed");
    const order = ["### Risks", "**BLOCKING**", "**warning**", "### Replaced (1)", "### Removed (1)", "### Added (1)"].map((part) => text.indexOf(part));
    expect(order.every((position) => position >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text).toContain("| `openstack_networking_secgroup_rule_v2.https`<br>test/https | ingress tcp port 443 from 0.0.0.0/0 |");
    expect(text).toContain("| `random_password.p`<br>test/p | `length` | `8` → `9` | forces replacement |");
  });

  test("summarises long values by size instead of showing them", () => {
    const before = stack({ openstack_compute_instance_v2: { w: worker() } });
    const after = stack({ openstack_compute_instance_v2: { w: worker({ user_data: `${worker().user_data}z: 2\n` }) } });
    const text = renderStackReport(reviewStack("prod", before, after));
    expect(text).toContain("| `user_data` | changed (214 → 219 bytes, 1 line differs) | forces replacement |");
    expect(text).not.toContain("y: 1");
  });

  test("never shows a value that refers to a sensitive attribute", () => {
    const config = (password: string) => ({ name: "n", metadata: { password } });
    const text = renderStackReport(
      reviewStack(
        "prod",
        stack({ openstack_compute_instance_v2: { w: config("${random_password.a.result}") } }),
        stack({ openstack_compute_instance_v2: { w: config("${random_password.b.result}") } }),
      ),
    );
    expect(text).toContain("| `metadata.password` | (sensitive value changed) | in place |");
    expect(text).not.toContain("random_password");
  });

  test("never shows a value that refers to a sensitive variable, nor a sensitive output's value", () => {
    const variables = { variable: { irc_password: { type: "string", sensitive: true }, nick: { type: "string" } } };
    const config = (extra: string) => ({ name: "n", metadata: { password: `\${var.irc_password}${extra}`, nick: `\${var.nick}${extra}` } });
    const output = (value: string) => ({ output: { secret: { value, sensitive: true } } });
    const text = renderStackReport(
      reviewStack(
        "prod",
        stack({ openstack_compute_instance_v2: { w: config("") } }, { ...variables, ...output("a") }),
        stack({ openstack_compute_instance_v2: { w: config("!") } }, { ...variables, ...output("b") }),
      ),
    );
    expect(text).toContain("| `metadata.password` | (sensitive value changed) | in place |");
    expect(text).toContain('| `metadata.nick` | `"${var.nick}"` → `"${var.nick}!"` | in place |');
    expect(text).toContain("- `output.secret` changed: `value` (sensitive value changed)");
    expect(text).not.toContain("irc_password");
  });

  test("lists a new variable, which a deploy will ask for", () => {
    const text = renderStackReport(
      reviewStack("prod", stack({}), stack({}, { variable: { gerrit_key: { type: "string", sensitive: true } } })),
    );
    expect(text).toContain("### Variables (1)\n\n- `variable.gerrit_key` added");
  });

  test("escapes table separators in values", () => {
    const text = renderStackReport(
      reviewStack(
        "prod",
        stack({ openstack_networking_secgroup_v2: { g: group("a|b") } }),
        stack({ openstack_networking_secgroup_v2: { g: group("a|c") } }),
      ),
    );
    expect(text).toContain('`"a\\|b"` → `"a\\|c"`');
  });

  test("says so when a stack does not change", () => {
    const same = stack({ openstack_blockstorage_volume_v3: { data: volume() } });
    expect(renderStackReport(reviewStack("prod", same, same))).toBe("## Stack `prod`: no changes\n");
  });

  test("folds long tables", () => {
    const many = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`p${i}`, { length: 8 + i }]));
    const text = renderStackReport(reviewStack("new", undefined, stack({ random_password: many })));
    expect(text).toMatch(/^## Stack `new` \(new stack\): 0 blocking risks, 0 warnings; 25 added/);
    expect(text).toContain("<details><summary>25 resources</summary>");
  });

  test("lists changes that lifecycle.ignore_changes keeps from being applied", () => {
    const text = renderStackReport(
      reviewStack(
        "prod",
        stack({ openstack_compute_instance_v2: { node: searchNode() } }),
        stack({ openstack_compute_instance_v2: { node: searchNode({ user_data: "#cloud-config\n" + "x: 2\n".repeat(40) }) } }),
      ),
    );
    expect(text).toContain("### Not applied (1)");
    expect(text).toContain("| `user_data` | changed (214 → 214 bytes, 40 lines differ) | ignored (lifecycle.ignore_changes) |");
  });
});

describe("reviewStacks and renderReport", () => {
  test("reviews the stacks of both sides by name and sums the risks in the header", () => {
    const reviews = reviewStacks(
      { gone: stack({ openstack_blockstorage_volume_v3: { data: volume() } }), same: stack({}) },
      { same: stack({}), fresh: stack({}) },
    );
    expect(reviews.map((review) => [review.diff.stack, review.diff.presence])).toEqual([
      ["fresh", "added"],
      ["gone", "removed"],
      ["same", "both"],
    ]);
    expect(hasBlockingFinding(reviews)).toBe(true);
    const text = renderReport(reviews, { base: "`main` (abc)", head: "the working tree" });
    expect(text.split("\n").slice(0, 3)).toEqual([
      "# Review of the working tree against `main` (abc)",
      "",
      "3 stacks compared: 1 blocking risk, 0 warnings.",
    ]);
    expect(text).toContain("## Stack `gone` (stack removed): 1 blocking risk");
    expect(text.split("## What this review cannot see")).toHaveLength(2);
    expect(text.endsWith(`${OFFLINE_LIMITS.trimEnd()}\n`)).toBe(true);
  });
});

describe("reviewStacks: a stack that disappears", () => {
  const quota = (cloud: string, instances: number) => ({
    "//": { quota: { cloud, stack_usage: { instances }, cloud_usage: { instances }, quota: { instances: 30 } } },
  });
  const data = { openstack_blockstorage_volume_v3: { data: volume() } };

  test("is not destroyed: it keeps running, and a stack appearing on the same cloud starts empty beside it, both in the quota", () => {
    const reviews = reviewStacks({ production: stack(data, quota("c", 19)) }, { prod: stack(data, quota("c", 19)) });
    const [prod, production] = reviews;
    expect(rulesOf(production.findings)).toEqual(["blocking stack-removed stack production"]);
    expect(production.findings[0].message).toMatch(
      /^stack production is no longer synthesized: cdktf deploy does not touch it, so its 1 resources \(1 data volume, 1024 GiB\) keep running .* This change adds `prod` on the same cloud: if it is a rename/,
    );
    expect(rulesOf(prod.findings)).toEqual(["blocking quota-exceeded quota.instances", "warning stack-starts-empty stack prod"]);
    expect(prod.leftBehind).toEqual({ stacks: ["production"], usage: { instances: 19 } });
    expect(renderStackReport(prod)).toContain("| instances | 19 | 19 | 19 | 38 | 30 |");
  });

  test("on another cloud leaves the new stack's quota alone", () => {
    const reviews = reviewStacks({ old: stack(data, quota("a", 19)) }, { fresh: stack(data, quota("b", 19)) });
    expect(reviews.map((review) => rulesOf(review.findings))).toEqual([[], ["blocking stack-removed stack old"]]);
    expect(reviews[1].findings[0].message).not.toContain("This change adds");
  });
});

describe("quota recorded by synth", () => {
  const withQuota = (cores: number, resources: Parameters<typeof stack>[0] = {}) =>
    stack(resources, {
      "//": {
        quota: {
          cloud: "example-cloud",
          stack_usage: { instances: 4, cores: 10 },
          cloud_usage: { instances: 23, cores },
          quota: { instances: 30, cores: 200 },
        },
      },
    });

  test("shows this stack's and the cloud's usage against the quota in the report of a change", () => {
    const after = withQuota(156, { openstack_compute_keypair_v2: { admin: { name: "evaluation-admin", public_key: "ssh-ed25519 AAAA" } } });
    const report = renderStackReport(reviewStack("evaluation", withQuota(156), after));
    expect(report).toContain(
      [
        "### Quota of cloud `example-cloud`",
        "",
        "| item | this stack | all deployments on the cloud | quota |",
        "| --- | --- | --- | --- |",
        "| instances | 4 | 23 | 30 |",
        "| cores | 10 | 156 | 200 |",
      ].join("\n"),
    );
  });

  test("is a blocking risk when the cloud's deployments exceed it", () => {
    const review = reviewStack("evaluation", withQuota(156), withQuota(212));
    expect(review.findings).toEqual([
      expect.objectContaining({ severity: "blocking", rule: "quota-exceeded", message: "the deployments on cloud example-cloud need 212 cores, the donated quota is 200." }),
    ]);
  });
});
