import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { RenderedFile } from "../../src/render.js";
import { resolveTarget } from "../../src/target.js";
import { CancelledError, writeProject } from "../../src/write.js";

function files(n: number): RenderedFile[] {
  return Array.from({ length: n }, (_, i) => ({ path: `dir${i % 3}/file${i}.txt`, content: `file ${i}\n`, layer: 1 }));
}

function workspace() {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-write-"));
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
    await expect(writeProject(target, [{ path: "../evil.txt", content: "x", layer: 0 }], { force: false })).rejects
      .toThrow(/outside the project/);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });
});
