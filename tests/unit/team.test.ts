/**
 * The team files (AGENTS.md, docs/PLAN.md, .claude/agents/*.md) for every valid
 * option combination: every list combination × --agents claude|none, rendered
 * through the real renderer. The checks read the rendered Markdown (front
 * matter parsed with a real YAML parser, globs as the agent files print them),
 * and compare against the issue's table written out here, not against
 * src/team.ts, so a wrong team.ts fails them.
 */
import picomatch from "picomatch";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { parseArgv } from "../../src/args.js";
import { withDefaults } from "../../src/options.js";
import { helpText } from "../../src/help.js";
import { CHOICES, type Options, reproduceCommand, UsageError } from "../../src/options.js";
import { buildContext } from "../../src/plan.js";
import { loadTemplateBundle } from "../../src/precompile.js";
import { TEMPLATES_DIR } from "../../src/render.js";
import { type RenderedFile, renderTemplates, type TemplateBundle } from "../../src/renderer.js";
import { buildPlan, formatPlanMarkdown } from "../../src/team.js";
import { allListCombos, type Lists } from "./combos.js";


/** The issue's table: exact names and the layer each works in (0 = the orchestrator). */
const LAYER_OF: Record<string, number> = {
  "backend-tech-lead-orchestrator": 0,
  "supabase-database-architect": 1,
  "credit-system-architect": 2,
  "supabase-edge-function-developer": 3,
  "provider-integration-specialist": 3,
  "auth-security-specialist": 4,
  "iap-verification-specialist": 4,
  "backend-operations-engineer": 5,
};
const ALL_NAMES = Object.keys(LAYER_OF);
/** The members a project must have: all but IAP without a store. */
function expectedTeam(o: Lists): string[] {
  return ALL_NAMES.filter((n) => n !== "iap-verification-specialist" || o.iap.length > 0);
}
/** Claude Code's tool names. */
const CLAUDE_TOOLS = new Set(["Read", "Write", "Edit", "MultiEdit", "Bash", "Grep", "Glob", "WebFetch", "WebSearch", "Task"]);
const SECTIONS = [
  "Task Analysis",
  "SubAgent Assignments",
  "Execution Order",
  "Available Agents for This Project",
  "Instructions to Main Agent",
];


const NOW = new Date("2026-01-01T00:00:00Z");
let bundle: TemplateBundle;
beforeAll(() => {
  bundle = loadTemplateBundle(TEMPLATES_DIR);
});

function renderFor(o: Options): RenderedFile[] {
  // openapi.json's content does not matter here, only that the file exists.
  return renderTemplates(buildContext("video-app", o, { name: "create-video-backend", version: "0.0.0" }, NOW), NOW, bundle, () => "{}\n");
}

function frontMatter(text: string): { data: Record<string, unknown>; body: string } {
  const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  if (!m) throw new Error("no front matter");
  return { data: parseYaml(m[1]!) as Record<string, unknown>, body: m[2]! };
}

/** The globs an agent file lists under "## Files you own". */
function agentGlobs(body: string): string[] {
  const section = /^## Files you own\n([\s\S]*?)(?=^## )/m.exec(body)?.[1] ?? "";
  return [...section.matchAll(/^- `([^`]+)`/gm)].map((m) => m[1]!);
}

/** AGENTS.md's team table: agent → globs (the backticked items after the role). */
function agentsMdTable(text: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const m of text.matchAll(/^\| `([a-z-]+)` \| \d\. [^|]+ \| [^`|]+: (.+) \|$/gm)) {
    rows.set(m[1]!, [...m[2]!.matchAll(/`([^`]+)`/g)].map((g) => g[1]!));
  }
  return rows;
}

const compiled = new Map<string, RegExp>();
function globRe(glob: string): RegExp {
  let re = compiled.get(glob);
  if (!re) compiled.set(glob, (re = picomatch.makeRe(glob, { dot: true })));
  return re;
}

/** Which of these owners' globs match each path; returns the problems. */
function coverage(paths: string[], owners: Map<string, string[]>): string[] {
  const matchers = [...owners].map(([name, globs]) => [name, globs.map(globRe)] as const);
  const problems: string[] = [];
  for (const p of paths) {
    const hits = matchers.filter(([, res]) => res.some((re) => re.test(p))).map(([n]) => n);
    if (hits.length !== 1) problems.push(`${p}: owned by ${hits.length ? hits.join(" and ") : "nobody"}`);
  }
  for (const [name, globs] of owners) {
    for (const g of globs) {
      if (!paths.some((p) => globRe(g).test(p))) problems.push(`${name}: glob ${g} matches no file`);
    }
  }
  return problems;
}

interface PlanCheck {
  problems: string[];
  agents: string[];
}

/** The five sections in order; tasks, order and agents as the issue's format says. */
function checkPlan(text: string, team: string[]): PlanCheck {
  const problems: string[] = [];
  const headings = [...text.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
  if (JSON.stringify(headings) !== JSON.stringify(SECTIONS)) problems.push(`sections: ${headings.join(" / ")}`);
  const section = (name: string) => new RegExp(`^## ${name}\\n([\\s\\S]*?)(?=^## |(?![\\s\\S]))`, "m").exec(text)?.[1] ?? "";
  const analysis = section("Task Analysis").split("\n").filter((l) => l.startsWith("- "));
  if (analysis.length < 2 || analysis.length > 3) problems.push(`Task Analysis has ${analysis.length} bullets`);
  if (!analysis.some((l) => l.includes("Stack detected"))) problems.push("Task Analysis names no stack");
  const tasks = [...section("SubAgent Assignments").matchAll(/^- Task (\d+): .+ → AGENT: ([a-z-]+)$/gm)].map((m) => ({
    n: Number(m[1]),
    agent: m[2]!,
  }));
  const taskLines = section("SubAgent Assignments").split("\n").filter((l) => l.startsWith("- "));
  if (taskLines.length !== tasks.length) problems.push("a task line is not `Task N: … → AGENT: name`");
  tasks.forEach((t, i) => t.n !== i + 1 && problems.push(`task ${t.n} out of sequence`));
  for (const t of tasks) if (!team.includes(t.agent)) problems.push(`task ${t.n} goes to ${t.agent}, not in this team`);
  if (tasks.some((t) => t.agent === "backend-tech-lead-orchestrator")) problems.push("the orchestrator implements a task");
  const steps = [...section("Execution Order").matchAll(/^\d+\. (Sequential|Parallel): (.+)$/gm)].map((m) => ({
    parallel: m[1] === "Parallel",
    tasks: m[2]!.split(" ∥ ").map((s) => Number(/^Task (\d+)$/.exec(s)?.[1])),
  }));
  const seen = steps.flatMap((s) => s.tasks);
  if (JSON.stringify([...seen].sort((a, b) => a - b)) !== JSON.stringify(tasks.map((t) => t.n))) {
    problems.push(`execution order runs tasks ${seen.join(",")}, assignments are ${tasks.map((t) => t.n).join(",")}`);
  }
  let lastLayer = 0;
  for (const s of steps) {
    if (s.tasks.length > 2) problems.push(`${s.tasks.length} tasks in parallel`);
    if (s.parallel !== (s.tasks.length > 1)) problems.push("a step's Sequential/Parallel label does not fit its tasks");
    const layers = s.tasks.map((n) => LAYER_OF[tasks.find((t) => t.n === n)?.agent ?? ""] ?? -1);
    if (new Set(layers).size !== 1) problems.push(`a parallel step mixes layers ${layers.join(",")}`);
    if (layers[0]! < lastLayer) problems.push(`layer ${layers[0]} runs after layer ${lastLayer}`);
    lastLayer = Math.max(lastLayer, ...layers);
  }
  const first = tasks.find((t) => t.n === steps[0]?.tasks[0]);
  const last = tasks.find((t) => t.n === steps.at(-1)?.tasks.at(-1));
  if (first?.agent !== "supabase-database-architect") problems.push(`first step is ${first?.agent}`);
  if (last?.agent !== "backend-operations-engineer") problems.push(`last step is ${last?.agent}`);
  const agents = [...section("Available Agents for This Project").matchAll(/^- `([a-z-]+)`: .+$/gm)].map((m) => m[1]!);
  const instructions = section("Instructions to Main Agent").split("\n").filter((l) => /^\d+\. /.test(l));
  if (instructions.length < 3) problems.push("fewer than 3 instructions");
  if (!/verify/.test(instructions.at(-1) ?? "")) problems.push("instructions do not end with verify");
  return { problems, agents };
}

const COMBOS = allListCombos();

describe("the team files, for every option combination", () => {
  it("covers every valid combination (5 auth × 8 iap × 7 providers × 4 monitoring) × --agents claude|none", () => {
    expect(COMBOS.length).toBe(5 * 8 * 7 * 4);
  });

  it("agent files parse, names are exact, only relevant members exist, each file has exactly one owner, PLAN.md keeps the format", () => {
    const problems: string[] = [];
    for (const lists of COMBOS) {
      for (const agents of ["claude", "none"] as const) {
        const o = withDefaults(lists, { agents }, "npm");
        const label = `${CHOICES.map((c) => `--${c.flag} ${o[c.key].join(",") || "none"}`).join(" ")} --agents ${agents}`;
        const fail = (what: string) => problems.push(`${label}: ${what}`);
        const files = renderFor(o);
        const byPath = new Map(files.map((f) => [f.path, f.content]));
        const paths = files.map((f) => f.path);
        const team = expectedTeam(o);
        const agentFiles = paths.filter((p) => p.startsWith(".claude/"));

        if (!byPath.has("AGENTS.md")) fail("no AGENTS.md");
        const expectedFiles = agents === "claude" ? team.map((n) => `.claude/agents/${n}.md`) : [];
        if (JSON.stringify([...agentFiles].sort()) !== JSON.stringify([...expectedFiles].sort())) {
          fail(`agent files ${agentFiles.join(", ")}`);
        }

        const owners = new Map<string, string[]>();
        for (const file of agentFiles) {
          let fm;
          try {
            fm = frontMatter(byPath.get(file)!);
          } catch (error) {
            fail(`${file}: ${(error as Error).message}`);
            continue;
          }
          const { name, description, tools } = fm.data;
          if (Object.keys(fm.data).sort().join() !== "description,name,tools") fail(`${file}: keys ${Object.keys(fm.data)}`);
          if (`.claude/agents/${name}.md` !== file || !ALL_NAMES.includes(String(name))) fail(`${file}: name ${name}`);
          if (typeof description !== "string" || !/^Use /.test(description)) fail(`${file}: description should say when to use it`);
          const toolList = String(tools).split(", ");
          if (!toolList.every((t) => CLAUDE_TOOLS.has(t))) fail(`${file}: tools ${tools}`);
          const globs = agentGlobs(fm.body);
          if (name === "backend-tech-lead-orchestrator") {
            if (globs.length) fail("the orchestrator owns files");
            if (toolList.some((t) => ["Write", "Edit", "MultiEdit", "Bash"].includes(t))) fail("the orchestrator can edit files");
            for (const s of SECTIONS) if (!fm.body.includes(`## ${s}`)) fail(`the orchestrator does not prescribe ${s}`);
          } else {
            owners.set(String(name), globs);
            if (!/## Invariants you keep\n\n- /.test(fm.body)) fail(`${file}: no invariants`);
            if (!/## Anti-patterns\n\n- /.test(fm.body)) fail(`${file}: no anti-patterns`);
            if (!fm.body.includes("npm run verify")) fail(`${file}: no verify command`);
          }
        }
        if (agents === "claude") for (const p of coverage(paths, owners)) fail(`agent files: ${p}`);

        const table = agentsMdTable(byPath.get("AGENTS.md") ?? "");
        if (JSON.stringify([...table.keys()]) !== JSON.stringify(team.slice(1))) fail(`AGENTS.md team ${[...table.keys()]}`);
        for (const p of coverage(paths, table)) fail(`AGENTS.md: ${p}`);
        if (agents === "claude") {
          for (const [name, globs] of table) {
            if (JSON.stringify(globs) !== JSON.stringify(owners.get(name))) fail(`AGENTS.md and ${name}.md list other globs`);
          }
        }

        const plan = checkPlan(byPath.get("docs/PLAN.md") ?? "", team);
        for (const p of plan.problems) fail(`PLAN.md: ${p}`);
        if (JSON.stringify(plan.agents) !== JSON.stringify(team)) fail(`PLAN.md agents ${plan.agents}`);
        if (problems.length > 20) break;
      }
      if (problems.length > 20) break;
    }
    expect(problems.slice(0, 20)).toEqual([]);
  });
});

describe("AGENTS.md", () => {
  it("names the commands in the project's package manager and keeps the rules", () => {
    for (const pm of ["npm", "pnpm", "yarn", "bun"] as const) {
      const text = renderFor(withDefaults({}, {}, pm)).find((f) => f.path === "AGENTS.md")!.content;
      const run = { npm: "npm run", pnpm: "pnpm", yarn: "yarn", bun: "bun run" }[pm];
      const exec = { npm: "npx", pnpm: "pnpm exec", yarn: "yarn", bun: "bunx" }[pm];
      for (const cmd of [`${run} verify`, `${run} deploy`, `${run} doctor`, `${exec} create-video-backend add`, `${exec} create-video-backend upgrade`]) {
        expect(text, `${pm}: ${cmd}`).toContain(`\`${cmd}`);
      }
    }
    const text = renderFor(withDefaults({}, {}, "npm")).find((f) => f.path === "AGENTS.md")!.content;
    const invariants = /The ledger invariants[^\n]*\n\n((?:\d\. .+\n(?: {3}.+\n)*)+)/.exec(text)?.[1] ?? "";
    expect(invariants.match(/^\d\. /gm)).toHaveLength(8);
    for (const rule of [
      "Migrations are append-only",
      "Every credit change goes through a SQL function",
      "Every table has row level security and explicit grants",
      "Every state change is idempotent",
      "Every charge has a refund path",
      "Every external call has a timeout, retries and a rollback",
      "Every function reports its errors",
      "Products and models are configuration as data",
      "Never trust client-sent amounts",
    ]) {
      expect(text).toContain(`**${rule}`);
    }
    for (const layer of ["database", "credit procedures", "API", "security", "operations"]) expect(text).toMatch(new RegExp(`\\| \\d \\| ${layer} \\|`));
  });
});

describe("buildPlan (for add and upgrade)", () => {
  const options = withDefaults({ providers: ["fal", "runway"] }, {}, "pnpm");

  it("plans a change by owner, in layer order, ending with verify", () => {
    const plan = buildPlan(
      options,
      [
        { path: "supabase/functions/tests/runway_provider_test.ts", action: "create" },
        { path: "supabase/functions/_shared/providers/runway.ts", action: "create" },
        { path: "supabase/functions/_shared/providers/registry.ts", action: "update" },
        { path: "README.md", action: "update" },
        { path: "supabase/migrations/20260301000000_add_runway_models.sql", action: "create" },
      ],
      "Add runway",
    );
    expect(plan.tasks.map((t) => t.agent)).toEqual(["supabase-database-architect", "provider-integration-specialist", "backend-operations-engineer"]);
    expect(plan.tasks[1]!.text).toBe("Task 2: video provider adapters and webhooks (create 2, update 1 files) → AGENT: provider-integration-specialist");
    expect(plan.order).toEqual([{ tasks: [1], parallel: false }, { tasks: [2], parallel: false }, { tasks: [3], parallel: false }]);
    const text = formatPlanMarkdown(plan);
    expect(text).toContain("- Add runway: 5 files across 3 specialists");
    expect(text.trimEnd().split("\n").at(-1)).toBe("6. Finish with `pnpm verify`: the change is done only when it passes.");
    expect(checkPlan(text, expectedTeam(options)).problems).toEqual([]);
  });

  it("runs the two specialists of a layer in parallel, never more than two", () => {
    const plan = buildPlan(options, [
      { path: "supabase/functions/generate-video/handler.ts", action: "update" },
      { path: "supabase/functions/_shared/providers/fal.ts", action: "update" },
      { path: "supabase/functions/_shared/auth.ts", action: "update" },
      { path: "supabase/functions/verify-purchase/handler.ts", action: "update" },
    ]);
    expect(plan.order).toEqual([{ tasks: [1, 2], parallel: true }, { tasks: [3, 4], parallel: true }]);
  });

  it("gives a hand-added file to the owner of its folder", () => {
    const plan = buildPlan(options, [
      { path: "supabase/functions/my-endpoint/index.ts", action: "create" },
      { path: "supabase/migrations/20260301000000_my_table.sql", action: "create" },
      { path: "scripts/seed-prod.sh", action: "create" },
    ]);
    expect(plan.tasks.map((t) => t.agent)).toEqual([
      "supabase-database-architect",
      "supabase-edge-function-developer",
      "backend-operations-engineer",
    ]);
  });

  it("says so when nothing changes", () => {
    const text = formatPlanMarkdown(buildPlan(options, [], "Upgrade to 0.1.0"));
    expect(text).toContain("No files change: nothing to assign.");
    expect(text).not.toContain("Task 1");
  });
});

describe("--agents and --format in the option registry", () => {
  it("parses, validates and shows in help, the manifest and the reproduce command", () => {
    expect(parseArgv(["app", "--agents", "none"]).settings.agents).toBe("none");
    expect(() => parseArgv(["app", "--agents", "cursor"])).toThrow(/--agents must be one of claude, none, got "cursor"/);
    const o = withDefaults({}, { agents: "none" }, "npm");
    expect(o.agents).toBe("none");
    expect(withDefaults({}, {}, "npm").agents).toBe("claude");
    expect(reproduceCommand("app", o)).toMatch(/ --agents none$/);
    expect(helpText("0.0.0")).toMatch(/--agents <value> +AI coding agent team files/);
    expect(helpText("0.0.0")).toMatch(/--format <files\|plan> +with --dry-run/);
    const manifest = renderFor(o).find((f) => f.path === "video-backend.json")!.content;
    expect(JSON.parse(manifest).options.agents).toBe("none");
  });

  it("--format takes files or plan, only with --dry-run", () => {
    expect(parseArgv(["app", "--dry-run"]).format).toBe("files");
    expect(parseArgv(["app", "--dry-run", "--format", "plan"]).format).toBe("plan");
    expect(() => parseArgv(["app", "--format", "plan"])).toThrow(UsageError);
    expect(() => parseArgv(["app", "--format", "plan"])).toThrow(/--format applies only to a dry run/);
    expect(() => parseArgv(["app", "--dry-run", "--format", "plans"])).toThrow(/Did you mean plan\?/);
  });
});
