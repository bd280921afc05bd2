/**
 * Post-write steps: git and the dependency install. Each is best-effort: a
 * failure becomes a warning with the command to run by hand, and the
 * generated files stay. Ctrl+C stops the running command (`cancelled`), and
 * the caller prints what is left to do. Loaded only when a step runs.
 */
import path from "node:path";
import { execa } from "execa";

export interface StepResult {
  ok: boolean;
  /** Set when the step failed or was skipped for a reason the user should know. */
  warning?: string;
  /** The user pressed Ctrl+C while it ran. */
  cancelled?: boolean;
}

export const COMMIT_MESSAGE = "Initial commit from create-video-backend";

/** The commands that do what gitInit does, for the user to run by hand. */
export function gitCommands(): string {
  return `git init && git add -A && git commit -m "${COMMIT_MESSAGE}"`;
}

async function run(cmd: string, args: string[], cwd: string, signal?: AbortSignal) {
  return execa(cmd, args, { cwd, reject: false, stdin: "ignore", all: true, cancelSignal: signal });
}

/** Ctrl+C: either our handler aborted the signal, or the terminal's SIGINT reached the child first. */
function interrupted(result: { isCanceled?: boolean; signal?: string }, signal?: AbortSignal): boolean {
  return !!signal?.aborted || !!result.isCanceled || result.signal === "SIGINT";
}

function firstLine(text: string | undefined): string {
  return (text ?? "").split("\n").find((l) => l.trim())?.trim() ?? "no output";
}

export async function gitInit(dir: string, displayDir: string, signal?: AbortSignal): Promise<StepResult> {
  const manual = `cd ${displayDir} && ${gitCommands()}`;
  const top = await run("git", ["rev-parse", "--show-toplevel"], dir, signal);
  if (interrupted(top, signal)) return { ok: false, cancelled: true };
  if (top.exitCode === 0) {
    if (path.resolve(top.stdout.trim()) === path.resolve(dir)) {
      return { ok: true, warning: `${displayDir} is already a git repository: the new files are left for you to commit.` };
    }
    // Inside someone's repository. If that repository ignores the target, the
    // project gets its own history; otherwise its files belong to the outer one.
    const ignored = await run("git", ["check-ignore", "-q", "."], dir, signal);
    if (interrupted(ignored, signal)) return { ok: false, cancelled: true };
    if (ignored.exitCode !== 0) {
      return { ok: true, warning: `${displayDir} is inside the git repository ${top.stdout.trim()}: the new files are left for you to commit there.` };
    }
  }
  const init = await run("git", ["init", "--quiet"], dir, signal);
  if (interrupted(init, signal)) return { ok: false, cancelled: true };
  if (init.failed) return { ok: false, warning: `git init failed (${firstLine(init.all)}). Run by hand: ${manual}` };
  const add = await run("git", ["add", "-A"], dir, signal);
  if (interrupted(add, signal)) return { ok: false, cancelled: true };
  if (add.failed) return { ok: false, warning: `git add failed (${firstLine(add.all)}). Run by hand: ${manual}` };
  const commit = await run("git", ["commit", "--quiet", "-m", COMMIT_MESSAGE], dir, signal);
  if (interrupted(commit, signal)) return { ok: false, cancelled: true };
  if (commit.failed) {
    const reason = /Please tell me who you are|user\.email|user\.name/.test(commit.all ?? "")
      ? "git has no user name/email configured"
      : firstLine(commit.all);
    return {
      ok: false,
      warning: `The first commit failed (${reason}). The repository is initialised and the files are staged; run by hand: cd ${displayDir} && git commit -m "${COMMIT_MESSAGE}"`,
    };
  }
  return { ok: true };
}

export async function installDependencies(
  dir: string,
  displayDir: string,
  pm: string,
  signal?: AbortSignal,
): Promise<StepResult> {
  const result = await run(pm, ["install"], dir, signal);
  if (interrupted(result, signal)) return { ok: false, cancelled: true };
  if (result.failed) {
    const reason = result.code === "ENOENT" ? `${pm} is not installed` : firstLine(result.all?.split("\n").slice(-5).join("\n"));
    return { ok: false, warning: `${pm} install failed (${reason}). Run by hand: cd ${displayDir} && ${pm} install` };
  }
  return { ok: true };
}
