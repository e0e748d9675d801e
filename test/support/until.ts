/**
 * Waiting in tests for something a real peer does (a line logged, a message received): polls
 * `probe` until it gives a value other than undefined or false, or fails naming what was awaited
 * and, when given, what `context` says (a peer's latest log lines).
 */
export async function until<T>(what: string, probe: () => T | undefined | false, options: { timeoutMs?: number; context?: () => string } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${options.context ? `; ${options.context()}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
