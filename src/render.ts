/**
 * Renders `templates/` into memory: an ordered map of output path → content.
 * Nothing here touches the target directory (see write.ts).
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
import fs from "node:fs";
import path from "node:path";
import Handlebars from "handlebars";
import { OPENAPI_PATH, OPENAPI_SCRIPT, openApiText } from "./openapi.js";
import { enabled, FUNCTIONS, type HasKey, LAYERS, type RenderContext } from "./plan.js";

export interface RenderedFile {
  path: string;
  content: string;
  layer: number;
  /** Executable bit for scripts. */
  mode?: number;
}

export const TEMPLATES_DIR = fileURLToPathSafe(new URL("../templates/", import.meta.url));

function fileURLToPathSafe(url: URL): string {
  return decodeURIComponent(url.pathname);
}

interface LayerManifest {
  when?: Record<string, HasKey[]>;
}

function createEngine(templatesDir: string): typeof Handlebars {
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
  const partials = path.join(templatesDir, "_partials");
  if (fs.existsSync(partials)) {
    for (const file of fs.readdirSync(partials).sort()) {
      if (!file.endsWith(".hbs")) continue;
      hb.registerPartial(file.slice(0, -4), fs.readFileSync(path.join(partials, file), "utf8"));
    }
  }
  return hb;
}

function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full, base));
    else out.push(path.relative(base, full).split(path.sep).join("/"));
  }
  return out.sort();
}

const DOTFILES: Record<string, string> = { _gitignore: ".gitignore", "_env.example": ".env.example" };

/** UTC `YYYYMMDDHHMMSS`, the Supabase migration version format. */
export function migrationVersion(base: Date, offsetSeconds: number): string {
  const d = new Date(Math.floor(base.getTime() / 1000) * 1000 + offsetSeconds * 1000);
  return d.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

function outputPath(rel: string, base: Date): string {
  let out = rel.endsWith(".hbs") ? rel.slice(0, -4) : rel;
  const dir = path.posix.dirname(out);
  const name = path.posix.basename(out);
  const renamed = DOTFILES[name] ?? name;
  out = dir === "." ? renamed : `${dir}/${renamed}`;
  const migration = /^supabase\/migrations\/(\d{4})_(.+\.sql)$/.exec(out);
  if (migration) out = `supabase/migrations/${migrationVersion(base, Number(migration[1]))}_${migration[2]}`;
  return out;
}

export function render(ctx: RenderContext, base: Date, templatesDir = TEMPLATES_DIR): RenderedFile[] {
  const hb = createEngine(templatesDir);
  const files = new Map<string, RenderedFile>();
  const dirs = ["0-project", ...LAYERS.map((l) => l.dir)];
  dirs.forEach((dirName, layer) => {
    const dir = path.join(templatesDir, dirName);
    if (!fs.existsSync(dir)) return;
    const manifestPath = path.join(dir, "manifest.json");
    const manifest: LayerManifest = fs.existsSync(manifestPath)
      ? JSON.parse(fs.readFileSync(manifestPath, "utf8"))
      : {};
    for (const rel of listFiles(dir)) {
      if (rel === "manifest.json") continue;
      const rules = Object.entries(manifest.when ?? {}).filter(([prefix]) => rel.startsWith(prefix));
      if (!rules.every(([, when]) => enabled(when, ctx.has))) continue;
      if (!functionChosen(rel, ctx)) continue;
      const source = fs.readFileSync(path.join(dir, rel), "utf8");
      const content = rel.endsWith(".hbs")
        ? hb.compile(source, { noEscape: true, strict: true })(ctx)
        : source;
      if (content.trim() === "") continue;
      const out = outputPath(rel, base);
      if (files.has(out)) throw new Error(`Two templates render ${out} (layer ${dirName}).`);
      const mode = fs.statSync(path.join(dir, rel)).mode & 0o111 ? 0o755 : undefined;
      files.set(out, { path: out, content: tidy(content), layer, ...(mode ? { mode } : {}) });
    }
  });
  // openapi.json is built from the contract modules themselves (openapi.ts says why).
  if (files.has(OPENAPI_SCRIPT)) {
    files.set(OPENAPI_PATH, { path: OPENAPI_PATH, content: openApiText(ctx), layer: files.get(OPENAPI_SCRIPT)!.layer });
  }
  return [...files.values()];
}

/** A function's folder is written only when the function is (FUNCTIONS in plan.ts decides). */
function functionChosen(rel: string, ctx: RenderContext): boolean {
  const name = /^supabase\/functions\/([^/_][^/]*)\//.exec(rel)?.[1];
  if (!name || !FUNCTIONS.some((f) => f.name === name)) return true;
  return ctx.functions.some((f) => f.name === name);
}

/** Conditional blocks leave runs of blank lines; collapse them and end with one newline. */
function tidy(content: string): string {
  return content.replace(/\n{3,}/g, "\n\n").replace(/\s*$/, "\n");
}
