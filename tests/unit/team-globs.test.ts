/**
 * The ownership globs are compiled when the package is built (precompile.ts
 * puts them in the template bundle) and matched with a literal-prefix test
 * before the regex (team.ts), and a whole tree is matched through a sorted
 * index (ownership). All must say exactly what picomatch says at run time, or
 * a file would change owner between the tests and the CLI.
 */
import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import { withDefaults } from "../../src/options.js";
import { buildContext } from "../../src/plan.js";
import { loadTemplateBundle } from "../../src/precompile.js";
import { TEMPLATES_DIR } from "../../src/render.js";
import { renderTemplates } from "../../src/renderer.js";
import { compileGlob } from "../../src/glob-compile.js";
import { matchesCompiled, ownerOf, ownership, teamGlobs } from "../../src/team.js";

const NOW = new Date("2026-01-01T00:00:00Z");
const bundle = loadTemplateBundle(TEMPLATES_DIR);

/** Every path of the all-features project, and paths a user might add by hand. */
function samplePaths(): string[] {
  const options = withDefaults(
    {
      auth: ["apple", "anonymous", "devicecheck"],
      iap: ["apple", "google", "revenuecat"],
      providers: ["fal", "runway", "replicate"],
      monitoring: ["sentry", "telegram"],
    },
    { agents: "claude" },
    "npm",
  );
  const rendered = renderTemplates(buildContext("x", options, { name: "create-video-backend", version: "0.0.0" }, NOW), NOW, bundle, () => "{}\n");
  return [
    ...rendered.map((f) => f.path),
    "",
    "supabase",
    "supabase/migrations",
    "supabase/migrationsX/20260101000000_users.sql",
    "supabase/migrations/.hidden_users.sql",
    "supabase/migrations/sub/1_users.sql",
    "./supabase/config.toml",
    "supabase\\config.toml",
    "supabase/functions/_shared/providers/../auth.ts",
    "supabase/functions/my-fn/index.ts",
    "supabase/functions/generate-video/.env",
    "supabase/functions/tests/api_x_test.ts",
    "supabase/tests/19_extra.test.sql",
    "supabase/tests/9_extra.test.sql",
    ".github/workflows/x.yml",
    "docs/NOTES.md",
    "README.md.bak",
    "clients",
    "clients/swift/Sources/x.swift",
  ];
}

describe("ownership globs", () => {
  it("the bundle holds every team glob, compiled as picomatch compiles it now", () => {
    expect(Object.keys(bundle.globs ?? {}).sort()).toEqual(teamGlobs().sort());
    for (const glob of teamGlobs()) {
      const built = bundle.globs![glob]!;
      const now = compileGlob(glob);
      expect({ base: built.base, re: built.re?.source }, glob).toEqual({ base: now.base, re: now.re?.source });
    }
  });

  it("matching with the prefix test agrees with picomatch's regex on every path", () => {
    const paths = samplePaths();
    expect(paths.length).toBeGreaterThan(150);
    const disagreements: string[] = [];
    for (const glob of teamGlobs()) {
      const compiled = compileGlob(glob);
      const reference = picomatch.makeRe(glob, { dot: true });
      for (const p of paths) {
        if (matchesCompiled(compiled, p) !== reference.test(p)) disagreements.push(`${glob} on ${p}`);
      }
    }
    expect(disagreements).toEqual([]);
  });

  it("the whole-tree index gives each path ownerOf's owner and each glob exactly the paths picomatch matches", () => {
    // The paths a project can hold (not "" nor "./…"): the fallback `**` gives each of them an owner.
    const paths = samplePaths().filter((p) => picomatch.makeRe("**", { dot: true }).test(p));
    expect(paths.length).toBeGreaterThan(150);
    const index = ownership(paths);
    const wrongOwner = paths.filter((p) => index.owners.get(p) !== ownerOf(p));
    expect(wrongOwner).toEqual([]);
    const wrongFiles: string[] = [];
    for (const glob of teamGlobs()) {
      const reference = picomatch.makeRe(glob, { dot: true });
      const expected = [...new Set(paths.filter((p) => reference.test(p)))].sort();
      if (JSON.stringify(index.filesOf(glob)) !== JSON.stringify(expected)) wrongFiles.push(glob);
    }
    expect(wrongFiles).toEqual([]);
    // The sample holds hand-added files that only the fallback rules own.
    expect(new Set(index.owners.values()).size).toBeGreaterThan(3);
  });

  it("a glob without wildcards is compared as text; one with them keeps its regex", () => {
    expect(compileGlob("supabase/config.toml")).toEqual({ base: "supabase/config.toml" });
    expect(compileGlob("supabase/tests/1[0-9]_*.test.sql").re).toBeInstanceOf(RegExp);
    expect(compileGlob("{README,AGENTS}.md")).toMatchObject({ base: "" });
  });

  it("a negated or escaped glob gets no prefix (its matches need not start with the text before the glob)", () => {
    expect(compileGlob("!supabase/*").base).toBe("");
    expect(matchesCompiled(compileGlob("!supabase/*"), "docs/x.md")).toBe(true);
    expect(compileGlob("a\\*b/*").base).toBe("");
    expect(matchesCompiled(compileGlob("a\\*b/*"), "a*b/c")).toBe(true);
  });
});
