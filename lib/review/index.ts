/**
 * Reviewing a change of the synthesized stacks: the diff of each stack and its risks.
 * `scripts/review.ts` (`npm run review`) synthesizes both sides and prints `renderReport`.
 */
import { diffStacks, type StackDiff, type StackJson } from "./diff";
import { findRisks, type Finding, type RiskOptions } from "./risks";

export type { StackDiff, StackJson } from "./diff";
export type { Finding, QuotaHook, RiskOptions, Severity } from "./risks";
export { noQuotaFindings } from "./risks";

export interface StackReview {
  readonly diff: StackDiff;
  /** Blocking first. */
  readonly findings: readonly Finding[];
}

/** Reviews one stack; `before` or `after` is undefined when the stack exists on one side only. */
export function reviewStack(name: string, before: StackJson | undefined, after: StackJson | undefined, options: RiskOptions = {}): StackReview {
  const diff = diffStacks(name, before, after);
  return { diff, findings: findRisks(diff, after, options) };
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
