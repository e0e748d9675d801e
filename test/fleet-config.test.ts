import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { serversPerDeployment, writeFleetConfig } from "./fixtures/fleet-config";
import { exampleConfigDir } from "./support/config-fixture";
import { resourcesOf, synthConfig } from "./support/synth";

// npm run bench synthesizes the generated fleet; a fleet the config loader refuses leaves the bench with nothing to time.
describe("the bench's generated fleet", () => {
  test("is a config that synthesizes, with the servers the bench counts and the production example's monitoring server", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-"));
    // The bench's deployments: 13 data nodes (31 servers), which the production example's ingest needs.
    const shape = { clouds: 2, deploymentsPerCloud: 1, dataNodes: 13 };
    const counted = writeFleetConfig(exampleConfigDir, dir, shape);
    expect(counted).toBe(2 * serversPerDeployment(shape));
    const stacks = synthConfig(dir);
    expect(Object.keys(stacks).sort()).toEqual(["fleet-1-1", "fleet-2-1"]);
    for (const stack of Object.values(stacks)) {
      const names = Object.values(resourcesOf(stack, "openstack_compute_instance_v2")).map((server) => server.name as string);
      expect(names.filter((name) => !name.endsWith("-monitoring-1"))).toHaveLength(serversPerDeployment(shape));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
