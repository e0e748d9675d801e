/**
 * The documents of the field contract (lib/field-contract.ts), keeping upstream logsender's field
 * names and values, and where each goes:
 * - its id is `<build uuid>:<file path>:<line>`, the same whenever and by whichever worker the
 *   file is read, so that the cluster refuses a document it already has (409 to a `create`)
 *   instead of adding it again: a restart, a retry, a replaced worker or a re-read file adds nothing;
 * - its index is the day (UTC) of its `@timestamp`, `<prefix>YYYY.MM.DD`, so a day's index holds
 *   that day's lines and is deleted with them;
 * - it skips the index's default ingest pipeline (`_none`) when the service set the fields of
 *   every stage itself (lib/ingestion/ingest-pipeline.ts).
 */
import type { LogFieldName } from "../../lib/field-contract";
import type { DownloadListEntry } from "../../lib/ingestion/download-list";
import { servicePipeline } from "../../lib/ingestion/ingest-pipeline";
import type { SourceShard } from "../../lib/ingestion/partition";
import type { NodeFacts } from "./inventory";
import type { Message } from "./lines";
import type { Build } from "./zuul";

export type Fields = Partial<Record<LogFieldName, string | number | readonly string[]>>;

export interface Document {
  readonly index: string;
  readonly id: string;
  /** The bulk item's `pipeline`, when not the index's default. */
  readonly pipeline?: string;
  readonly source: Fields;
}

const PIPELINE = servicePipeline();

/** The fields every document of a build has. */
export function buildFields(build: Build, source: SourceShard, nodes: NodeFacts): Fields {
  const fields: Fields = {
    build_uuid: build.uuid,
    build_short_uuid: build.uuid.slice(0, 7),
    build_name: build.job,
    build_status: build.result,
    build_set: build.buildset,
    build_queue: build.pipeline,
    build_ref: build.ref,
    build_branch: build.branch,
    build_change: build.change,
    build_patchset: build.patchset,
    build_newrev: build.newrev,
    build_node: build.nodeset,
    project: build.project,
    voting: build.voting ? 1 : 0,
    tenant: source.tenant,
    change_url: build.changeUrl,
    hosts_id: nodes.hostsId,
    hosts_region: nodes.hostsRegion,
    node_provider: nodes.nodeProvider,
    zuul_executor: nodes.zuulExecutor,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Fields;
}

/** The fields every document of one file of a build has. */
export function fileFields(build: Build, common: Fields, entry: DownloadListEntry): Fields {
  const base = entry.name.slice(entry.name.lastIndexOf("/") + 1);
  return { ...common, filename: base, tags: [...entry.tags, base], log_url: `${build.logUrl}${entry.name}` };
}

export function indexOf(prefix: string, timeMs: number): string {
  const day = new Date(timeMs).toISOString().slice(0, 10).replace(/-/g, ".");
  return `${prefix}${day}`;
}

export function documentOf(build: Build, entry: DownloadListEntry, common: Fields, prefix: string, message: Message): Document {
  return {
    index: indexOf(prefix, message.timeMs),
    id: `${build.uuid}:${entry.name}:${message.line}`,
    ...(PIPELINE !== undefined ? { pipeline: PIPELINE } : {}),
    source: { "@timestamp": new Date(message.timeMs).toISOString(), message: message.text, line_number: message.line, ...message.fields, ...common },
  };
}
