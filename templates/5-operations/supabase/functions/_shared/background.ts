/**
 * Work that may finish after the response is sent (alerts, flushing error reports).
 *
 * On Supabase's edge runtime `EdgeRuntime.waitUntil` keeps the worker alive
 * until the promise settles; elsewhere (tests, plain Deno) the promise simply
 * runs on. Either way a failure here never reaches the caller.
 */

export type WaitUntil = (task: Promise<unknown>) => void;

interface EdgeRuntimeLike {
  waitUntil(task: Promise<unknown>): void;
}

/** `EdgeRuntime.waitUntil` when the runtime has it, else undefined. */
export function edgeWaitUntil(): WaitUntil | undefined {
  const runtime = (globalThis as { EdgeRuntime?: EdgeRuntimeLike }).EdgeRuntime;
  return runtime ? (task) => runtime.waitUntil(task) : undefined;
}

/** Runs `task` in the background; its rejection is swallowed (log inside it). */
export function inBackground(task: Promise<unknown>, waitUntil = edgeWaitUntil()): void {
  const quiet = task.catch(() => {});
  waitUntil?.(quiet);
}
