/**
 * Renders a template bundle into memory: an ordered list of output path →
 * content. Nothing here reads the disk or compiles a template: the bundle holds
 * every file's text and every `.hbs` file as a Handlebars spec precompiled when
 * the package was built (see precompile.ts), so only the small Handlebars
 * runtime runs at generation time.
 *
 * Template conventions (docs/templates.md has the long version):
 * - `templates/<n>-<layer>/` mirrors the generated tree; layers render in order.
 * - `*.hbs` files are rendered with Handlebars (the `.hbs` is dropped); other
 *   files are copied as they are.
 * - `supabase/functions/<name>/` is written only when FUNCTIONS (plan.ts)
 *   chooses that function; `manifest.json` in a layer folder maps any other
 *   path prefix to the features it needs: `{"when": {"supabase/functions/_shared/providers/fal.ts": ["fal"]}}`.
 * - A rendered file that is empty (only white space) is not written.
 * - `_gitignore` → `.gitignore`, `_env.example` → `.env.example` (npm strips dotfiles).
 * - `supabase/migrations/NNNN_name.sql` → `<UTC YYYYMMDDHHMMSS of base + NNNN s>_name.sql`.
 */
import Handlebars from "handlebars/runtime";
import { OPENAPI_PATH, OPENAPI_SCRIPT } from "./openapi-assemble.js";
import { MANIFEST, sealManifest } from "./evolve/manifest.js";
import { tidy } from "./tidy.js";
import { enabled, FUNCTIONS, type HasKey, LAYERS, type RenderContext } from "./plan.js";
import { AGENTS_MD, type CompiledGlob, PLAN_MD, teamContext, teamPaths, useCompiledGlobs } from "./team.js";

export interface RenderedFile {
  path: string;
  content: string;
  layer: number;
  /** Executable bit for scripts. */
  mode?: number;
}

/** A precompiled Handlebars template (the object `Handlebars.precompile` describes). */
export type TemplateSpec = object;

export interface BundledFile {
  /** Path inside the layer folder, `/`-separated, as in templates/. */
  path: string;
  /** A `.hbs` file, precompiled. */
  spec?: TemplateSpec;
  /** Any other file, verbatim (already tidied by the build: see `tidy`). */
  text?: string;
  /** Set when the template file is executable. */
  mode?: number;
  /** The features it is written for: its layer's manifest.json rules whose prefix it starts with, resolved by the build. */
  needs?: HasKey[];
}

export interface BundledLayer {
  files: BundledFile[];
}

/** Everything under templates/, as the build (or the dev loader) read it. */
export interface TemplateBundle {
  partials: Record<string, TemplateSpec>;
  /**
   * `_team/*.hbs`: AGENTS.md, PLAN.md and agent.md (one per team member), rendered
   * after the layers because they describe the rendered tree (team.ts).
   */
  team?: Record<string, TemplateSpec>;
  /** team.ts's ownership globs, compiled when the bundle was made (glob → base and regex). */
  globs?: Record<string, CompiledGlob>;
  layers: Record<string, BundledLayer>;
}

/** The layer folders, in render order; the index is the layer number (0 = project files). */
export const LAYER_DIRS: readonly string[] = ["0-project", ...LAYERS.map((l) => l.dir)];

type Runtime = ReturnType<typeof Handlebars.create>;

function createRuntime(partials: TemplateBundle["partials"]): Runtime {
  const hb = Handlebars.create();
  hb.registerHelper("eq", (a: unknown, b: unknown) => a === b);
  hb.registerHelper("ne", (a: unknown, b: unknown) => a !== b);
  hb.registerHelper("and", (...args: unknown[]) => args.slice(0, -1).every(Boolean));
  hb.registerHelper("or", (...args: unknown[]) => args.slice(0, -1).some(Boolean));
  hb.registerHelper("not", (a: unknown) => !a);
  hb.registerHelper("includes", (list: unknown, item: unknown) => Array.isArray(list) && list.includes(item));
  /** `{{json value 2}}`: pretty JSON whose continuation lines are indented to sit at that column. */
  hb.registerHelper("json", (value: unknown, ...rest: unknown[]) => {
    const indent = typeof rest[0] === "number" ? rest[0] : 0;
    return JSON.stringify(value, null, 2).replaceAll("\n", `\n${" ".repeat(indent)}`);
  });
  hb.registerHelper("pluck", (list: unknown, key: unknown) =>
    Array.isArray(list) ? list.map((item) => (item as Record<string, unknown>)[String(key)]) : []);
  hb.registerHelper("join", (list: unknown, sep: unknown) =>
    Array.isArray(list) ? list.join(typeof sep === "string" ? sep : ", ") : "");
  /** A SQL string literal: 'it''s'. */
  hb.registerHelper("sql", (value: unknown) => `'${String(value).replaceAll("'", "''")}'`);
  for (const [name, spec] of Object.entries(partials)) hb.registerPartial(name, hb.template(spec as never));
  return hb;
}

const DOTFILES: Record<string, string> = { _gitignore: ".gitignore", "_env.example": ".env.example" };

/** UTC `YYYYMMDDHHMMSS`, the Supabase migration version format. */
export function migrationVersion(base: Date, offsetSeconds: number): string {
  const d = new Date(Math.floor(base.getTime() / 1000) * 1000 + offsetSeconds * 1000);
  return d.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

function outputPath(rel: string, base: Date): string {
  let out = rel.endsWith(".hbs") ? rel.slice(0, -4) : rel;
  const slash = out.lastIndexOf("/");
  const dir = slash === -1 ? "" : out.slice(0, slash);
  const name = out.slice(slash + 1);
  const renamed = DOTFILES[name] ?? name;
  out = dir === "" ? renamed : `${dir}/${renamed}`;
  const migration = /^supabase\/migrations\/(\d{4})_(.+\.sql)$/.exec(out);
  if (migration) out = `supabase/migrations/${migrationVersion(base, Number(migration[1]))}_${migration[2]}`;
  return out;
}

/**
 * Renders the bundle for ctx. `openApi` makes supabase/functions/openapi.json
 * (the CLI assembles it from build-time parts, tests may compute it directly).
 */
export function renderTemplates(
  ctx: RenderContext,
  base: Date,
  bundle: TemplateBundle,
  openApi: (ctx: RenderContext) => string,
): RenderedFile[] {
  const hb = createRuntime(bundle.partials);
  const files = new Map<string, RenderedFile>();
  LAYER_DIRS.forEach((dirName, layer) => {
    const source = bundle.layers[dirName];
    if (!source) return;
    for (const file of source.files) {
      const rel = file.path;
      if (file.needs && !enabled(file.needs, ctx.has)) continue;
      if (!functionChosen(rel, ctx)) continue;
      // Plain files were tidied when the bundle was made; only rendered ones need it now.
      const content = file.spec ? tidy(hb.template(file.spec as never)(ctx)) : file.text ?? "";
      if (!/\S/.test(content)) continue;
      const out = outputPath(rel, base);
      if (files.has(out)) throw new Error(`Two templates render ${out} (layer ${dirName}).`);
      files.set(out, { path: out, content, layer, ...(file.mode ? { mode: file.mode } : {}) });
    }
  });
  // openapi.json comes from the caller: assembled from build-time parts (the CLI) or computed (tests).
  if (files.has(OPENAPI_SCRIPT)) {
    files.set(OPENAPI_PATH, { path: OPENAPI_PATH, content: openApi(ctx), layer: files.get(OPENAPI_SCRIPT)!.layer });
  }
  if (bundle.globs) useCompiledGlobs(bundle.globs);
  // A templates folder without _team/ (tests render subsets) gets no team files.
  if (bundle.team && Object.keys(bundle.team).length > 0) renderTeam(hb, bundle.team, ctx, files);
  // The manifest records a hash of every other generated file (add/upgrade tell user edits by them).
  const manifest = files.get(MANIFEST);
  if (manifest) manifest.content = sealManifest(manifest.content, [...files.values()]);
  return [...files.values()];
}

/**
 * The team files: AGENTS.md, docs/PLAN.md and, with `--agents claude`, one
 * `.claude/agents/<name>.md` per member. They list the files each member owns,
 * so they see the rendered paths (their own included) as `team`.
 */
function renderTeam(hb: Runtime, specs: Record<string, TemplateSpec>, ctx: RenderContext, files: Map<string, RenderedFile>) {
  const paths = teamPaths(ctx.options);
  const team = teamContext(ctx.options, [...files.keys(), ...paths]);
  const run = (name: string, extra: object = {}) => {
    const spec = specs[name];
    if (!spec) throw new Error(`templates/_team/${name}.hbs is missing.`);
    return tidy(hb.template(spec as never)({ ...ctx, team, ...extra }));
  };
  const add = (path: string, content: string) => {
    if (files.has(path)) throw new Error(`Two templates render ${path} (a layer and _team).`);
    files.set(path, { path, content, layer: 0 });
  };
  add(AGENTS_MD, run("AGENTS.md"));
  add(PLAN_MD, run("PLAN.md"));
  if (team.agentFiles) {
    for (const member of [team.orchestrator, ...team.specialists]) add(member.file, run("agent.md", { member }));
  }
}

/** A function's folder is written only when the function is (FUNCTIONS in plan.ts decides). */
function functionChosen(rel: string, ctx: RenderContext): boolean {
  const name = /^supabase\/functions\/([^/_][^/]*)\//.exec(rel)?.[1];
  if (!name || !FUNCTIONS.some((f) => f.name === name)) return true;
  return ctx.functions.some((f) => f.name === name);
}
