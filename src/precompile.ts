/**
 * templates/ → a template bundle (see renderer.ts).
 *
 * At build time the bundle is inlined as the module `virtual:cvb-templates`
 * (`bundleModule`) into the generation engine, dist/engine.js
 * (engine-build.ts), so generating a project compiles no template (and,
 * with the engine's compile cache, not even the precompiled code) and reads
 * no template file. Tests get the same module from vitest.config.ts, and
 * tools that render a templates folder directly (render.ts) evaluate it in
 * process.
 *
 * Whatever is in templates/ is picked up: every layer folder, every file, the
 * layer manifests and `_partials/*.hbs`.
 */
import fs from "node:fs";
import path from "node:path";
import Handlebars from "handlebars";
import type { TemplateBundle } from "./renderer.js";
import { compileGlob } from "./glob-compile.js";
import { teamGlobs } from "./team.js";
import { tidy } from "./tidy.js";

/** The options every `.hbs` file is compiled with (docs/templates.md). */
const COMPILE_OPTIONS = { noEscape: true, strict: true } as const;

function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full, base));
    else out.push(path.relative(base, full).split(path.sep).join("/"));
  }
  return out.sort();
}

function precompile(file: string): string {
  const source = fs.readFileSync(file, "utf8");
  try {
    return Handlebars.precompile(source, COMPILE_OPTIONS) as string;
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
}

/** Every file the bundle is made of (for a bundler's watch list). */
export function templateFiles(templatesDir: string): string[] {
  return fs.existsSync(templatesDir) ? listFiles(templatesDir).map((f) => path.join(templatesDir, f)) : [];
}

/**
 * The bundle as a JavaScript expression: an object literal whose `.hbs` entries
 * are Handlebars' precompiled specs (code), and every other file a string.
 */
export function bundleExpression(templatesDir: string): string {
  /** `<dir>/*.hbs` as `name: spec` entries (partials, team files). */
  const specs = (dir: string): string[] =>
    fs.existsSync(dir)
      ? fs.readdirSync(dir).sort().filter((file) => file.endsWith(".hbs")).map((file) =>
        `${JSON.stringify(file.slice(0, -4))}: ${precompile(path.join(dir, file))}`
      )
      : [];
  const partials = specs(path.join(templatesDir, "_partials"));
  // The team files describe the rendered tree, so they are rendered after it (renderer.ts).
  const team = specs(path.join(templatesDir, "_team"));
  const layers: string[] = [];
  const layerDirs = fs.existsSync(templatesDir)
    ? fs.readdirSync(templatesDir, { withFileTypes: true })
      .filter((e) => !e.name.startsWith("_") && (e.isDirectory() || e.isSymbolicLink()))
      .map((e) => e.name)
      .sort()
    : [];
  for (const layer of layerDirs) {
    const dir = path.join(templatesDir, layer);
    if (!fs.statSync(dir).isDirectory()) continue;
    const manifestPath = path.join(dir, "manifest.json");
    const when: Record<string, string[]> = fs.existsSync(manifestPath) ? (JSON.parse(fs.readFileSync(manifestPath, "utf8")).when ?? {}) : {};
    const files: string[] = [];
    for (const rel of listFiles(dir)) {
      if (rel === "manifest.json") continue;
      const full = path.join(dir, rel);
      const mode = fs.statSync(full).mode & 0o111 ? `, mode: ${0o755}` : "";
      // Plain files are tidied now, as the renderer tidies rendered ones.
      const body = rel.endsWith(".hbs")
        ? `spec: ${precompile(full)}`
        : `text: ${JSON.stringify(tidy(fs.readFileSync(full, "utf8")))}`;
      // The manifest's rules resolved for this file now: every feature of every rule whose prefix it starts with.
      const needs = [...new Set(Object.entries(when).filter(([prefix]) => rel.startsWith(prefix)).flatMap(([, keys]) => keys))];
      const needsEntry = needs.length > 0 ? `, needs: ${JSON.stringify(needs)}` : "";
      files.push(`{ path: ${JSON.stringify(rel)}, ${body}${needsEntry}${mode} }`);
    }
    layers.push(`${JSON.stringify(layer)}: { files: [\n${files.join(",\n")}\n] }`);
  }
  // The team's ownership globs as regex literals: generation loads and runs no glob compiler (team.ts).
  const globs = teamGlobs().map((glob) => {
    const { base, re } = compileGlob(glob);
    return `${JSON.stringify(glob)}: { base: ${JSON.stringify(base)}${re ? `, re: ${re}` : ""} }`;
  });
  return `{\npartials: {${partials.join(",\n")}},\nteam: {${team.join(",\n")}},\nglobs: {${globs.join(",\n")}},\nlayers: {\n${layers.join(",\n")}\n}\n}`;
}

/** The ES module the build embeds: `export default <bundle>`. */
export function bundleModule(templatesDir: string): string {
  return `// Generated from templates/ by src/precompile.ts. Do not edit.\nexport default ${
    bundleExpression(templatesDir)
  };\n`;
}

/** Reads and precompiles a templates folder in process (tests, tools): the same specs the build embeds. */
export function loadTemplateBundle(templatesDir: string): TemplateBundle {
  return new Function(`return (${bundleExpression(templatesDir)});`)() as TemplateBundle;
}
