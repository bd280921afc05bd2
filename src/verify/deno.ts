/**
 * The Edge Functions under Deno: type check, lint, format, tests. Tests get a
 * migrated database (DATABASE_URL, role postgres) and network access to
 * 127.0.0.1 only, where they serve their fakes of third-party APIs.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { walk } from "./project.js";
import { fail, type Outcome, pass } from "./report.js";

export const DENO_HINT = "install Deno: npm install -D deno (or see https://deno.com)";

/** One module cache for every run, so the matrix downloads each npm package once. */
export function denoDir(): string {
  if (process.env.DENO_DIR) return process.env.DENO_DIR;
  const cache = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache");
  return path.join(cache, "create-video-backend", "deno");
}

interface DenoRun {
  bin: string;
  functionsDir: string;
  env?: Record<string, string>;
  /** Files the tests may write (the contract record). */
  allowWrite?: string[];
}

async function deno(run: DenoRun, args: string[]) {
  return execa(run.bin, args, {
    cwd: run.functionsDir,
    reject: false,
    stdin: "ignore",
    all: true,
    timeout: 600_000,
    env: { DENO_DIR: denoDir(), NO_COLOR: "1", RUST_BACKTRACE: "0", DENO_NO_UPDATE_CHECK: "1", ...run.env },
  });
}

/** Without a committed deno.lock, verify must not write one into the project. */
function lockArgs(functionsDir: string): string[] {
  return fs.existsSync(path.join(functionsDir, "deno.lock")) ? [] : ["--no-lock"];
}

/** Deno's output, with absolute paths made project-relative and noise dropped. */
export function tidyOutput(output: string, functionsDir: string, maxLines = 60): string {
  const prefix = functionsDir.endsWith(path.sep) ? functionsDir : functionsDir + path.sep;
  const lines = output
    // deno colours some hints even with NO_COLOR.
    .replace(/\u001b\[[0-9;]*m/g, "")
    .replaceAll(`file://${prefix}`, "supabase/functions/")
    .replaceAll(prefix, "supabase/functions/")
    .split("\n")
    .filter((l) => l.trim() && !/^(Download|Check|Initialize|Stack backtrace|\s+\d+: <unknown>)/.test(l));
  return lines.length > maxLines ? [...lines.slice(0, maxLines), `… ${lines.length - maxLines} more lines`].join("\n") : lines.join("\n");
}

export async function denoCheck(run: DenoRun): Promise<Outcome> {
  const r = await deno(run, ["check", ...lockArgs(run.functionsDir)]);
  return r.exitCode === 0 ? pass() : fail(tidyOutput(r.all ?? "", run.functionsDir));
}

export async function denoLint(run: DenoRun): Promise<Outcome> {
  const r = await deno(run, ["lint"]);
  return r.exitCode === 0 ? pass() : fail(tidyOutput(r.all ?? "", run.functionsDir));
}

export async function denoFmt(run: DenoRun): Promise<Outcome> {
  const r = await deno(run, ["fmt", "--check"]);
  if (r.exitCode === 0) return pass();
  const files = [...(r.all ?? "").matchAll(/^from (.+):$/gm)].map((m) => m[1]!);
  const head = files.length
    ? `not formatted (run deno fmt in supabase/functions):\n${files.map((f) => `  ${tidyOutput(f, run.functionsDir)}`).join("\n")}\n`
    : "";
  return fail(head + tidyOutput(r.all ?? "", run.functionsDir, 30));
}

/** Deno test files: `*-test.ts`, `*_test.ts`, `*.test.ts` (Supabase docs use tests/<fn>-test.ts). */
export function denoTestFiles(functionsDir: string): string[] {
  return walk(functionsDir).filter((f) => /(^|[/_.-])test\.(ts|tsx|mts|js|mjs)$/.test(f)).sort();
}

export async function denoTest(run: DenoRun): Promise<Outcome> {
  const files = denoTestFiles(run.functionsDir);
  if (files.length === 0) return fail("no Deno tests found (supabase/functions/tests/*-test.ts)");
  const r = await deno(run, [
    "test",
    ...lockArgs(run.functionsDir),
    // Type errors are `deno check`'s to report; here only behaviour counts.
    "--no-check",
    "--allow-env",
    "--allow-read",
    "--allow-net=127.0.0.1,localhost",
    ...(run.allowWrite?.length ? [`--allow-write=${run.allowWrite.join(",")}`] : []),
    ...files,
  ]);
  const out = r.all ?? "";
  const summary = /^(ok|FAILED) \| (\d+) passed.*$/m.exec(out)?.[0];
  if (r.exitCode === 0) return pass(summary ?? `${files.length} files`);
  return fail(tidyOutput(failureReport(out), run.functionsDir, 80));
}

/** The part of `deno test` output that says what failed: from " ERRORS " (each
 * failing test with its assertion) on; the whole output when there is none. */
export function failureReport(out: string): string {
  const at = out.search(/^[ \t]*ERRORS[ \t]*$/m);
  return at >= 0 ? out.slice(at) : out;
}
