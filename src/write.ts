/**
 * The only code that writes the user's target directory.
 *
 * Everything is first written to a temporary directory beside the target.
 * Then either one rename makes it the target (new or empty target), or each
 * file is moved in after checking that no existing file would be overwritten
 * (--force into a non-empty target, or a target holding only entries that do
 * not count, such as `.git`). A failure or an abort (Ctrl+C) at any point
 * removes what this run created, so the target is left exactly as it was.
 */
import fs from "node:fs";
import path from "node:path";
import type { RenderedFile } from "./renderer.js";
import { existingEntries, type Target, TargetNotEmptyError } from "./target.js";

export class CancelledError extends Error {
  readonly exitCode = 130;
  constructor() {
    super("Cancelled: nothing was written.");
  }
}

/** The file system refused the write (permissions, full disk, read-only…): exit 1, one line naming the fix. */
export class WriteError extends Error {
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export interface WriteOptions {
  force: boolean;
  /** Aborted on Ctrl+C: the write stops and cleans up. */
  signal?: AbortSignal;
}

export async function writeProject(target: Target, files: RenderedFile[], options: WriteOptions): Promise<void> {
  const parent = path.dirname(target.dir);
  // Unique enough beside the target (mkdir fails rather than reuse one);
  // node:crypto would add a few milliseconds of loading to every run.
  const suffix = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const staging = path.join(parent, `.${target.name}.creating-${suffix}`);
  const createdDirs: string[] = [];
  try {
    createdDirs.push(...mkdirTracked(parent));
    await writeTree(staging, files, options.signal);
    if (!renameInto(staging, target.dir)) {
      // Not empty: with --force, or holding only entries that do not count
      // (.git, .DS_Store), or a mount point rename cannot reach: move file by file.
      if (existingEntries(target.dir).length > 0 && !options.force) {
        throw new TargetNotEmptyError(`${target.display} was filled while the project was being written; nothing was changed.`);
      }
      await mergeInto(target.dir, staging, files, options.signal);
    }
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    removeDirs(createdDirs);
    throw describeWriteError(error, target);
  }
  // After a merge, the staging directory still holds its (now empty) folders.
  if (fs.existsSync(staging)) fs.rmSync(staging, { recursive: true, force: true });
}

/** rename(2) makes the staging directory the target atomically; false when it cannot (not empty, across devices). */
function renameInto(staging: string, dir: string): boolean {
  try {
    fs.renameSync(staging, dir);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTEMPTY" || code === "EEXIST" || code === "EXDEV" || code === "EBUSY") return false;
    throw error;
  }
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

/**
 * Every file into the (new) staging directory: each directory once, parents
 * first, then the files with synchronous calls (for a couple of hundred small
 * files far cheaper than a promise round trip each), yielding to the event
 * loop now and then so that Ctrl+C is seen.
 */
async function writeTree(root: string, files: RenderedFile[], signal?: AbortSignal): Promise<void> {
  fs.mkdirSync(root);
  const targets = files.map((file) => ({ full: safeJoin(root, file.path), file }));
  const dirs = new Set<string>();
  for (const { full } of targets) {
    for (let dir = path.dirname(full); dir !== root && !dirs.has(dir); dir = path.dirname(dir)) dirs.add(dir);
  }
  for (const dir of [...dirs].sort((a, b) => a.length - b.length)) fs.mkdirSync(dir);
  for (const [i, { full, file }] of targets.entries()) {
    if (i % 32 === 31) await new Promise((resolve) => setImmediate(resolve));
    checkAbort(signal);
    fs.writeFileSync(full, file.content, { flag: "wx", mode: file.mode ?? 0o644 });
  }
  await new Promise((resolve) => setImmediate(resolve));
  checkAbort(signal);
}

/**
 * Joins a rendered (`/`-separated) path under root, refusing anything that
 * could leave it: absolute paths and `.`, `..` or empty segments.
 */
export function safeJoin(root: string, rel: string): string {
  const parts = rel.split("/");
  if (parts.some((p) => p === "" || p === "." || p === ".." || p.includes("\\") || p.includes("\0"))) {
    throw new Error(`Refusing to write ${rel}: it is outside the project.`);
  }
  return root + path.sep + parts.join(path.sep);
}

/** Creates `dir` and its missing parents; returns the directories created, outermost first. */
export function mkdirTracked(dir: string): string[] {
  const missing: string[] = [];
  let current = dir;
  while (!fs.existsSync(current)) {
    missing.unshift(current);
    current = path.dirname(current);
  }
  const created: string[] = [];
  for (const d of missing) {
    fs.mkdirSync(d);
    created.push(d);
  }
  return created;
}

/** Removes the directories this run created, innermost first, if they are empty. */
export function removeDirs(created: string[]): void {
  for (const dir of [...created].reverse()) {
    try {
      fs.rmdirSync(dir);
    } catch {
      // Not empty (someone else's file) or already gone: leave it.
    }
  }
}

/** Moves files into an existing target, never replacing a different file; undoes its moves on failure. */
async function mergeInto(dir: string, staging: string, files: RenderedFile[], signal?: AbortSignal): Promise<void> {
  const conflicts = files
    .map((f) => f.path)
    .filter((rel) => {
      const existing = path.join(dir, rel);
      if (!fs.existsSync(existing)) return false;
      const stat = fs.lstatSync(existing);
      return !stat.isFile() || fs.readFileSync(existing, "utf8") !== fs.readFileSync(path.join(staging, rel), "utf8");
    });
  if (conflicts.length > 0) {
    throw new TargetNotEmptyError(
      `--force never overwrites a file, and these already exist with other content: ${conflicts.slice(0, 8).join(", ")}${
        conflicts.length > 8 ? ` (+${conflicts.length - 8} more)` : ""
      }. Move them away or choose another directory.`,
    );
  }
  // fs-extra only here, off the fast path (it costs ~10 ms to load): its move
  // falls back to copy + remove across devices and never replaces a file.
  const { default: fse } = await import("fs-extra");
  const createdFiles: string[] = [];
  const createdDirs: string[] = [];
  try {
    createdDirs.push(...mkdirTracked(dir));
    for (const file of files) {
      checkAbort(signal);
      const dest = safeJoin(dir, file.path);
      if (fs.existsSync(dest)) continue; // identical content already there
      createdDirs.push(...mkdirTracked(path.dirname(dest)));
      await fse.move(path.join(staging, file.path), dest, { overwrite: false });
      createdFiles.push(dest);
    }
  } catch (error) {
    for (const f of createdFiles) await fse.remove(f);
    removeDirs(createdDirs);
    throw error;
  }
}

/** What each way the file system refuses a write means, and what the user can do about it. */
const FIXES: Record<string, [what: string, fix: string]> = {
  EACCES: ["permission denied", "Choose a directory you can write to, or fix its permissions"],
  EPERM: ["operation not permitted", "Choose a directory you can write to, or fix its permissions"],
  ENOSPC: ["no space left on the device", "Free some space, or choose a directory on another disk"],
  EDQUOT: ["disk quota exceeded", "Free some space, or choose a directory on another disk"],
  EROFS: ["the file system is read-only", "Choose a directory on a writable disk"],
  ENAMETOOLONG: ["a path is too long for this file system", "Choose a shorter directory"],
  EMFILE: ["too many open files", "Close other programs or raise the limit (ulimit -n), then try again"],
  ENOTDIR: ["a part of the path is a file, not a directory", "Choose another directory"],
};

/**
 * A file-system error → one line naming the target and the fix, without the
 * staging path (an internal detail). Our own errors pass through unchanged.
 */
function describeWriteError(error: unknown, target: Target): unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (typeof code !== "string" || !/^E[A-Z]+$/.test(code) || (error as { exitCode?: number }).exitCode !== undefined) {
    return error;
  }
  const [what, fix] = FIXES[code] ?? [(error as NodeJS.ErrnoException).syscall ? `${(error as NodeJS.ErrnoException).syscall} failed` : "the write failed", "Check the directory, or choose another one"];
  return new WriteError(`Cannot write ${target.display}: ${what} (${code}). ${fix}. Nothing was written.`, code);
}
