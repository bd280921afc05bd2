import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import type { RenderedFile } from "../../src/render.js";
import { resolveTarget } from "../../src/target.js";
import { CancelledError, WriteError, writeProject } from "../../src/write.js";

const workspaces: string[] = [];
afterAll(() => {
  for (const dir of workspaces.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

function files(n: number): RenderedFile[] {
  return Array.from({ length: n }, (_, i) => ({ path: `dir${i % 3}/file${i}.txt`, content: `file ${i}\n`, layer: 1 }));
}

function workspace() {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-write-"));
  workspaces.push(cwd);
  return { cwd, target: resolveTarget("app", cwd) };
}

/** An AbortSignal that aborts after `n` files have been started. */
function abortAfter(n: number): AbortSignal {
  const controller = new AbortController();
  let count = 0;
  return new Proxy(controller.signal, {
    get(target, prop) {
      if (prop === "aborted") {
        if (++count > n) controller.abort();
        return target.aborted;
      }
      return Reflect.get(target, prop);
    },
  });
}

describe("writeProject", () => {
  it("writes every file into a new directory and leaves nothing beside it", async () => {
    const { cwd, target } = workspace();
    await writeProject(target, files(10), { force: false });
    expect(fs.readdirSync(cwd)).toEqual(["app"]);
    expect(fs.readFileSync(path.join(target.dir, "dir1/file4.txt"), "utf8")).toBe("file 4\n");
  });

  it("an abort mid-write (Ctrl+C) leaves the target as it was", async () => {
    const { cwd, target } = workspace();
    await expect(writeProject(target, files(20), { force: false, signal: abortAfter(7) })).rejects.toBeInstanceOf(
      CancelledError,
    );
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it("a failure mid-write leaves the target as it was", async () => {
    const { cwd, target } = workspace();
    // "x" is a file, so "x/y.txt" cannot be written: a real ENOTDIR half way through.
    const broken = [...files(5), { path: "x", content: "1", layer: 1 }, { path: "x/y.txt", content: "2", layer: 1 }];
    await expect(writeProject(target, broken, { force: false })).rejects.toThrow(/ENOTDIR|EEXIST/);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it("with --force, an abort mid-merge removes only what it added", async () => {
    const { cwd, target } = workspace();
    fs.mkdirSync(path.join(target.dir, "dir0"), { recursive: true });
    fs.writeFileSync(path.join(target.dir, "mine.txt"), "mine");
    fs.writeFileSync(path.join(target.dir, "dir0/file0.txt"), "file 0\n"); // identical: allowed
    // Abort after the staging write (20 checks + 1) and a few merged files.
    await expect(writeProject(target, files(20), { force: true, signal: abortAfter(26) })).rejects.toBeInstanceOf(
      CancelledError,
    );
    expect(fs.readdirSync(target.dir).sort()).toEqual(["dir0", "mine.txt"]);
    expect(fs.readdirSync(path.join(target.dir, "dir0"))).toEqual(["file0.txt"]);
    expect(fs.readdirSync(cwd)).toEqual(["app"]);
  });

  it("refuses a rendered path that would leave the project", async () => {
    const { cwd, target } = workspace();
    for (const evil of ["../evil.txt", "a/../../evil.txt", "/tmp/evil.txt", "a//b.txt"]) {
      await expect(writeProject(target, [{ path: evil, content: "x", layer: 0 }], { force: false }), evil).rejects
        .toThrow(/outside the project/);
      expect(fs.readdirSync(cwd)).toEqual([]);
    }
  });

  it("a target holding only .git, .DS_Store and Thumbs.db gets the files beside them", async () => {
    const { cwd, target } = workspace();
    fs.mkdirSync(path.join(target.dir, ".git"), { recursive: true });
    fs.writeFileSync(path.join(target.dir, ".git/HEAD"), "ref: refs/heads/main\n");
    fs.writeFileSync(path.join(target.dir, ".DS_Store"), "x");
    fs.writeFileSync(path.join(target.dir, "Thumbs.db"), "y");
    await writeProject(target, files(6), { force: false });
    expect(fs.readdirSync(target.dir).sort()).toEqual([".DS_Store", ".git", "Thumbs.db", "dir0", "dir1", "dir2"]);
    expect(fs.readFileSync(path.join(target.dir, ".git/HEAD"), "utf8")).toBe("ref: refs/heads/main\n");
    expect(fs.readdirSync(cwd)).toEqual(["app"]);
  });

  for (const [code, message] of [
    ["ENOSPC", /^Cannot write app: no space left on the device \(ENOSPC\)\. Free some space, or choose a directory on another disk\. Nothing was written\.$/],
    ["EROFS", /^Cannot write app: the file system is read-only \(EROFS\)\. Choose a directory on a writable disk\./],
    ["EACCES", /^Cannot write app: permission denied \(EACCES\)\. Choose a directory you can write to/],
    ["EIO", /^Cannot write app: write failed \(EIO\)\. Check the directory, or choose another one\./],
  ] as const) {
    it(`${code} half way through: one message naming the target and the fix, nothing left`, async () => {
      const { cwd, target } = workspace();
      const write = fs.writeFileSync;
      let calls = 0;
      vi.spyOn(fs, "writeFileSync").mockImplementation((...args: Parameters<typeof fs.writeFileSync>) => {
        if (++calls === 4) {
          throw Object.assign(new Error(`${code}: failure, write '${String(args[0])}'`), { code, syscall: "write" });
        }
        return write(...args);
      });
      const error = await writeProject(target, files(10), { force: false }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WriteError);
      expect((error as WriteError).exitCode).toBe(1);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain(".creating-");
      expect(fs.readdirSync(cwd)).toEqual([]);
    });
  }
});
