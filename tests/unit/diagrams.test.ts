/**
 * The generated docs' diagrams (docs/ARCHITECTURE.md, docs/SECURITY.md) and
 * the generator README's, for every valid combination of auth × iap ×
 * providers × monitoring:
 * - each ```mermaid block is parsed by Mermaid itself (tests/unit/mermaid.ts);
 * - each names only what that project has (tests/unit/diagram-check.ts);
 * - each project gets the diagrams its options call for, and its diagrams
 *   show every Edge Function of the layer they draw.
 *
 * Speed: rendering the whole tree 1,120 times would dominate the unit tier,
 * so the combinations are rendered through the CLI's renderer from a copy of
 * templates/ that keeps only what the checks read (docs, migrations, each
 * function's index.ts, manifests, partials). One test proves that this subset
 * renders exactly as in the full tree. Each distinct diagram is parsed once.
 * Each folder is precompiled once (loadTemplateBundle, as the build does)
 * and every combination is rendered from that bundle by the CLI's own
 * renderTemplates.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withDefaults } from "../../src/options.js";
import { CHOICES, type Options } from "../../src/options.js";
import { buildContext, FUNCTIONS, LAYERS } from "../../src/plan.js";
import { openApiText } from "../../src/openapi.js";
import { loadTemplateBundle } from "../../src/precompile.js";
import { TEMPLATES_DIR } from "../../src/render.js";
import { type RenderedFile, renderTemplates, type TemplateBundle } from "../../src/renderer.js";
import { allListCombos, type Lists } from "./combos.js";
import { checkDiagram, codeNames, type Project } from "./diagram-check.js";
import { mermaidBlocks, type Parsed, parseMermaid } from "./mermaid.js";
import { type Schema, schemaOf } from "./schema.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const BASE = new Date("2026-01-01T00:00:00Z");
const GENERATOR = { name: "create-video-backend", version: "0.0.0-test" };



function flagsOf(c: Lists): string {
  return CHOICES.map((ch) => `--${ch.flag} ${c[ch.key].length ? c[ch.key].join(",") : ch.none}`).join(" ");
}

/** The files of templates/ the diagram checks read. */
function kept(rel: string): boolean {
  const [layer, ...rest] = rel.split("/");
  const inLayer = rest.join("/");
  if (layer === "_partials") return true;
  // The team files list the whole tree's files (a subset would list fewer) and hold no diagram.
  if (layer === "_team") return false;
  return inLayer === "manifest.json" ||
    /\.md(\.hbs)?$/.test(inLayer) ||
    inLayer.startsWith("supabase/migrations/") ||
    /^supabase\/functions\/[^/_][^/]*\/index\.ts(\.hbs)?$/.test(inLayer);
}

function copySubset(from: string, to: string): void {
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(from, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else if (kept(rel)) {
        fs.mkdirSync(path.dirname(path.join(to, rel)), { recursive: true });
        fs.copyFileSync(path.join(from, rel), path.join(to, rel));
      }
    }
  };
  walk("");
}

function optionsOf(c: Lists): Options {
  return withDefaults(c, {}, "npm");
}

const bundles = new Map<string, TemplateBundle>();

function renderWith(c: Lists, templatesDir: string): RenderedFile[] {
  let bundle = bundles.get(templatesDir);
  if (!bundle) {
    bundle = loadTemplateBundle(templatesDir);
    bundles.set(templatesDir, bundle);
  }
  return renderTemplates(buildContext("video-app", optionsOf(c), GENERATOR, BASE), BASE, bundle, openApiText);
}

/** The project's facts, and a key equal for projects with the same facts. */
function projectOf(c: Lists, files: RenderedFile[]): Project & { key: string } {
  const ctx = buildContext("video-app", optionsOf(c), GENERATOR, BASE);
  const edgeFunctions = new Set(
    files.map((f) => /^supabase\/functions\/([^/_][^/]*)\/index\.ts$/.exec(f.path)?.[1]).filter((n): n is string =>
      Boolean(n)
    ),
  );
  const migrations = files.filter((f) => f.path.startsWith("supabase/migrations/"))
    .sort((a, b) => a.path.localeCompare(b.path))
    .map((f) => f.content);
  // Many combinations share their migrations: read each distinct set once.
  const sql = migrations.join("\0");
  let schema = schemas.get(sql);
  if (!schema) {
    schema = { id: schemas.size, schema: schemaOf(migrations) };
    schemas.set(sql, schema);
  }
  const key = `${schema.id}|${[...edgeFunctions].sort().join()}|${JSON.stringify(ctx.has)}`;
  return { edgeFunctions, schema: schema.schema, has: ctx.has, key };
}
const schemas = new Map<string, { id: number; schema: Schema }>();

/** checkDiagram is a pure function of the diagram and the project's facts: each pair is checked once. */
const checks = new Map<string, string[]>();
function checked(code: string, parsed: Parsed, project: Project & { key: string }): string[] {
  const key = `${project.key}\0${code}`;
  let problems = checks.get(key);
  if (!problems) {
    problems = checkDiagram(parsed, project);
    checks.set(key, problems);
  }
  return problems;
}

const parsedCache = new Map<string, Promise<Parsed>>();
function parsed(code: string): Promise<Parsed> {
  let p = parsedCache.get(code);
  if (!p) {
    p = parseMermaid(code);
    parsedCache.set(code, p);
  }
  return p;
}

/** The parsed diagrams of one rendered doc, in order ([] when the doc is not generated). */
async function diagramsOf(files: RenderedFile[], doc: string): Promise<{ code: string; parsed: Parsed }[]> {
  const file = files.find((f) => f.path === doc);
  if (!file) return [];
  return Promise.all(mermaidBlocks(file.content).map(async (code) => ({ code, parsed: await parsed(code) })));
}

const participantsOf = (d: Parsed) =>
  d.type === "sequence" ? d.participants.flatMap((p) => p.text.split(" / ")) : [];
const namesOf = (d: Parsed) => d.texts.flatMap((t) => codeNames(t.text));

let subsetDir: string;
beforeAll(() => {
  subsetDir = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-diagrams-"));
  copySubset(TEMPLATES_DIR, subsetDir);
});
afterAll(() => {
  if (subsetDir) fs.rmSync(subsetDir, { recursive: true, force: true });
});

const COMBOS = allListCombos();
const ALL_ON: Lists = {
  auth: ["apple", "anonymous", "devicecheck"],
  iap: ["apple", "google", "revenuecat"],
  providers: ["fal", "runway", "replicate"],
  monitoring: ["sentry", "telegram"],
};
const MINIMAL: Lists = { auth: ["anonymous"], iap: [], providers: ["runway"], monitoring: [] };

describe("generated diagrams", () => {
  it("the combinations are every valid one (5 auth × 8 iap × 7 providers × 4 monitoring)", () => {
    expect(COMBOS.length).toBe(5 * 8 * 7 * 4);
  });

  it("the template subset renders exactly like the full tree", () => {
    for (const c of [ALL_ON, MINIMAL, { ...MINIMAL, auth: ["apple"], iap: ["revenuecat"], providers: ["fal"] }]) {
      const full = renderWith(c, TEMPLATES_DIR);
      const subset = renderWith(c, subsetDir);
      const byPath = new Map(full.map((f) => [f.path, f.content]));
      expect(subset.length).toBeGreaterThan(10);
      for (const f of subset) expect(f.content, f.path).toBe(byPath.get(f.path));
      // Nothing the checks read is missing from the subset.
      const read = full.filter((f) =>
        f.path.startsWith("supabase/migrations/") ||
        (f.path.endsWith(".md") && !/^(AGENTS\.md|docs\/PLAN\.md|\.claude\/)/.test(f.path)) ||
        /^supabase\/functions\/[^/_][^/]*\/index\.ts$/.test(f.path)
      );
      expect(subset.map((f) => f.path).sort()).toEqual(read.map((f) => f.path).sort());
    }
  });

  it("parse with Mermaid and name only what each project has, for every combination", async () => {
    const failures: string[] = [];
    for (const c of COMBOS) {
      const files = renderWith(c, subsetDir);
      const project = projectOf(c, files);
      const has = project.has;
      const problems: string[] = [];
      // Every diagram of every generated Markdown file parses and names only what exists.
      let parseFailed = false;
      for (const doc of files.filter((f) => f.path.endsWith(".md")).map((f) => f.path)) {
        try {
          (await diagramsOf(files, doc)).forEach(({ code, parsed }, i) => {
            for (const p of checked(code, parsed, project)) problems.push(`${doc} diagram ${i + 1}: ${p}`);
          });
        } catch (error) {
          problems.push(`${doc}: Mermaid cannot parse a diagram: ${(error as Error).message}`);
          parseFailed = true;
        }
      }
      if (parseFailed) {
        failures.push(`${flagsOf(c)}\n  ${problems.join("\n  ")}`);
        continue;
      }
      const arch = await diagramsOf(files, "docs/ARCHITECTURE.md");
      const security = await diagramsOf(files, "docs/SECURITY.md");

      // ARCHITECTURE: one generation, the job states, the tables.
      const types = arch.map((d) => d.parsed.type);
      if (types.join() !== "sequence,state,er") problems.push(`ARCHITECTURE diagrams are ${types.join()}`);
      const generation = arch.find((d) => d.parsed.type === "sequence")?.parsed;
      const layer3 = FUNCTIONS.filter((f) => f.layer === 3 && project.edgeFunctions.has(f.name)).map((f) => f.name);
      for (const fn of layer3) {
        if (!generation || !participantsOf(generation).includes(fn)) problems.push(`the generation diagram does not show ${fn}`);
      }

      // SECURITY: a purchase-to-refund sequence per chosen store, the guest flow.
      const stores = [
        { on: has.appleIap, party: "App Store" },
        { on: has.googleIap, party: "Google Play" },
        { on: has.revenuecat, party: "RevenueCat" },
      ];
      if (!files.some((f) => f.path === "docs/SECURITY.md")) problems.push("docs/SECURITY.md is not generated");
      for (const { on, party } of stores) {
        const flow = security.find((d) => participantsOf(d.parsed).includes(party));
        if (!on) {
          if (flow) problems.push(`SECURITY shows ${party}, which was not chosen`);
          continue;
        }
        if (!flow) {
          problems.push(`SECURITY has no ${party} purchase diagram`);
          continue;
        }
        const names = namesOf(flow.parsed);
        for (const fn of ["credit_purchase", "revoke_purchase"]) {
          if (!names.includes(fn)) problems.push(`the ${party} diagram does not reach ${fn}`);
        }
      }
      {
        const guest = security.find((d) => participantsOf(d.parsed).includes("Supabase Auth"));
        const wanted = has.anonymous && (has.deviceCheck || has.appleAuth);
        if (Boolean(guest) !== wanted) problems.push(`guest flow ${guest ? "shown" : "missing"}`);
        if (guest) {
          const parties = participantsOf(guest.parsed);
          if (parties.includes("device-check") !== has.deviceCheck) problems.push("guest flow: device-check");
          if (parties.includes("Sign in with Apple") !== has.appleAuth) problems.push("guest flow: Sign in with Apple");
        }
        // verify-purchase is written for RevenueCat alone too, where it refuses
        // every request (RevenueCat credits through its webhook): no flow shows it.
        const layer4 = FUNCTIONS.filter((f) => f.layer === 4 && project.edgeFunctions.has(f.name))
          .map((f) => f.name)
          .filter((fn) => fn !== "verify-purchase" || has.appleIap || has.googleIap);
        const shown = security.flatMap((d) => participantsOf(d.parsed));
        for (const fn of layer4) if (!shown.includes(fn)) problems.push(`SECURITY diagrams do not show ${fn}`);
      }
      if (problems.length) failures.push(`${flagsOf(c)}\n  ${problems.join("\n  ")}`);
    }
    expect(failures.slice(0, 5).join("\n")).toBe("");
    expect(parsedCache.size).toBeGreaterThan(10);
  });
});

describe("the checks can fail", () => {
  const diagramsOfCombo = async (c: Lists) => {
    const files = renderWith(c, subsetDir);
    return {
      project: projectOf(c, files),
      diagrams: [
        ...(await diagramsOf(files, "docs/ARCHITECTURE.md")),
        ...(await diagramsOf(files, "docs/SECURITY.md")),
      ],
    };
  };

  it("Mermaid rejects a broken diagram", async () => {
    const { diagrams } = await diagramsOfCombo(ALL_ON);
    const er = diagrams.find((d) => d.parsed.type === "er")!.code;
    await expect(parseMermaid(er.replace(/\n {2}\}/, ""))).rejects.toThrow(/Parse error/);
    const seq = diagrams.find((d) => d.parsed.type === "sequence")!.code;
    await expect(parseMermaid(seq.replace(/\n {2}end\n/, "\n"))).rejects.toThrow(/Parse error/);
    const state = diagrams.find((d) => d.parsed.type === "state")!.code;
    await expect(parseMermaid(state.replace("-->", "--> -->"))).rejects.toThrow(/Parse error/);
  });

  it("the all-on project's diagrams do not hold for the minimal project", async () => {
    const { diagrams } = await diagramsOfCombo(ALL_ON);
    const { project } = await diagramsOfCombo(MINIMAL);
    const problems = diagrams.flatMap((d) => checkDiagram(d.parsed, project)).join("\n");
    expect(problems).toMatch(/Edge Function fal-webhook is not in this project/);
    expect(problems).toMatch(/fal is shown, but this project did not choose it/);
    expect(problems).toMatch(/`credit_purchase` is not a SQL function/);
    expect(problems).toMatch(/entity iap_transactions is not a public table/);
    expect(problems).toMatch(/relationship products → iap_transactions/);
  });

  it("an unknown name, a missing table, a wrong key or a missing state is reported", async () => {
    const { diagrams, project } = await diagramsOfCombo(ALL_ON);
    const code = (type: Parsed["type"]) => diagrams.find((d) => d.parsed.type === type)!.code;
    const check = async (text: string) => checkDiagram(await parseMermaid(text), project).join("\n");

    expect(await check(code("sequence").replace("`create_video_job`", "`create_video_jobs`")))
      .toMatch(/`create_video_jobs` is not a SQL function/);
    expect(await check(code("sequence").replace("participant S as Storage", "participant S as S3")))
      .toMatch(/"S3" is neither an Edge Function nor a known outside party/);
    const er = code("er");
    expect(await check(er.replace(/\n {2}products \{[^}]*\}/, "").replace(/\n.*products.*/g, "")))
      .toMatch(/table products is missing from the diagram/);
    expect(await check(er.replace("uuid user_id FK\n", "uuid user_id\n"))).toMatch(/user_id: FK missing/);
    expect(await check(er.replace("integer credits_charged", "text credits_charged")))
      .toMatch(/credits_charged is integer, the diagram says text/);
    expect(await check(er.replace("users ||--o{ video_jobs", "users |o--o{ video_jobs")))
      .toMatch(/cardinality ZERO_OR_ONE\/ZERO_OR_MORE, the schema implies ONLY_ONE\/ZERO_OR_MORE/);
    const state = code("state");
    expect(await check(state.replace(/\n.*--> processing.*/, ""))).toMatch(/state processing of video_jobs.status is missing/);
    expect(await check(state.replace(": `mark_job_submitted`", ": submit"))).toMatch(/transition queued → submitted names no SQL function/);
  });
});

describe("the generator README", () => {
  it("its diagram parses, names real source paths and the five layers in order", async () => {
    const blocks = mermaidBlocks(fs.readFileSync(path.join(ROOT, "README.md"), "utf8"));
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      const d = await parseMermaid(block);
      expect(d.type).toBe("flowchart");
      if (d.type !== "flowchart") continue;
      const labels = d.nodes.map((n) => n.label).join("\n");
      const paths = [...labels.matchAll(/\b((?:src|templates|tests)\/[\w./-]*)/g)].map((m) => m[1]!);
      expect(paths.length).toBeGreaterThan(0);
      for (const p of paths) expect(fs.existsSync(path.join(ROOT, p)), p).toBe(true);
      const stages = ["options", "plan", "render", "write", "verify"];
      for (const s of stages) expect(labels, s).toContain(s);
      const layers = [...labels.matchAll(/\b(\d-[a-z]+)\b/g)].map((m) => m[1]!);
      expect(layers).toEqual(["0-project", ...LAYERS.map((l) => l.dir)]);
    }
  });
});
