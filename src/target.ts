/**
 * Where the project goes, and whether it may go there. Reads the file system,
 * never writes it.
 */
import fs from "node:fs";
import path from "node:path";
import validateName from "validate-npm-package-name";
import { UsageError } from "./options.js";

export interface Target {
  /** Absolute path of the project directory. */
  dir: string;
  /** The npm package name (the directory's base name). */
  name: string;
  /** How to refer to it in printed commands (`cd <display>`). */
  display: string;
}

/** Thrown when the target exists and holds files: exit 1, nothing written. */
export class TargetNotEmptyError extends Error {
  readonly exitCode = 1;
}

export function resolveTarget(input: string, cwd = process.cwd()): Target {
  if (input.trim() === "") throw new UsageError("The project directory cannot be empty. Example: create-video-backend my-app");
  if (input.includes("\0")) throw new UsageError("The project directory contains a NUL byte.");
  const dir = path.resolve(cwd, input);
  if (!path.isAbsolute(input)) {
    const rel = path.relative(cwd, dir);
    if (rel === ".." || rel.startsWith(`..${path.sep}`)) {
      throw new UsageError(
        `"${input}" resolves outside the current directory (${dir}). Run the command from where the project should live, or give an absolute path.`,
      );
    }
    assertNoSymlinks(cwd, dir, input);
  } else if (isSymlink(dir)) {
    throw new UsageError(`"${input}" is a symbolic link. Give the real directory instead.`);
  }
  const name = path.basename(dir);
  const verdict = validateName(name);
  if (!verdict.validForNewPackages) {
    const problems = [...(verdict.errors ?? []), ...(verdict.warnings ?? [])].join("; ");
    throw new UsageError(
      `"${name}" is not a valid npm package name (${problems}). Use lowercase letters, digits, "-" and "_", e.g. ${suggestName(name)}.`,
    );
  }
  return { dir, name, display: path.isAbsolute(input) ? dir : path.relative(cwd, dir) || "." };
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Every existing component between cwd and the target must be a real directory. */
function assertNoSymlinks(cwd: string, dir: string, input: string): void {
  let current = cwd;
  for (const part of path.relative(cwd, dir).split(path.sep).filter(Boolean)) {
    current = path.join(current, part);
    if (isSymlink(current)) {
      throw new UsageError(
        `"${input}" goes through the symbolic link ${current}, which could point anywhere. Give a real directory inside ${cwd}.`,
      );
    }
  }
}

/** npm's limit on a package name's length. */
const MAX_NAME = 214;

/** A valid npm package name close to `name`, never `name` itself (which was refused). */
export function suggestName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9-_]+/g, "-")
    .replace(/^[-_.]+|[-_]+$/g, "")
    .slice(0, 60)
    .replace(/[-_]+$/, "");
  const candidates = cleaned ? [cleaned, `${cleaned}-app`, `my-${cleaned}`] : [];
  for (const candidate of [...candidates, "my-video-backend"]) {
    if (candidate !== name && candidate.length <= MAX_NAME && validateName(candidate).validForNewPackages) return candidate;
  }
  return "my-video-backend";
}

/**
 * Entries that do not make a directory "not empty": a fresh `git init` or
 * clone, and the files macOS Finder and Windows Explorer leave behind (as
 * create-vite decides). They are never touched; the project is added beside them.
 */
export const IGNORABLE_ENTRIES: readonly string[] = [".git", ".DS_Store", "Thumbs.db"];

/** Files already in the target that count, or [] when it is missing or (as good as) empty. */
export function existingEntries(dir: string): string[] {
  try {
    const stat = fs.statSync(dir);
    if (!stat.isDirectory()) return [path.basename(dir)];
    return fs.readdirSync(dir).filter((entry) => !IGNORABLE_ENTRIES.includes(entry));
  } catch {
    return [];
  }
}

export function assertWritable(target: Target, force: boolean): void {
  const entries = existingEntries(target.dir);
  if (entries.length === 0) return;
  if (fs.existsSync(target.dir) && !fs.statSync(target.dir).isDirectory()) {
    throw new TargetNotEmptyError(`${target.display} exists and is not a directory. Choose another project name.`);
  }
  if (!force) {
    const shown = entries.slice(0, 5).join(", ") + (entries.length > 5 ? `, … (${entries.length} in all)` : "");
    throw new TargetNotEmptyError(
      `${target.display} is not empty (${shown}). Choose another directory, or pass --force to add the project beside these files (nothing is deleted or overwritten).`,
    );
  }
}
