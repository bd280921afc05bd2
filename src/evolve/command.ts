/**
 * `add <feature…> [dir]` and `upgrade [dir] [--from TARBALL]`: sequencing and
 * printing only; the work is the engine's (engine.ts).
 */
import openApiParts from "virtual:cvb-openapi";
import templates from "virtual:cvb-templates";
import type { Args } from "../args.js";
import { assembleOpenApi } from "../openapi-assemble.js";
import { renderTemplates } from "../renderer.js";
import { buildPlan, formatPlanMarkdown } from "../team.js";
import { evolve, type EvolveResult } from "./engine.js";
import { parseFeatures } from "./grammar.js";

const SYMBOL: Record<string, string> = { add: "+", replace: "~", merge: "M", conflict: "!", keep: "=", delete: "-" };

export function formatResult(r: EvolveResult): string {
  const lines: string[] = [];
  const title = r.command === "upgrade" ? `upgrade ${r.fromVersion} → ${r.toVersion}` : `add ${Object.values(r.added).flat().join(" ")}`;
  lines.push(`${r.dryRun ? "Dry run: nothing was written. " : ""}${title} in ${r.directory}`);
  const changed = r.files.filter((f) => f.action !== "keep");
  const kept = r.files.filter((f) => f.action === "keep");
  lines.push("", `Files (${changed.length} changed${kept.length ? `, ${kept.length} kept as you have them` : ""}):`);
  for (const f of [...changed, ...kept]) lines.push(`  ${SYMBOL[f.action]} ${f.action.padEnd(8)} ${f.path}${f.note ? `  (${f.note})` : ""}`);
  if (r.migration) {
    lines.push("", `Migration: + ${r.migration.file} (${r.migration.statements} statements; ${r.migration.proof})`);
    for (const n of r.migration.notes) lines.push(`  note: ${n}`);
    for (const f of r.migration.lint.filter((x) => x.blocking)) lines.push(`  lint: ${f.rule}: ${f.message}${f.line ? ` (line ${f.line})` : ""} — needs --allow-destructive`);
    const advice = new Map<string, number>();
    for (const f of r.migration.lint.filter((x) => !x.blocking)) advice.set(f.rule, (advice.get(f.rule) ?? 0) + 1);
    if (advice.size) {
      lines.push(`  postgrestools advice (not blocking under lock_timeout; --json lists each): ${[...advice].map(([k, n]) => `${k.replace("lint/safety/", "")} ×${n}`).join(", ")}`);
    }
    if (r.dryRun) lines.push("", r.migration.sql);
  } else {
    lines.push("", "Migration: none needed (the schema, grants, rows and schedules are already as a fresh project's).");
  }
  if (r.conflicts.length) {
    lines.push("", `Conflicts (${r.conflicts.length}): resolve the <<<<<<< ||||||| ======= >>>>>>> markers in:`, ...r.conflicts.map((c) => `  ${c}`));
  }
  lines.push("", "Next:", ...r.nextSteps.map((s) => `  ${s}`));
  return lines.join("\n");
}

/** The change as the agents' orchestrator plans it (AGENTS.md, issue 14): who does what, in which order. */
export function planOf(r: EvolveResult): string {
  const title = r.command === "upgrade"
    ? `Upgrade the backend from create-video-backend ${r.fromVersion} to ${r.toVersion}`
    : `Add ${Object.values(r.added).flat().join(", ")} to the backend`;
  return formatPlanMarkdown(buildPlan(r.options, r.changes, title));
}

export async function evolveCommand(args: Args): Promise<number> {
  const request = args.command === "add" ? parseFeatures(args.words) : { additions: undefined, dir: args.dir };
  const log = args.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
  const result = await evolve({
    kind: args.command as "add" | "upgrade",
    dir: request.dir ?? ".",
    ...(request.additions ? { additions: request.additions } : {}),
    settings: args.settings,
    ...(args.from ? { from: args.from } : {}),
    dryRun: args.dryRun,
    force: args.force,
    allowDestructive: args.allowDestructive,
    render: (ctx, base) => renderTemplates(ctx, base, templates, (c) => assembleOpenApi(c, openApiParts)),
    log,
    onChangelog: (releases) => {
      if (args.json || releases.length === 0) return;
      console.log("What this upgrade brings (CHANGELOG.md):\n");
      for (const r of releases) console.log(`${r.markdown}\n`);
    },
  });
  const plan = planOf(result);
  if (args.json) process.stdout.write(`${JSON.stringify({ ...result, plan }, null, 2)}\n`);
  else {
    console.log(formatResult(result));
    if (result.dryRun) console.log(`\nThe plan (backend-tech-lead-orchestrator format, as in AGENTS.md):\n\n${plan}`);
  }
  return result.conflicts.length > 0 ? 1 : 0;
}
