/**
 * Reviewing a change of the synthesized stacks: the diff of each stack and its risks.
 * `scripts/review.ts` (`npm run review`) synthesizes both sides and prints `renderReport`.
 */
import { diffStacks, type StackDiff, type StackJson } from "./diff";
import { findRisks, quotaRecordOf, type Finding, type QuotaRecord, type RiskOptions } from "./risks";

export type { StackDiff, StackJson } from "./diff";
export type { Finding, QuotaHook, RiskOptions, Severity } from "./risks";
export { noQuotaFindings, recordedQuotaFindings } from "./risks";

export interface StackReview {
  readonly diff: StackDiff;
  /** Blocking first. */
  readonly findings: readonly Finding[];
  /** Usage against the donated quota after the change, when the stack records it. */
  readonly quota?: QuotaRecord;
}

/** Reviews one stack; `before` or `after` is undefined when the stack exists on one side only. */
export function reviewStack(name: string, before: StackJson | undefined, after: StackJson | undefined, options: RiskOptions = {}): StackReview {
  const diff = diffStacks(name, before, after);
  return { diff, findings: findRisks(diff, after, options), quota: after ? quotaRecordOf(after) : undefined };
}

/** Reviews every stack of either side (by stack name), in name order. */
export function reviewStacks(
  before: Readonly<Record<string, StackJson>>,
  after: Readonly<Record<string, StackJson>>,
  options: RiskOptions = {},
): StackReview[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names.map((name) => reviewStack(name, before[name], after[name], options));
}

export function hasBlockingFinding(reviews: readonly StackReview[]): boolean {
  return reviews.some((review) => review.findings.some((finding) => finding.severity === "blocking"));
}
