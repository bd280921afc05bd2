/**
 * The create command: answers → render in memory → one safe write → git and
 * install → next steps. Loaded lazily so --help and --version stay instant.
 */
import openApiParts from "virtual:cvb-openapi";
import templates from "virtual:cvb-templates";
import type { Args } from "./args.js";
import {
  CHOICES,
  checkRules,
  checkSettings,
  type ListChoiceKey,
  type Options,
  SETTINGS,
  UsageError,
  withDefaults,
} from "./options.js";
import { assembleOpenApi } from "./openapi-assemble.js";
import { buildContext, generationTime, LAYERS, type RenderContext } from "./plan.js";
import { type RenderedFile, renderTemplates } from "./renderer.js";
import { assertWritable, resolveTarget, type Target } from "./target.js";
import { PLAN_MD } from "./team.js";
import { VERSION } from "./version.js";
import { writeProject } from "./write.js";

export const DEFAULT_DIR = "my-video-backend";

/** What the prompts (or the flags alone) decided. */
export interface Answers {
  dir: string;
  lists: Pick<Options, ListChoiceKey>;
  settings: Args["settings"];
}

export interface Ui {
  /**
   * Asks for whatever flags did not give; only called when interactive. With
   * `previous` (the user chose to change answers), asks every question again
   * with those answers filled in.
   */
  ask(args: Args, defaults: { dir: string }, previous?: Answers): Promise<Answers>;
  /** Shows the summary and asks to write; false = go back and change answers. */
  confirm(summary: string): Promise<boolean>;
  step<T>(title: string, work: () => Promise<T>): Promise<T>;
  info(text: string): void;
  warn(text: string): void;
  done(text: string): void;
  /** A failure, shown once (exit code decided by the caller). */
  fail(text: string): void;
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
  /** `--dry-run --format plan`: the orchestrator's plan, the text of docs/PLAN.md. */
  plan?: string;
}

/** Ctrl+C during git or the install: the project is complete and stays; exit 130 with what is left to do. */
export class InterruptedError extends Error {
  readonly exitCode = 130;
}

export function missingFlags(args: Args): string[] {
  const missing = args.dir === undefined ? ["<dir>"] : [];
  for (const c of CHOICES) if (args.lists[c.key] === undefined) missing.push(`--${c.flag}`);
  return missing;
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

/** The full layer plan with every file (--dry-run). */
export function formatPlan(result: CreateResult): string {
  const lines = [`${result.projectName}: ${result.files.length} files, layer by layer`];
  for (const l of result.layers) {
    if (l.files.length === 0) continue;
    lines.push(``, `${l.layer === 0 ? "·" : l.layer}. ${l.title}`);
    for (const f of l.files) lines.push(`   ${f}`);
  }
  return lines.join("\n");
}

/** What is about to be written, short enough to leave the answers on screen: the layers with file counts. */
export function formatSummary(result: CreateResult, target: Target): string {
  const layers = result.layers.filter((l) => l.files.length > 0);
  const width = Math.max(...layers.map((l) => l.title.length));
  const lines = [`${result.files.length} files into ${target.display === "." ? "the current directory" : target.display}`];
  for (const l of layers) {
    lines.push(`${l.layer === 0 ? "· " : `${l.layer}.`} ${l.title.padEnd(width)}  ${String(l.files.length).padStart(3)} files`);
  }
  lines.push("(--dry-run lists every file)");
  return lines.join("\n");
}

/**
 * git and the install (steps.ts, with execa), loaded only when a run asks for
 * either. The CLI imports them from its own ES modules and hands the loader
 * in: create runs inside the engine (engine-load.ts), a script compiled from
 * a code cache, where Node 20 offers no import().
 */
export type LoadSteps = () => Promise<typeof import("./steps.js")>;

export async function create(
  args: Args,
  ui: Ui,
  interactive: boolean,
  signal: AbortSignal,
  loadSteps: LoadSteps,
): Promise<CreateResult> {
  const missing = missingFlags(args);
  if (!interactive && !args.yes && missing.length > 0) {
    throw new UsageError(
      `Not running in a terminal, so there is nobody to answer prompts. Missing: ${missing.join(", ")}. Give them as flags, or add --yes to take the defaults for the rest (e.g. create-video-backend ${
        args.dir ?? DEFAULT_DIR
      } --yes).`,
    );
  }
  // Fail fast on what the flags alone decide, before asking anything. Defaults
  // always satisfy the rules, so a violation here comes from a flag.
  checkRules(withDefaults(args.lists, args.settings));
  checkSettingFlags(args, interactive);
  if (args.dir !== undefined) assertWritable(resolveTarget(args.dir), args.force);

  let answers: Answers | undefined;
  for (;;) {
    answers = interactive
      ? await ui.ask(args, { dir: args.dir ?? DEFAULT_DIR }, answers)
      : { dir: args.dir ?? DEFAULT_DIR, lists: withDefaults(args.lists, {}), settings: args.settings };
    const options = withDefaults(answers.lists, answers.settings);
    checkRules(options);
    checkSettings(options, answers.settings);
    const target = resolveTarget(answers.dir);
    assertWritable(target, args.force);

    const now = generationTime();
    const ctx = buildContext(target.name, options, { name: "create-video-backend", version: VERSION }, now);
    const files = renderTemplates(ctx, now, templates, (c) => assembleOpenApi(c, openApiParts));
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
      if (args.format === "plan") result.plan = files.find((f) => f.path === PLAN_MD)!.content;
      return result;
    }
    if (interactive && !(await ui.confirm(formatSummary(result, target)))) continue;
    return writeAndFinish(args, ui, signal, loadSteps, { ctx, target, files, result });
  }
}

/**
 * A setting flag whose choice is also a flag must matter for it (`--trial-credits`
 * needs `--auth …devicecheck`). Without a TTY every choice is known now; in a
 * terminal, choices still to be asked are checked after the prompts.
 */
function checkSettingFlags(args: Args, interactive: boolean): void {
  const known = withDefaults(args.lists, args.settings);
  const decided = SETTINGS.filter((s) =>
    !interactive || (s.relevantWith ?? []).every((r) => args.lists[r.key] !== undefined)
  );
  checkSettings(known, Object.fromEntries(decided.map((s) => [s.key, args.settings[s.key]])));
}

async function writeAndFinish(
  args: Args,
  ui: Ui,
  signal: AbortSignal,
  loadSteps: LoadSteps,
  { ctx, target, files, result }: { ctx: RenderContext; target: Target; files: RenderedFile[]; result: CreateResult },
): Promise<CreateResult> {
  await ui.step(`Writing ${files.length} files to ${target.display}`, () =>
    writeProject(target, files, { force: args.force, signal }));
  // What is left to do, for the message if Ctrl+C stops a step below.
  const cd = target.display === "." ? [] : [`cd ${target.display}`];
  const steps = args.git || args.install ? await loadSteps() : undefined;
  const stopped = (during: string, left: string[]) =>
    new InterruptedError(
      `Stopped during ${during}: the project is complete in ${target.display}. To finish, run:\n  ${[...cd, ...left].join(" && ")}`,
    );
  const installCommand = ctx.pm.install;
  if (signal.aborted) {
    throw stopped("the write", [...(args.git ? [steps!.gitCommands()] : []), ...(args.install ? [installCommand] : [])]);
  }
  if (steps && args.git) {
    const git = await ui.step("Creating the first git commit", () => steps.gitInit(target.dir, target.display, signal));
    if (git.cancelled) throw stopped("git init", [steps.gitCommands(), ...(args.install ? [installCommand] : [])]);
    if (git.warning) result.warnings.push(git.warning);
  }
  let installed = false;
  if (steps && args.install) {
    const install = await ui.step(`Installing dependencies with ${result.options.pm}`, () =>
      steps.installDependencies(target.dir, target.display, result.options.pm, signal));
    if (install.cancelled) throw stopped(`${result.options.pm} install`, [installCommand]);
    installed = install.ok;
    if (install.warning) result.warnings.push(install.warning);
  }
  result.nextSteps = nextSteps(ctx, target, installed);
  return result;
}
