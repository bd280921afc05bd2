/**
 * templates/ → bundle: whatever a templates folder holds is picked up (layers,
 * files, manifests, partials, executable bits), and both forms the bundle
 * ships in (the ES module vitest serves, the engine script the build writes
 * into dist/) render exactly what the in-process loader renders.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { writeEngine } from "../../src/engine-build.js";
import { ENGINE_SCRIPT, loadEngine } from "../../src/engine-load.js";
import { withDefaults } from "../../src/options.js";
import { buildOpenApiParts } from "../../src/openapi-parts.js";
import { openApiText } from "../../src/openapi.js";
import { buildContext } from "../../src/plan.js";
import { bundleModule, loadTemplateBundle } from "../../src/precompile.js";
import { TEMPLATES_DIR } from "../../src/render.js";
import { renderTemplates, type TemplateBundle } from "../../src/renderer.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-precompile-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function put(rel: string, content: string, mode = 0o644) {
  const file = path.join(scratch, "templates", rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode });
}

const NOW = new Date("2026-01-01T00:00:00Z");
const ctx = (o = withDefaults({}, {}, "npm")) => buildContext("demo", o, { name: "create-video-backend", version: "0.0.0" }, NOW);

async function importModule(dir: string): Promise<TemplateBundle> {
  const file = path.join(scratch, `bundle-${Math.random().toString(36).slice(2)}.mjs`);
  fs.writeFileSync(file, bundleModule(dir));
  return (await import(pathToFileURL(file).href)).default as TemplateBundle;
}

describe("precompiled templates", () => {
  put("_partials/greeting.hbs", "Hello from {{projectName}}\n");
  put("0-project/README.md.hbs", "# {{projectName}}\n{{> greeting}}\n{{#if has.fal}}fal{{/if}}\n");
  put("0-project/notes.txt", "verbatim {{not a template}}\n");
  put("0-project/_gitignore", "node_modules/\n");
  put("0-project/scripts/run.sh", "#!/bin/sh\necho hi\n", 0o755);
  put("1-database/manifest.json", JSON.stringify({ when: { "supabase/migrations/0150_iap": ["iap"] } }));
  put("1-database/supabase/migrations/0100_base.sql.hbs", "select {{sql projectName}};\n");
  put("1-database/supabase/migrations/0150_iap.sql", "-- only with a store\n");
  const dir = path.join(scratch, "templates");

  it("picks up every file of a templates folder", () => {
    const files = renderTemplates(ctx(), NOW, loadTemplateBundle(dir), openApiText);
    const byPath = Object.fromEntries(files.map((f) => [f.path, f]));
    expect(Object.keys(byPath).sort()).toEqual([
      ".gitignore",
      "README.md",
      "notes.txt",
      "scripts/run.sh",
      "supabase/migrations/20260101000140_base.sql",
      "supabase/migrations/20260101000230_iap.sql",
    ]);
    expect(byPath["README.md"]!.content).toBe("# demo\nHello from demo\nfal\n");
    expect(byPath["notes.txt"]!.content).toBe("verbatim {{not a template}}\n");
    expect(byPath["scripts/run.sh"]!.mode).toBe(0o755);
    expect(byPath["supabase/migrations/20260101000140_base.sql"]!.content).toBe("select 'demo';\n");
    const none = renderTemplates(ctx(withDefaults({ iap: [] }, {}, "npm")), NOW, loadTemplateBundle(dir), openApiText);
    expect(none.map((f) => f.path)).not.toContain("supabase/migrations/20260101000230_iap.sql");
  });

  it("a template error names the file", () => {
    put("0-project/broken.md.hbs", "{{#if has.fal}}never closed\n");
    try {
      expect(() => loadTemplateBundle(dir)).toThrow(/broken\.md\.hbs/);
    } finally {
      fs.rmSync(path.join(dir, "0-project/broken.md.hbs"));
    }
  });

  it("the module the build embeds renders what the in-process loader renders", async () => {
    const scratchBundle = await importModule(dir);
    expect(renderTemplates(ctx(), NOW, scratchBundle, openApiText)).toEqual(renderTemplates(ctx(), NOW, loadTemplateBundle(dir), openApiText));
    // And for the real templates, all features on.
    const all = ctx(withDefaults({
      auth: ["apple", "anonymous", "devicecheck"],
      iap: ["apple", "google", "revenuecat"],
      providers: ["fal", "runway", "replicate"],
      monitoring: ["sentry", "telegram"],
    }, {}, "npm"));
    const real = await importModule(TEMPLATES_DIR);
    const rendered = renderTemplates(all, NOW, real, openApiText);
    expect(rendered.length).toBeGreaterThan(100);
    expect(rendered).toEqual(renderTemplates(all, NOW, loadTemplateBundle(TEMPLATES_DIR), openApiText));
  });

  it("the engine the build writes is ASCII only and renders what the in-process loader renders", async () => {
    put("0-project/unicode.md.hbs", "{{projectName}} — café ✓ 😀\n");
    put("0-project/plain-unicode.txt", "naïve — ok\n");
    try {
      const out = fs.mkdtempSync(path.join(scratch, "dist-"));
      await writeEngine({ outDir: out, entry: path.join(ROOT, "src/engine.ts"), templatesDir: dir, define: { __VERSION__: '"0.0.0"' } });
      const script = fs.readFileSync(path.join(out, ENGINE_SCRIPT), "utf8");
      expect(/[^\x00-\x7f]/.test(script)).toBe(false);
      const { engine } = loadEngine(pathToFileURL(out + path.sep));
      const files = renderTemplates(ctx(), NOW, engine.templates, openApiText);
      expect(files).toEqual(renderTemplates(ctx(), NOW, loadTemplateBundle(dir), openApiText));
      expect(files.find((f) => f.path === "unicode.md")!.content).toBe("demo — café ✓ 😀\n");
      expect(files.find((f) => f.path === "plain-unicode.txt")!.content).toBe("naïve — ok\n");
      expect(engine.openApi).toEqual(buildOpenApiParts());
    } finally {
      fs.rmSync(path.join(dir, "0-project/unicode.md.hbs"));
      fs.rmSync(path.join(dir, "0-project/plain-unicode.txt"));
    }
  });
});
