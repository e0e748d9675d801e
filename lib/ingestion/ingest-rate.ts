/**
 * The ingest rate the data nodes must sustain, for the capacity check at synth: the documents a
 * day of `daily_ingest_gib` holds, spread over the day, written once per copy (primary and
 * replicas) and shared by the data nodes, against what a node's vCPUs index.
 *
 * Both figures come from `npm run bench` on the real test node (scripts/bench-ingestion.ts), with
 * documents the ingestion service makes from real-shaped devstack and tempest logs, sent as the
 * service sends them (fixed ids, `create`, the pipeline skipped):
 * - BYTES_PER_DOCUMENT: the index's primary store size, divided by its documents (159.8 bytes for
 *   60,000 documents, after a flush and merged alike); fewer bytes mean more documents a day, so
 *   the figure is not rounded up;
 * - DOCUMENTS_PER_SECOND_PER_VCPU: the best rate into the single 2-vCPU node, per vCPU, with the
 *   bench's own client on the same two cores and other work on the machine (10,346 documents/s,
 *   5,173 per vCPU), rounded down.
 * A data node may spend INDEXING_SHARE of that on the day's average: the rest is for the busy hours
 * of the CI, merges and searches.
 */
import type { SearchTopology } from "../search/topology";

export const BYTES_PER_DOCUMENT = 160;
export const DOCUMENTS_PER_SECOND_PER_VCPU = 5000;
export const INDEXING_SHARE = 0.5;

export interface IngestRateReport {
  /** Documents a second over the day, primaries only. */
  readonly documentsPerSecond: number;
  /** What each data node writes, every copy counted. */
  readonly perDataNode: number;
  /** What each data node may spend on it. */
  readonly budgetPerDataNode: number;
  readonly fits: boolean;
  readonly summary: string;
}

export function ingestRate(topology: SearchTopology): IngestRateReport {
  const documentsPerSecond = (topology.dailyIngestGiB * 2 ** 30) / BYTES_PER_DOCUMENT / 86_400;
  const copies = 1 + topology.replicas;
  const perDataNode = (documentsPerSecond * copies) / topology.dataNodes.count;
  const budgetPerDataNode = topology.dataNodes.flavor.vcpus * DOCUMENTS_PER_SECOND_PER_VCPU * INDEXING_SHARE;
  const round = (value: number) => Math.round(value).toLocaleString("en-US");
  const summary =
    `indexes ${round(documentsPerSecond)} documents/s (${topology.dailyIngestGiB} GiB/day at ${BYTES_PER_DOCUMENT} bytes a document), ` +
    `${round(perDataNode)}/s per data node with ${copies} copies, of ${round(budgetPerDataNode)}/s it may spend (${topology.dataNodes.flavor.vcpus} vCPUs × ${DOCUMENTS_PER_SECOND_PER_VCPU}/s × ${INDEXING_SHARE})`;
  return { documentsPerSecond, perDataNode, budgetPerDataNode, fits: perDataNode <= budgetPerDataNode, summary };
}
