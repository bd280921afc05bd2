/** One line per check: what ran, how it ended, how long it took, and why it failed. */

export type CheckStatus = "pass" | "fail" | "missing";

export interface Check {
  name: string;
  status: CheckStatus;
  ms: number;
  detail?: string;
}

/** A check's outcome before timing is attached. */
export interface Outcome {
  status: CheckStatus;
  detail?: string;
}

export const pass = (detail?: string): Outcome => (detail ? { status: "pass", detail } : { status: "pass" });
export const fail = (detail: string): Outcome => ({ status: "fail", detail });
export const missing = (detail: string): Outcome => ({ status: "missing", detail });

/** Runs one check, timing it; a thrown error is a failure with its message. */
export async function timed(name: string, fn: () => Promise<Outcome>): Promise<Check> {
  const started = performance.now();
  let outcome: Outcome;
  try {
    outcome = await fn();
  } catch (err) {
    outcome = fail(err instanceof Error ? err.message : String(err));
  }
  const ms = Math.round(performance.now() - started);
  return { name, ms, ...outcome };
}

const MARK: Record<CheckStatus, string> = { pass: "✔", fail: "✖", missing: "?" };

export function formatCheck(c: Check): string {
  const head = `${MARK[c.status]} ${c.name.padEnd(24)} ${c.status.padEnd(7)} ${formatMs(c.ms).padStart(7)}`;
  if (!c.detail) return head;
  // Details of passing checks are one short note; failures keep every line.
  const lines = c.status === "pass" ? [c.detail.split("\n")[0]] : c.detail.trimEnd().split("\n");
  return [head, ...lines.map((l) => `    ${l}`)].join("\n");
}

export function formatMs(ms: number): string {
  // Durations come from performance.now(): round, never print 1.3267060000000015ms.
  return Math.round(ms) < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}

export function summary(checks: Check[], ci: boolean, totalMs: number): { ok: boolean; line: string } {
  const count = (s: CheckStatus) => checks.filter((c) => c.status === s).length;
  const failed = count("fail");
  const miss = count("missing");
  const ok = failed === 0 && (!ci || miss === 0);
  const parts = [`${count("pass")} passed`, `${failed} failed`];
  if (miss) parts.push(`${miss} missing${ci ? " (CI: missing tools fail the run)" : " (not run: install the tools named above)"}`);
  // Outside CI a missing tool does not fail the run, but it is never called passed.
  const head = !ok ? "verify FAILED" : miss ? "verify INCOMPLETE" : "verify passed";
  return { ok, line: `${head}: ${parts.join(", ")} in ${formatMs(totalMs)}` };
}
