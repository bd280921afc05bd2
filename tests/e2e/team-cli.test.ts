/**
 * The team files through the built CLI: `--dry-run --format plan` prints
 * exactly the docs/PLAN.md the same options write, and `--agents none` writes
 * AGENTS.md and PLAN.md but no `.claude/`.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FAST, runCli, tempCwd } from "./helpers.js";

const FLAGS = ["--yes", "--iap", "none", "--providers", "runway,replicate", "--pm", "pnpm"];

describe("the team files from the CLI", () => {
  it("--dry-run --format plan prints docs/PLAN.md and writes nothing", async () => {
    const cwd = tempCwd();
    const dry = await runCli(["video-app", ...FLAGS, "--dry-run", "--format", "plan"], { cwd });
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(fs.readdirSync(cwd)).toEqual([]);
    const written = await runCli(["video-app", ...FLAGS, ...FAST], { cwd });
    expect(written.exitCode, written.stderr).toBe(0);
    const plan = fs.readFileSync(path.join(cwd, "video-app/docs/PLAN.md"), "utf8");
    expect(dry.stdout).toBe(plan.trimEnd());
    expect(plan).toContain("→ AGENT: provider-integration-specialist");
    expect(plan).not.toContain("iap-verification-specialist");
    expect(plan).toContain("`pnpm verify`");
    const agents = fs.readdirSync(path.join(cwd, "video-app/.claude/agents")).sort();
    expect(agents).toHaveLength(7);
    expect(agents).not.toContain("iap-verification-specialist.md");
  });

  it("--format plan also lands in --json; --agents none leaves out .claude/ and is recorded", async () => {
    const cwd = tempCwd();
    const json = await runCli(["video-app", ...FLAGS, "--dry-run", "--format", "plan", "--json"], { cwd });
    expect(json.exitCode, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).plan).toMatch(/^# How video-app was built\n/);
    const r = await runCli(["video-app", ...FLAGS, ...FAST, "--agents", "none"], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    const dir = path.join(cwd, "video-app");
    expect(fs.existsSync(path.join(dir, ".claude"))).toBe(false);
    expect(fs.existsSync(path.join(dir, "AGENTS.md"))).toBe(true);
    expect(fs.existsSync(path.join(dir, "docs/PLAN.md"))).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "video-backend.json"), "utf8"));
    expect(manifest.options.agents).toBe("none");
    expect(manifest.reproduce).toMatch(/ --agents none$/);
    expect(r.stdout).toContain("--agents none");
  });
});
