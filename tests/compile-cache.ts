/**
 * vitest globalSetup: every CLI the tests spawn keeps its compile cache
 * (src/engine-load.ts) in one directory of this run, removed at the end, so
 * that tests neither leave it in the OS temp dir nor share it with a user's.
 */
import fs from "node:fs";

export default function setup(): () => void {
  const dir = process.env.CVB_COMPILE_CACHE;
  return () => {
    if (dir && dir.includes("cvb-test-compile-cache-")) fs.rmSync(dir, { recursive: true, force: true });
  };
}
