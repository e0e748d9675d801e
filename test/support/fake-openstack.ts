/**
 * A small OpenStack on loopback for `npm run preflight`'s tests: Keystone v3 password and
 * application-credential tokens with a service catalog, and the read-only Nova, Glance, Neutron
 * and Cinder calls preflight makes, answering with the shapes of the real APIs (api-ref of
 * Keystone, Nova 2.1, Glance v2, Neutron v2.0, Cinder v3): the token in X-Subject-Token, 401
 * without a valid X-Auth-Token, quota details as { limit, in_use } (Nova, Cinder) and
 * { limit, used } (Neutron), Nova RAM in MiB.
 */
import { randomUUID } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeFlavor {
  readonly name: string;
  readonly vcpus: number;
  readonly ramMiB: number;
  readonly diskGiB: number;
}

export interface FakeCloud {
  readonly region: string;
  readonly username: string;
  readonly password: string;
  readonly projectName: string;
  flavors: FakeFlavor[];
  images: { name: string; status: string }[];
  networks: { name: string; external: boolean }[];
  /** Limits by API name: Nova instances/cores/ram (MiB), Cinder volumes/gigabytes, Neutron floatingip/security_group/security_group_rule. */
  limits: Record<string, number>;
}

export interface FakeOpenStack {
  readonly authUrl: string;
  readonly cloud: FakeCloud;
  /** `METHOD path` of every request received, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

const PROJECT_ID = "9f2b2d2a0f6a4c0c9a3f1c1d2e3f4a5b";

export async function startFakeOpenStack(cloud: FakeCloud): Promise<FakeOpenStack> {
  const tokens = new Set<string>();
  const requests: string[] = [];
  let base = "";

  const send = (response: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
    response.end(text);
  };
  const catalog = () =>
    [
      ["identity", "keystone", "/identity"],
      ["compute", "nova", "/compute/v2.1"],
      ["image", "glance", "/image"],
      ["network", "neutron", "/network"],
      ["volumev3", "cinderv3", `/volume/v3/${PROJECT_ID}`],
    ].map(([type, name, suffix]) => ({
      type,
      name,
      id: randomUUID().replace(/-/g, ""),
      endpoints: ["public", "internal"].map((endpointInterface) => ({
        id: randomUUID().replace(/-/g, ""),
        interface: endpointInterface,
        region: cloud.region,
        region_id: cloud.region,
        url: `${base}${suffix}`,
      })),
    }));

  const authenticate = (body: string, response: http.ServerResponse) => {
    const identity = (JSON.parse(body) as { auth?: { identity?: { methods?: string[]; password?: { user?: { name?: string; password?: string; domain?: { name?: string } } } } } }).auth?.identity;
    const user = identity?.password?.user;
    if (!identity?.methods?.includes("password") || user?.name !== cloud.username || user.password !== cloud.password || user.domain?.name !== "Default") {
      return send(response, 401, { error: { code: 401, message: "The request you have made requires authentication.", title: "Unauthorized" } });
    }
    const token = randomUUID().replace(/-/g, "");
    tokens.add(token);
    const now = new Date();
    send(
      response,
      201,
      {
        token: {
          methods: ["password"],
          user: { domain: { id: "default", name: "Default" }, id: "4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a99", name: cloud.username, password_expires_at: null },
          audit_ids: [randomUUID().slice(0, 22)],
          expires_at: new Date(now.getTime() + 3600_000).toISOString(),
          issued_at: now.toISOString(),
          project: { domain: { id: "default", name: "Default" }, id: PROJECT_ID, name: cloud.projectName },
          is_domain: false,
          roles: [{ id: "9fe2ff9ee4384b1894a90878d3e92bab", name: "member" }],
          catalog: catalog(),
        },
      },
      { "x-subject-token": token },
    );
  };

  const quotaSet = (names: string[], used: "in_use" | "used") =>
    Object.fromEntries(names.map((name) => [name, { limit: cloud.limits[name] ?? -1, [used]: 0, reserved: 0 }]));

  const server = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      const url = new URL(request.url ?? "/", base);
      requests.push(`${request.method} ${url.pathname}`);
      if (request.method === "POST" && url.pathname === "/identity/v3/auth/tokens") return authenticate(body, response);
      if (!tokens.has(String(request.headers["x-auth-token"]))) {
        return send(response, 401, { error: { code: 401, message: "The request you have made requires authentication.", title: "Unauthorized" } });
      }
      if (request.method !== "GET") return send(response, 405, { error: { message: "Method not allowed in this fake" } });
      const name = url.searchParams.get("name");
      switch (url.pathname) {
        case "/compute/v2.1/flavors/detail":
          return send(response, 200, {
            flavors: cloud.flavors.map((flavor, index) => ({
              id: String(index + 1),
              name: flavor.name,
              vcpus: flavor.vcpus,
              ram: flavor.ramMiB,
              disk: flavor.diskGiB,
              "OS-FLV-EXT-DATA:ephemeral": 0,
              "OS-FLV-DISABLED:disabled": false,
              "os-flavor-access:is_public": true,
              swap: "",
              rxtx_factor: 1.0,
              links: [{ href: `${base}/compute/v2.1/flavors/${index + 1}`, rel: "self" }],
            })),
          });
        case `/compute/v2.1/os-quota-sets/${PROJECT_ID}/detail`:
          return send(response, 200, { quota_set: { id: PROJECT_ID, ...quotaSet(["instances", "cores", "ram", "key_pairs", "server_groups"], "in_use") } });
        case "/image/v2/images":
          return send(response, 200, {
            images: cloud.images
              .filter((image) => name === null || image.name === name)
              .map((image, index) => ({ id: `0c0a5e3b-7f2c-4c1e-9b6d-00000000000${index}`, name: image.name, status: image.status, visibility: "public", disk_format: "qcow2" })),
            schema: "/v2/schemas/images",
            first: `/v2/images${url.search}`,
          });
        case "/network/v2.0/networks":
          return send(response, 200, {
            networks: cloud.networks
              .filter((network) => name === null || network.name === name)
              .map((network, index) => ({ id: `a1b2c3d4-0000-4000-8000-00000000000${index}`, name: network.name, "router:external": network.external, shared: !network.external, status: "ACTIVE", admin_state_up: true })),
          });
        case `/network/v2.0/quotas/${PROJECT_ID}/details`:
          return send(response, 200, { quota: quotaSet(["floatingip", "network", "port", "router", "security_group", "security_group_rule", "subnet"], "used") });
        case `/volume/v3/${PROJECT_ID}/os-quota-sets/${PROJECT_ID}`:
          if (url.searchParams.get("usage") !== "true") return send(response, 400, { badRequest: { message: "this fake answers usage=true only" } });
          return send(response, 200, { quota_set: { id: PROJECT_ID, ...quotaSet(["volumes", "gigabytes", "snapshots", "backups"], "in_use") } });
        default:
          return send(response, 404, { itemNotFound: { code: 404, message: `${url.pathname} not found` } });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    authUrl: `${base}/identity/v3`,
    cloud,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
