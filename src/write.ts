/**
 * The only code that writes the user's target directory.
 *
 * Everything is first written to a temporary directory beside the target.
 * Then either one rename makes it the target (new or empty target), or, with
 * --force into a non-empty target, each file is moved in after checking that
 * no existing file would be overwritten. A failure or an abort (Ctrl+C) at any
 * point removes what this run created, so the target is left exactly as it was.
 */
import { randomBytes } from "node:crypto";
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

export interface WriteOptions {
  force: boolean;
  /** Aborted on Ctrl+C: the write stops and cleans up. */
  signal?: AbortSignal;
}

export async function writeProject(target: Target, files: RenderedFile[], options: WriteOptions): Promise<void> {
  const createdDirs = await mkdirTracked(path.dirname(target.dir));
  const staging = path.join(
    path.dirname(target.dir),
    `.${target.name}.creating-${process.pid}-${randomBytes(4).toString("hex")}`,
  );
  try {
    await writeTree(staging, files, options.signal);
    if (existingEntries(target.dir).length === 0) {
      // rename(2) replaces an empty directory atomically.
      await fs.promises.rename(staging, target.dir);
    } else {
      if (!options.force) {
        throw new TargetNotEmptyError(`${target.display} was filled while the project was being written; nothing was changed.`);
      }
      await mergeInto(target.dir, staging, files, options.signal);
    }
  } catch (error) {
    await fs.promises.rm(staging, { recursive: true, force: true });
    for (const dir of createdDirs.reverse()) await fs.promises.rmdir(dir).catch(() => {});
    throw error;
  }
  await fs.promises.rm(staging, { recursive: true, force: true });
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

async function writeTree(root: string, files: RenderedFile[], signal?: AbortSignal): Promise<void> {
  await fs.promises.mkdir(root);
  for (const file of files) {
    checkAbort(signal);
    const full = safeJoin(root, file.path);
    await fs.promises.mkdir(path.dirname(full), { recursive: true });
    await fs.promises.writeFile(full, file.content, { flag: "wx", mode: file.mode ?? 0o644 });
  }
  checkAbort(signal);
}

/** Joins a rendered path under root, refusing anything that would leave it. */
function safeJoin(root: string, rel: string): string {
  const full = path.resolve(root, rel);
  if (path.isAbsolute(rel) || !full.startsWith(root + path.sep)) {
    throw new Error(`Refusing to write ${rel}: it is outside the project.`);
  }
  return full;
}

/** Directories created on the way to `dir`, outermost first. */
async function mkdirTracked(dir: string): Promise<string[]> {
  const missing: string[] = [];
  let current = dir;
  while (!fs.existsSync(current)) {
    missing.unshift(current);
    current = path.dirname(current);
  }
  for (const d of missing) await fs.promises.mkdir(d);
  return missing;
}

/** --force: move files into a non-empty target, never replacing a different file. */
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
  const createdFiles: string[] = [];
  const createdDirs: string[] = [];
  try {
    for (const file of files) {
      checkAbort(signal);
      const dest = safeJoin(dir, file.path);
      if (fs.existsSync(dest)) continue; // identical content already there
      for (const d of await mkdirTracked(path.dirname(dest))) createdDirs.push(d);
      await fs.promises.rename(path.join(staging, file.path), dest);
      createdFiles.push(dest);
    }
  } catch (error) {
    for (const f of createdFiles) await fs.promises.rm(f, { force: true });
    for (const d of createdDirs.reverse()) await fs.promises.rmdir(d).catch(() => {});
    throw error;
  }
}
