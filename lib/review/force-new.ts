/**
 * Which argument changes make Terraform replace a resource (destroy, then create, or the
 * reverse with create_before_destroy) instead of updating it in place.
 *
 * Written by reading the providers' source at the releases this project pins:
 * - terraform-provider-openstack v3.4.0, `openstack/resource_openstack_<type>.go`:
 *   `ForceNew: true` in each resource's schema (and its CustomizeDiff);
 * - hashicorp/random v3.7.2, `internal/provider/resource_password.go`, and hashicorp/tls
 *   v4.1.0, `internal/provider/resource_*.go`: the `RequiresReplace` plan modifiers.
 *
 * A nested block counts as forcing replacement when the block itself or any attribute inside it
 * is ForceNew: changing anything in it is reported as a replacement, and the report says which
 * nested attributes made it so. `test/review-force-new.test.ts` checks that every resource type
 * of the committed provider schema has an entry here and that every name exists in the schema.
 */

export interface ForceNewBlock {
  /** Whether the block itself is ForceNew (any change to it replaces the resource). */
  readonly block: boolean;
  /** The attributes inside the block that are ForceNew. */
  readonly nested: readonly string[];
}

export interface ReplacementFacts {
  /** Top-level arguments whose change replaces the resource. */
  readonly forceNew: readonly string[];
  /** Nested blocks treated as forcing replacement as a whole. */
  readonly forceNewBlocks?: Readonly<Record<string, ForceNewBlock>>;
  /**
   * Arguments updated in place, but with an effect a reviewer should know about (a rebuild, a
   * resize, a replacement only in some states).
   */
  readonly inPlaceNotes?: Readonly<Record<string, string>>;
}

const REGION_AND_TENANT = ["region", "tenant_id"] as const;

/** The fields of a tls certificate's or request's `subject` block, each RequiresReplace. */
const TLS_SUBJECT_FIELDS = [
  "organization", "common_name", "organizational_unit", "street_address", "locality", "province", "country",
  "postal_code", "serial_number", "email_address",
] as const;

export const REPLACEMENT_FACTS: Readonly<Record<string, ReplacementFacts>> = {
  openstack_blockstorage_volume_v3: {
    forceNew: [
      "region", "availability_zone", "snapshot_id", "source_vol_id", "image_id", "backup_id", "consistency_group_id",
      "source_replica",
    ],
    forceNewBlocks: {
      scheduler_hints: { block: false, nested: ["different_host", "same_host", "query", "local_to_instance", "additional_properties"] },
    },
    inPlaceNotes: {
      size: "extended in place (online with enable_online_resize); Cinder cannot shrink a volume",
      volume_type: "retyped in place only with volume_retype_policy on-demand; otherwise the update fails",
    },
  },
  openstack_compute_instance_v2: {
    forceNew: [
      "region", "user_data", "availability_zone_hints", "availability_zone", "network_mode", "hypervisor_hostname",
      "config_drive", "key_pair",
    ],
    forceNewBlocks: {
      network: { block: true, nested: ["uuid", "name", "port", "fixed_ip_v4", "fixed_ip_v6"] },
      block_device: {
        block: false,
        nested: [
          "source_type", "uuid", "volume_size", "destination_type", "boot_index", "delete_on_termination", "guest_format",
          "volume_type", "device_type", "disk_bus", "multiattach",
        ],
      },
      scheduler_hints: {
        block: false,
        nested: ["group", "different_host", "same_host", "query", "target_cell", "different_cell", "build_near_host_ip", "additional_properties"],
      },
    },
    inPlaceNotes: {
      image_id: "rebuilds the server in place: its root disk is re-imaged",
      image_name: "rebuilds the server in place: its root disk is re-imaged",
      personality: "rebuilds the server in place: its root disk is re-imaged",
      flavor_id: "resizes the server (it reboots); replaced instead if its current flavor no longer exists",
      flavor_name: "resizes the server (it reboots); replaced instead if its current flavor no longer exists",
      power_state: "starts, stops, pauses or shelves the server in place",
    },
  },
  openstack_compute_keypair_v2: { forceNew: ["region", "name", "public_key", "value_specs", "user_id"] },
  openstack_compute_servergroup_v2: {
    forceNew: ["region", "name", "policies", "value_specs"],
    forceNewBlocks: { rules: { block: true, nested: ["max_server_per_host"] } },
  },
  openstack_compute_volume_attach_v2: {
    forceNew: ["region", "instance_id", "volume_id", "multiattach", "tag"],
    forceNewBlocks: { vendor_options: { block: true, nested: [] } },
  },
  openstack_dns_recordset_v2: { forceNew: ["region", "zone_id", "name", "type", "value_specs", "project_id"] },
  openstack_networking_floatingip_associate_v2: { forceNew: ["region", "floating_ip"] },
  openstack_networking_floatingip_v2: {
    forceNew: [...REGION_AND_TENANT, "address", "pool", "value_specs", "dns_name", "dns_domain"],
  },
  openstack_networking_network_v2: {
    forceNew: [...REGION_AND_TENANT, "value_specs", "availability_zone_hints", "transparent_vlan"],
  },
  openstack_networking_port_v2: {
    forceNew: [...REGION_AND_TENANT, "network_id", "mac_address", "device_owner", "device_id", "value_specs"],
  },
  openstack_networking_router_interface_v2: { forceNew: ["region", "router_id", "subnet_id", "port_id"] },
  openstack_networking_router_v2: {
    forceNew: [...REGION_AND_TENANT, "distributed", "value_specs", "availability_zone_hints"],
  },
  openstack_networking_secgroup_rule_v2: {
    // Neutron cannot update a rule: every argument replaces it.
    forceNew: [
      ...REGION_AND_TENANT, "description", "direction", "ethertype", "port_range_min", "port_range_max", "protocol",
      "remote_group_id", "remote_ip_prefix", "remote_address_group_id", "security_group_id",
    ],
  },
  openstack_networking_secgroup_v2: { forceNew: [...REGION_AND_TENANT, "delete_default_rules"] },
  openstack_networking_subnet_v2: {
    forceNew: [
      ...REGION_AND_TENANT, "network_id", "cidr", "prefix_length", "ip_version", "ipv6_address_mode", "ipv6_ra_mode",
      "subnetpool_id", "value_specs",
    ],
  },
  openstack_objectstorage_container_v1: { forceNew: ["region", "storage_policy", "storage_class"] },

  // hashicorp/random 3.7.2: every argument of random_password requires replacement (a new password).
  random_password: {
    forceNew: [
      "keepers", "length", "special", "upper", "lower", "number", "numeric", "min_numeric", "min_upper", "min_lower",
      "min_special", "override_special",
    ],
  },
  // hashicorp/tls 4.1.0. PEM inputs replace when their content changes (not on a reformatting of the same PEM).
  tls_private_key: { forceNew: ["algorithm", "rsa_bits", "ecdsa_curve"] },
  tls_self_signed_cert: {
    forceNew: [
      "private_key_pem", "validity_period_hours", "allowed_uses", "dns_names", "ip_addresses", "uris", "is_ca_certificate",
      "set_subject_key_id", "set_authority_key_id",
    ],
    forceNewBlocks: { subject: { block: true, nested: TLS_SUBJECT_FIELDS } },
    inPlaceNotes: { early_renewal_hours: "updated in place; the certificate is replaced once it is within this many hours of expiry" },
  },
  tls_cert_request: {
    forceNew: ["private_key_pem", "dns_names", "ip_addresses", "uris"],
    forceNewBlocks: { subject: { block: true, nested: TLS_SUBJECT_FIELDS } },
  },
  tls_locally_signed_cert: {
    forceNew: [
      "ca_cert_pem", "ca_private_key_pem", "cert_request_pem", "validity_period_hours", "allowed_uses", "is_ca_certificate",
      "set_subject_key_id",
    ],
    inPlaceNotes: { early_renewal_hours: "updated in place; the certificate is replaced once it is within this many hours of expiry" },
  },
};

/**
 * Attributes whose values Terraform treats as sensitive. A value that refers to one of them is
 * never shown in a review, even though it is only a reference.
 */
export const SENSITIVE_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  openstack_compute_instance_v2: ["admin_pass"],
  openstack_compute_keypair_v2: ["private_key"],
  random_password: ["result", "bcrypt_hash"],
  tls_private_key: ["private_key_pem", "private_key_openssh", "private_key_pem_pkcs8"],
  tls_self_signed_cert: ["private_key_pem"],
  tls_cert_request: ["private_key_pem"],
  tls_locally_signed_cert: ["ca_private_key_pem"],
};

/** Why changing `argument` (a top-level argument or block of `type`) replaces the resource; undefined when it does not. */
export function replacementReason(type: string, argument: string): string | undefined {
  const facts = REPLACEMENT_FACTS[type];
  if (!facts) return undefined;
  if (facts.forceNew.includes(argument)) return `${argument} forces replacement`;
  const block = facts.forceNewBlocks?.[argument];
  if (!block) return undefined;
  if (block.block) return `${argument} (block) forces replacement`;
  const names = block.nested.length > 3 ? `${block.nested.slice(0, 3).join(", ")}, …` : block.nested.join(", ");
  return `${argument} (block) forces replacement: attributes inside it (${names}) are ForceNew, so the whole block is treated as forcing replacement`;
}

/** Whether the type's replacement facts are known; for an unknown type, a review cannot tell replacements from updates. */
export function hasReplacementFacts(type: string): boolean {
  return type in REPLACEMENT_FACTS;
}

export function inPlaceNote(type: string, argument: string): string | undefined {
  return REPLACEMENT_FACTS[type]?.inPlaceNotes?.[argument];
}

export function isSensitiveAttribute(type: string, attribute: string): boolean {
  return SENSITIVE_ATTRIBUTES[type]?.includes(attribute) ?? false;
}
