/**
 * The search cluster's part of `npm run bench`: the cluster test/search-cluster.engine.test.ts runs
 * (test/support/search-cluster.ts: the production example's three cluster-manager and two data
 * nodes, each from its rendered files, with the real security plugin and TLS on transport),
 * started the same way, with the time each step takes to a green cluster:
 *   - the five JVMs spawned together, to green;
 *   - a data node killed (SIGKILL) and started again on its data, to green;
 *   - a cluster-manager killed and replaced on an empty data folder (the rendered bootstrap guard
 *     run first, as on a server), to green.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { openSearchGate } from "../test/support/opensearch";
import { LoopbackCluster, PRODUCTION_TEST_CLUSTER, productionTestCluster } from "../test/support/search-cluster";

export interface ClusterFigures {
  /** Seconds from spawning every node to a green cluster, per run. */
  readonly startSeconds: number[];
  readonly dataNodeRestartSeconds: number[];
  readonly managerReplacementSeconds: number[];
}

const seconds = (since: number) => (Date.now() - since) / 1000;

/** Starts the cluster `runs` times; a string says why it could not run. */
export async function benchCluster(runs: number): Promise<ClusterFigures | string> {
  const gate = openSearchGate();
  if (!gate.run) return "fail" in gate ? gate.fail : gate.skip;
  const figures: ClusterFigures = { startSeconds: [], dataNodeRestartSeconds: [], managerReplacementSeconds: [] };
  const nodeCount = PRODUCTION_TEST_CLUSTER.managers.length + PRODUCTION_TEST_CLUSTER.data.length;
  for (let run = 0; run < runs; run++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-cluster-"));
    let cluster: LoopbackCluster | undefined;
    try {
      cluster = await LoopbackCluster.start(productionTestCluster(dir, 900_000));
      figures.startSeconds.push(cluster.startMs / 1000);

      const dataNode = PRODUCTION_TEST_CLUSTER.data[1];
      await cluster.kill(dataNode);
      let since = Date.now();
      cluster.restart(dataNode);
      await cluster.awaitHealth(nodeCount, 600_000);
      figures.dataNodeRestartSeconds.push(seconds(since));

      const manager = PRODUCTION_TEST_CLUSTER.managers[2];
      await cluster.kill(manager);
      since = Date.now();
      const laidOut = cluster.layOutReplacement(manager);
      const guard = await cluster.runBootstrapGuard(laidOut, path.join(dir, "guard"));
      if (guard.status !== 0) throw new Error(`the bootstrap guard failed (${guard.status}): ${guard.stderr}`);
      cluster.launch(laidOut);
      await cluster.awaitHealth(nodeCount, 600_000);
      figures.managerReplacementSeconds.push(seconds(since));
    } finally {
      await cluster?.stopAll();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return figures;
}
