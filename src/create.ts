/**
 * The create command: answers → render in memory → one safe write → git and
 * install → next steps. Loaded lazily so --help and --version stay instant.
 */
import type { Args } from "./args.js";
import {
  CHOICES,
  checkRules,
  detectPackageManager,
  type ListChoiceKey,
  type Options,
  type PackageManager,
  SETTINGS,
  UsageError,
} from "./options.js";
import { buildContext, generationTime, LAYERS, type RenderContext } from "./plan.js";
import templates from "virtual:cvb-templates";
import { type RenderedFile, renderTemplates } from "./renderer.js";
import { gitInit, installDependencies } from "./steps.js";
import { assertWritable, resolveTarget, type Target } from "./target.js";
import { VERSION } from "./version.js";
import { writeProject } from "./write.js";

export const DEFAULT_DIR = "my-video-backend";

export interface Ui {
  /** Asks for whatever flags did not give; only called when interactive. */
  ask(args: Args, defaults: { dir: string }): Promise<{ dir: string; lists: Pick<Options, ListChoiceKey>; bundleId?: string }>;
  confirm(summary: string): Promise<void>;
  step<T>(title: string, work: () => Promise<T>): Promise<T>;
  info(text: string): void;
  warn(text: string): void;
  done(text: string): void;
}

export interface CreateResult {
  ok: true;
  dryRun: boolean;
  projectName: string;
  directory: string;
  options: Options;
  layers: Array<{ layer: number; title: string; files: string[] }>;
  files: string[];
  warnings: string[];
  nextSteps: string[];
  reproduce: string;
}

export function missingFlags(args: Args): string[] {
  const missing = args.dir === undefined ? ["<dir>"] : [];
  for (const c of CHOICES) if (args.lists[c.key] === undefined) missing.push(`--${c.flag}`);
  return missing;
}

/** Fills what flags did not give from the registry's defaults. */
export function withDefaults(
  lists: Partial<Pick<Options, ListChoiceKey>>,
  settings: Args["settings"],
  pm: PackageManager = detectPackageManager(),
): Options {
  const pick = <K extends ListChoiceKey>(key: K) => lists[key] ?? CHOICES.find((c) => c.key === key)!.default;
  const setting = (key: (typeof SETTINGS)[number]["key"]) =>
    settings[key] ?? SETTINGS.find((s) => s.key === key)!.default;
  const bundleId = String(setting("bundleId"));
  return {
    auth: pick("auth"),
    iap: pick("iap"),
    providers: pick("providers"),
    monitoring: pick("monitoring"),
    trialCredits: Number(setting("trialCredits")),
    bundleId,
    androidPackage: String(settings.androidPackage ?? bundleId),
    pgMajor: Number(setting("pgMajor")) as 15 | 17,
    pm: (settings.pm as PackageManager | undefined) ?? pm,
  };
}

export function nextSteps(ctx: RenderContext, target: Target, installed: boolean): string[] {
  const steps = [];
  if (target.display !== ".") steps.push(`cd ${target.display}`);
  if (!installed) steps.push(ctx.pm.install);
  steps.push(`${ctx.pm.run} verify`);
  steps.push("Fill in the secrets listed in .env.example, then see README.md › Deploy");
  return steps;
}

function layerPlan(files: RenderedFile[]) {
  return [{ id: 0, title: "project" }, ...LAYERS].map((l) => ({
    layer: l.id,
    title: l.title,
    files: files.filter((f) => f.layer === l.id).map((f) => f.path),
  }));
}

export function formatPlan(result: CreateResult): string {
  const lines = [`${result.projectName}: ${result.files.length} files, layer by layer`];
  for (const l of result.layers) {
    if (l.files.length === 0) continue;
    lines.push(``, `${l.layer === 0 ? "·" : l.layer}. ${l.title}`);
    for (const f of l.files) lines.push(`   ${f}`);
  }
  return lines.join("\n");
}

export async function create(args: Args, ui: Ui, interactive: boolean, signal: AbortSignal): Promise<CreateResult> {
  let dir = args.dir;
  let lists = args.lists;
  let settings = args.settings;
  const missing = missingFlags(args);
  if (!interactive && !args.yes && missing.length > 0) {
    throw new UsageError(
      `Not running in a terminal, so there is nobody to answer prompts. Missing: ${missing.join(", ")}. Give them as flags, or add --yes to take the defaults for the rest (e.g. create-video-backend ${
        dir ?? DEFAULT_DIR
      } --yes).`,
    );
  }
  // Fail fast on what the flags alone decide, before asking anything. Defaults
  // always satisfy the rules, so a violation here comes from a flag.
  checkRules(withDefaults(lists, settings));
  if (dir !== undefined) assertWritable(resolveTarget(dir), args.force);

  if (interactive) {
    const answers = await ui.ask(args, { dir: dir ?? DEFAULT_DIR });
    dir = answers.dir;
    lists = answers.lists;
    if (answers.bundleId) settings = { ...settings, bundleId: answers.bundleId };
  }
  dir ??= DEFAULT_DIR;
  const options = withDefaults(lists, settings);
  checkRules(options);
  const target = resolveTarget(dir);
  assertWritable(target, args.force);

  const now = generationTime();
  const ctx = buildContext(target.name, options, { name: "create-video-backend", version: VERSION }, now);
  const files = renderTemplates(ctx, now, templates);
  const result: CreateResult = {
    ok: true,
    dryRun: args.dryRun,
    projectName: target.name,
    directory: target.dir,
    options,
    layers: layerPlan(files),
    files: files.map((f) => f.path),
    warnings: [],
    nextSteps: [],
    reproduce: ctx.reproduce,
  };
  if (args.dryRun) {
    result.nextSteps = nextSteps(ctx, target, false);
    return result;
  }
  if (interactive) await ui.confirm(formatPlan(result));

  await ui.step(`Writing ${files.length} files to ${target.display}`, () =>
    writeProject(target, files, { force: args.force, signal }));
  if (args.git) {
    const git = await ui.step("Creating the first git commit", () => gitInit(target.dir, target.display));
    if (git.warning) result.warnings.push(git.warning);
  }
  let installed = false;
  if (args.install) {
    const install = await ui.step(`Installing dependencies with ${options.pm}`, () =>
      installDependencies(target.dir, target.display, options.pm));
    installed = install.ok;
    if (install.warning) result.warnings.push(install.warning);
  }
  result.nextSteps = nextSteps(ctx, target, installed);
  return result;
}
