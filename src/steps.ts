/**
 * Post-write steps: git and the dependency install. Each is best-effort: a
 * failure becomes a warning with the command to run by hand, and the
 * generated files stay.
 */
import { execa } from "execa";

export interface StepResult {
  ok: boolean;
  /** Set when the step failed or was skipped for a reason the user should know. */
  warning?: string;
}

async function run(cmd: string, args: string[], cwd: string) {
  return execa(cmd, args, { cwd, reject: false, stdin: "ignore", all: true });
}

function firstLine(text: string | undefined): string {
  return (text ?? "").split("\n").find((l) => l.trim())?.trim() ?? "no output";
}

export async function gitInit(dir: string, displayDir: string): Promise<StepResult> {
  const inside = await run("git", ["rev-parse", "--is-inside-work-tree"], dir);
  if (inside.exitCode === 0 && inside.stdout.trim() === "true") {
    return { ok: true, warning: "Already inside a git repository: left it to you to commit the new files." };
  }
  const manual = `cd ${displayDir} && git init && git add -A && git commit -m "Initial commit from create-video-backend"`;
  const init = await run("git", ["init", "--quiet"], dir);
  if (init.failed) return { ok: false, warning: `git init failed (${firstLine(init.all)}). Run by hand: ${manual}` };
  const add = await run("git", ["add", "-A"], dir);
  if (add.failed) return { ok: false, warning: `git add failed (${firstLine(add.all)}). Run by hand: ${manual}` };
  const commit = await run("git", ["commit", "--quiet", "-m", "Initial commit from create-video-backend"], dir);
  if (commit.failed) {
    const reason = /Please tell me who you are|user\.email|user\.name/.test(commit.all ?? "")
      ? "git has no user name/email configured"
      : firstLine(commit.all);
    return {
      ok: false,
      warning: `The first commit failed (${reason}). The repository is initialised and the files are staged; run by hand: cd ${displayDir} && git commit -m "Initial commit from create-video-backend"`,
    };
  }
  return { ok: true };
}

export async function installDependencies(dir: string, displayDir: string, pm: string): Promise<StepResult> {
  const result = await run(pm, ["install"], dir);
  if (result.failed) {
    const reason = result.code === "ENOENT" ? `${pm} is not installed` : firstLine(result.all?.split("\n").slice(-5).join("\n"));
    return { ok: false, warning: `${pm} install failed (${reason}). Run by hand: cd ${displayDir} && ${pm} install` };
  }
  return { ok: true };
}
