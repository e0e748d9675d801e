/**
 * Reviewing a change of the synthesized stacks: the diff of each stack and its risks.
 * `scripts/review.ts` (`npm run review`) synthesizes both sides and prints `renderReport`.
 */
import { diffStacks, type StackDiff, type StackJson } from "./diff";
import {
  appearingStackFindings, findRisks, quotaRecordOf, removedStackFinding, sortFindings, type Finding, type LeftBehind, type QuotaRecord,
  type RiskOptions,
} from "./risks";

export type { StackDiff, StackJson } from "./diff";
export type { Finding, LeftBehind, QuotaHook, RiskOptions, Severity } from "./risks";
export { noQuotaFindings, recordedQuotaFindings } from "./risks";

export interface StackReview {
  readonly diff: StackDiff;
  /** Blocking first. */
  readonly findings: readonly Finding[];
  /** Usage against the donated quota after the change, when the stack records it. */
  readonly quota?: QuotaRecord;
  /** Stacks of the same cloud that the change removes: nothing destroys them, so they keep using the quota. */
  readonly leftBehind?: LeftBehind;
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
  const reviews = names.map((name) => reviewStack(name, before[name], after[name], options));
  const cloudOf = (stack: StackJson | undefined) => (stack ? quotaRecordOf(stack)?.cloud : undefined);
  const appearing = reviews.filter((review) => review.diff.presence === "added").map((review) => review.diff.stack);
  const leftBehind = new Map<string | undefined, { stacks: string[]; usage: Record<string, number> }>();
  for (const review of reviews.filter((item) => item.diff.presence === "removed")) {
    const record = quotaRecordOf(before[review.diff.stack]);
    const left = leftBehind.get(record?.cloud) ?? { stacks: [], usage: {} };
    left.stacks.push(review.diff.stack);
    for (const [item, used] of Object.entries(record?.stack_usage ?? {})) left.usage[item] = (left.usage[item] ?? 0) + used;
    leftBehind.set(record?.cloud, left);
  }
  return reviews.map((review) => {
    const { stack, presence } = review.diff;
    if (presence === "removed") {
      const cloud = cloudOf(before[stack]);
      const sameCloud = appearing.filter((name) => cloudOf(after[name]) === cloud);
      return { ...review, findings: sortFindings([...review.findings, removedStackFinding(review.diff, before[stack], sameCloud)]) };
    }
    const left = leftBehind.get(cloudOf(after[stack]));
    if (!left || !review.quota) return review;
    const extra = presence === "added" ? appearingStackFindings(review.diff, after[stack], left) : [];
    return { ...review, leftBehind: left, findings: sortFindings([...review.findings, ...extra]) };
  });
}

export function hasBlockingFinding(reviews: readonly StackReview[]): boolean {
  return reviews.some((review) => review.findings.some((finding) => finding.severity === "blocking"));
}
