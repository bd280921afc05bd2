/**
 * The one writer of add/upgrade: every new content is staged first (beside
 * the project files, in `.cvb-evolve-*`), the originals are backed up, then
 * each file is moved into place; any failure restores every original and
 * removes every added file, so the project is left exactly as it was.
 */
import fs from "node:fs";
import path from "node:path";
import fse from "fs-extra";
import { mkdirTracked, removeDirs, safeJoin as join } from "../write.js";

export interface WriteOp {
  path: string;
  /** New content; absent = delete the file. */
  content?: string;
  mode?: number;
}

export async function applyWrites(dir: string, ops: WriteOp[], hooks: { beforeMove?: (i: number) => void } = {}): Promise<void> {
  const work = path.join(dir, `.cvb-evolve-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  const staged = path.join(work, "new");
  const backup = path.join(work, "old");
  const done: Array<{ op: WriteOp; hadOriginal: boolean }> = [];
  const createdDirs: string[] = [];
  try {
    for (const op of ops) {
      const target = join(dir, op.path);
      if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
        // Said before anything moves (fs-extra's move would only fail mid-way with "Cannot overwrite directory").
        throw Object.assign(new Error(`${op.path} is a directory in your project, where this version writes a file: move it away and run again. Nothing was written.`), {
          exitCode: 1,
        });
      }
      if (fs.existsSync(target)) await fse.copy(target, join(backup, op.path), { preserveTimestamps: true });
      if (op.content !== undefined) {
        const file = join(staged, op.path);
        await fse.outputFile(file, op.content);
        const mode = op.mode ?? (fs.existsSync(target) ? fs.statSync(target).mode & 0o777 : 0o644);
        fs.chmodSync(file, mode);
      }
    }
    for (const [i, op] of ops.entries()) {
      hooks.beforeMove?.(i);
      const target = join(dir, op.path);
      const hadOriginal = fs.existsSync(target);
      done.push({ op, hadOriginal });
      if (op.content === undefined) {
        await fse.remove(target);
        continue;
      }
      createdDirs.push(...mkdirTracked(path.dirname(target)));
      await fse.move(join(staged, op.path), target, { overwrite: true });
    }
  } catch (error) {
    for (const { op, hadOriginal } of done.reverse()) {
      const target = join(dir, op.path);
      if (hadOriginal) await fse.copy(join(backup, op.path), target, { overwrite: true, preserveTimestamps: true });
      else await fse.remove(target);
    }
    removeDirs(createdDirs);
    throw error;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
