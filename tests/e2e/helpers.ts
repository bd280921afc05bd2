import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll } from "vitest";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const BIN = path.join(ROOT, "bin/create-video-backend.js");

if (!fs.existsSync(path.join(ROOT, "dist/cli.js"))) {
  throw new Error("dist/cli.js is missing: run `npm run build` first (npm test does it for you).");
}

/** Temporary directories made by this test file, removed when it ends. */
const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh, empty working directory for one test (removed when the test file ends). */
export function tempCwd(prefix = "cvb-e2e-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

/** A directory holding an executable `name` that runs the shell `script`: put it first on PATH to stand in for a tool. */
export function fakeCommand(name: string, script: string): string {
  const dir = tempCwd("cvb-fake-bin-");
  fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return dir;
}

/** Runs the built CLI without a terminal (stdin closed, output piped). */
export async function runCli(args: string[], options: { cwd: string; env?: Record<string, string>; extendEnv?: boolean }) {
  return execa("node", [BIN, ...args], {
    cwd: options.cwd,
    reject: false,
    stdin: "ignore",
    env: { npm_config_user_agent: "", CI: "", ...options.env },
    extendEnv: options.extendEnv ?? true,
  });
}

/** path → sha256 of every file below dir (sorted), to prove a tree did not change. */
export function treeHash(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out[path.relative(dir, full)] = createHash("sha256").update(fs.readFileSync(full)).digest("hex");
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

export const FAST = ["--no-git", "--no-install"];
