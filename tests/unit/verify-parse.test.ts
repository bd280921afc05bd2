import { afterAll, describe, expect, it } from "vitest";
import { parseTap } from "../../src/verify/pgtap.js";
import { formatCheck, summary, type Check } from "../../src/verify/report.js";
import { explainPushFailure } from "../../src/verify/supabase-cli.js";

describe("parseTap", () => {
  it("counts results, keeps failures with their names, honours TODO and SKIP", () => {
    const tap = parseTap([
      "1..4",
      "ok 1 - users exists",
      "not ok 2 - owner reads\n# Failed test 2: \"owner reads\"\n#         have: 0\n#         want: 1",
      "not ok 3 - later # TODO not built yet",
      "ok 4 # SKIP no apple",
      "# Looks like you failed 1 test of 4",
    ]);
    expect(tap.planned).toBe(4);
    expect(tap.ran).toBe(4);
    expect(tap.failures).toEqual(["not ok 2 - owner reads"]);
    expect(tap.diagnostics).toContain("#         want: 1");
  });

  it("reports no plan when there is none", () => {
    expect(parseTap(["ok 1 - a"]).planned).toBeUndefined();
  });
});

describe("explainPushFailure", () => {
  it("names the migration being applied and keeps the SQL error", () => {
    const out = [
      "Connecting to remote database...",
      "Applying migration 20260101000000_a.sql...",
      "Applying migration 20260101000100_b.sql...",
      'ERROR: syntax error at or near "tabel" (SQLSTATE 42601)',
      "At statement: 1",
      "create tabel public.b (id int)",
      "Try rerunning the command with --debug to troubleshoot the error.",
    ].join("\n");
    const detail = explainPushFailure(out);
    expect(detail).toMatch(/^supabase\/migrations\/20260101000100_b.sql: ERROR: syntax error at or near "tabel"/);
    expect(detail).toContain("create tabel public.b");
    expect(detail).not.toContain("Try rerunning");
  });
});

describe("report", () => {
  const checks: Check[] = [
    { name: "db push", status: "pass", ms: 1200 },
    { name: "deno test", status: "missing", ms: 0, detail: "install Deno: npm install -D deno" },
  ];
  it("never counts a missing tool as passed, and fails it under CI", () => {
    expect(summary(checks, false, 1000).ok).toBe(true);
    expect(summary(checks, true, 1000).ok).toBe(false);
    expect(summary(checks, false, 1000).line).toMatch(/^verify INCOMPLETE: 1 passed, 0 failed, 1 missing/);
    expect(summary(checks, true, 1000).line).toMatch(/^verify FAILED/);
  });
  it("prints one line per check with its time, and the reason under it", () => {
    expect(formatCheck(checks[0]!)).toMatch(/^✔ db push\s+pass\s+1\.2s$/);
    expect(formatCheck(checks[1]!)).toMatch(/missing[\s\S]*\n {4}install Deno/);
  });
});

describe("readProject and denoTestFiles", async () => {
  const fs = await import("node:fs");
  const os = await import("node:os");
  const path = await import("node:path");
  const { readProject } = await import("../../src/verify/project.js");
  const { denoTestFiles } = await import("../../src/verify/deno.js");

  const made: string[] = [];
  afterAll(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  function project(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-project-"));
    made.push(dir);
    for (const [file, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), content);
    }
    return dir;
  }

  it("reads the PostgreSQL major from config.toml and lists tests in run order", () => {
    const dir = project({
      "supabase/config.toml": 'project_id = "x"\n[db]\nmajor_version = 15\n',
      "supabase/migrations/20260101000001_b.sql": "",
      "supabase/migrations/20260101000000_a.sql": "",
      "supabase/tests/20_b.test.sql": "",
      "supabase/tests/10_a.test.sql": "",
      "supabase/tests/README.md": "",
    });
    const p = readProject(dir);
    expect(p.pgMajor).toBe(15);
    expect(p.migrations).toEqual(["20260101000000_a.sql", "20260101000001_b.sql"]);
    expect(p.tests).toEqual(["10_a.test.sql", "20_b.test.sql"]);
  });

  it("explains a directory that is not a project, and an unsupported major", () => {
    expect(() => readProject(project({ "README.md": "" }))).toThrow(/config.toml not found/);
    expect(() => readProject(project({ "supabase/config.toml": "[db]\nmajor_version = 14\n" }))).toThrow(
      /major_version = 14: verify supports 15 and 17/,
    );
  });

  it("finds Deno tests named the Supabase way and the Deno way, and nothing else", () => {
    const dir = project({
      "tests/generate-video-test.ts": "",
      "tests/ledger_test.ts": "",
      "tests/pg_db.ts": "",
      "_shared/http.test.ts": "",
      "generate-video/handler.ts": "",
      "latest.ts": "",
    });
    expect(denoTestFiles(dir)).toEqual(["_shared/http.test.ts", "tests/generate-video-test.ts", "tests/ledger_test.ts"]);
  });
});

describe("findPgtapSource", async () => {
  const { findPgtapSource } = await import("../../src/verify/pgtap.js");
  it("finds the installed pgTAP extension files", () => {
    const dir = findPgtapSource();
    expect(dir, "pgTAP must be installed for verify (apt-get install postgresql-15-pgtap)").toBeDefined();
    expect(dir).toMatch(/extension$/);
  });
});
