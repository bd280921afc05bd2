/**
 * `doctor` and `deploy` on the command line: exit codes, usage errors, and a
 * dry run that needs no network (the full deploy is in tests/matrix/deploy.test.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readGeneratedProject } from "../../src/doctor/project.js";
import { envText, goodValues } from "../deploy/fixtures.js";
import { FAST, runCli, tempCwd } from "./helpers.js";

let cwd: string;
let dir: string;
const REF = "abcdefghijklmnopqrst";

beforeAll(async () => {
  cwd = tempCwd();
  const r = await runCli(["video-app", "--yes", ...FAST, "--iap", "apple,revenuecat"], { cwd });
  expect(r.exitCode, r.stderr).toBe(0);
  dir = path.join(cwd, "video-app");
});
afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

describe("doctor and deploy commands", () => {
  it("the generated project has npm run doctor and npm run deploy", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts).toMatchObject({ doctor: "create-video-backend doctor", deploy: "create-video-backend deploy" });
  });

  it("doctor exits 1 and names each missing secret; exits 0 once .env is filled", async () => {
    const missing = await runCli(["doctor", dir], { cwd });
    expect(missing.exitCode).toBe(1);
    expect(missing.stdout).toMatch(/^✗ CRON_SECRET: missing/m);
    expect(missing.stdout).toMatch(/^✗ REVENUECAT_WEBHOOK_AUTH: missing/m);
    fs.writeFileSync(path.join(dir, ".env"), envText(goodValues(readGeneratedProject(dir))));
    const ok = await runCli(["doctor"], { cwd: dir });
    expect(ok.exitCode, ok.stdout).toBe(0);
  });

  it("deploy --dry-run prints the steps and commands without running the CLI", async () => {
    fs.writeFileSync(path.join(dir, ".env"), envText(goodValues(readGeneratedProject(dir))));
    const r = await runCli(["deploy", dir, "--project-ref", REF, "--dry-run"], { cwd });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`supabase link --project-ref ${REF}`);
    expect(r.stdout).toContain("supabase functions deploy generate-video job-status poll-jobs fal-webhook device-check verify-purchase apple-notifications revenuecat-webhook health");
    expect(r.stdout).toMatch(/Nothing was changed/);
    // The CLI never ran: it would have written its link state.
    expect(fs.existsSync(path.join(dir, "supabase", ".temp"))).toBe(false);
  });

  it("usage errors exit 2 and name the fix", async () => {
    const from = await runCli(["deploy", dir, "--project-ref", REF, "--from", "everything"], { cwd });
    expect(from.exitCode).toBe(2);
    expect(from.stderr).toMatch(/--from must be one of link, config, db, vault, secrets, functions, smoke/);
    const noRef = await runCli(["deploy", dir, "--dry-run"], { cwd });
    expect(noRef.exitCode).toBe(2);
    expect(noRef.stderr).toMatch(/--project-ref/);
    const badRef = await runCli(["deploy", dir, "--project-ref", "My-Project"], { cwd });
    expect(badRef.exitCode).toBe(2);
    const onCreate = await runCli(["other-app", "--yes", "--project-ref", REF], { cwd });
    expect(onCreate.exitCode).toBe(2);
    expect(onCreate.stderr).toMatch(/--project-ref belongs to the deploy command/);
  });

  it("outside a generated project both exit 1 and say why", async () => {
    for (const cmd of ["doctor", "deploy"]) {
      const r = await runCli([cmd, cwd], { cwd });
      expect(r.exitCode, cmd).toBe(1);
      expect(r.stderr).toMatch(/video-backend\.json not found/);
    }
  });
});
