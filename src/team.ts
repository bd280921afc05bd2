/**
 * The engineering team that builds (and keeps extending) a generated backend:
 * one tech lead who plans and delegates, and the specialists who own the
 * files, layer by layer. This is the one place that says who exists, when,
 * and who owns which file; `AGENTS.md`, `.claude/agents/*.md`, `docs/PLAN.md`,
 * `--dry-run --format plan` and the tests all derive from it.
 *
 * Ownership: every member lists globs (picomatch syntax, matched against the
 * project-relative path). The globs of the members are disjoint on every
 * generated tree (a unit test renders every option combination and checks that
 * each file is matched by exactly one member), so a reader of one agent file
 * never has to know another's. `FALLBACK` is consulted only for a path no
 * member's globs match (a file a user added by hand): first match wins.
 */
import { featuresOf, type Has, LAYERS, pmCommands } from "./plan.js";
import type { Options } from "./options.js";

export const AGENT_NAMES = [
  "backend-tech-lead-orchestrator",
  "supabase-database-architect",
  "credit-system-architect",
  "supabase-edge-function-developer",
  "provider-integration-specialist",
  "auth-security-specialist",
  "iap-verification-specialist",
  "backend-operations-engineer",
] as const;
export type AgentName = (typeof AGENT_NAMES)[number];
export type SpecialistName = Exclude<AgentName, "backend-tech-lead-orchestrator">;

/** Claude Code tool names (the `tools` front matter field is a comma list of them). */
const READ_ONLY = ["Read", "Grep", "Glob"];
const BUILDER = ["Read", "Write", "Edit", "Bash", "Grep", "Glob"];

export interface TeamMember {
  name: AgentName;
  /** 0 for the orchestrator, else the layer (plan.ts LAYERS) its work belongs to. */
  layer: 0 | 1 | 2 | 3 | 4 | 5;
  /** What it owns, one line (the issue's table). */
  role: string;
  /** Front matter `description`: when the main agent should hand it work. */
  description: string;
  tools: string[];
  /** Whether this project has the member, and why (the reason is written in AGENTS.md). */
  present: (has: Has) => boolean;
  presentBecause: string;
  /** Globs of the files it owns (empty for the orchestrator, who owns nothing). */
  owns: string[];
  /** What a task of this member does, in the plan ("… → AGENT: name"). */
  task: string;
  invariants: string[];
  antiPatterns: string[];
}

const always = () => true;
const migrations = (...names: string[]) => names.map((n) => `supabase/migrations/*_${n}.sql`);
const fnTests = (...names: string[]) => names.map((n) => `supabase/functions/tests/${n}`);
const shared = (...names: string[]) => names.map((n) => `supabase/functions/_shared/${n}`);

export const TEAM: readonly TeamMember[] = [
  {
    name: "backend-tech-lead-orchestrator",
    layer: 0,
    role: "analyses, plans, delegates; never implements",
    description:
      "Use first for any change that touches more than one file or layer of this backend: it reads the request, maps it to the owning specialists, and returns a plan in the fixed format (Task Analysis, SubAgent Assignments, Execution Order, Available Agents, Instructions to Main Agent). It never edits files.",
    tools: READ_ONLY,
    present: always,
    presentBecause: "always: every change starts with a plan",
    owns: [],
    task: "plan the change and delegate it",
    invariants: [
      "Delegates every file to its owner as listed in AGENTS.md; never writes or edits a file itself.",
      "Orders work by layer: database first, then credit procedures, API, security, and operations last.",
      "Runs at most two tasks in parallel, and only tasks of the same layer whose owners meet at an existing contract.",
      "Ends every plan with the proof: the project's verify command must pass before the change is done.",
    ],
    antiPatterns: [
      "Writing code or SQL \"because it is quicker\" instead of delegating.",
      "Assigning a file to a specialist that does not own it, or to an agent this project does not have.",
      "Scheduling an API or security task before the migration it depends on exists.",
      "Declaring success without a green verify run.",
    ],
  },
  {
    name: "supabase-database-architect",
    layer: 1,
    role: "schema, RLS, indexes, migrations (layer 1)",
    description:
      "Use for tables, columns, indexes, row level security policies, grants, the model and product catalog rows, the storage bucket, and their pgTAP tests. Hand it any change that needs a new migration for the schema.",
    tools: BUILDER,
    present: always,
    presentBecause: "always: every project has the schema",
    owns: [
      ...migrations(
        "harden_privileges",
        "scheduler_extensions",
        "users",
        "catalog",
        "video_jobs",
        "iap_transactions",
        "private",
        "catalog_rows",
        "video_storage",
      ),
      "supabase/seed.sql",
      "supabase/tests/1[0-9]_*.test.sql",
    ],
    task: "schema, row level security, grants and catalog rows",
    invariants: [
      "Migrations are append-only: a migration that may have been applied is never edited; a change is a new migration with a later timestamp.",
      "Every table has row level security enabled and explicit grants per role; nothing relies on default privileges.",
      "Clients read only the columns a column grant lists; internal tables live in schema `private`.",
      "Models and products are rows (catalog data), never constants in code.",
      "Every policy change comes with a pgTAP test that tries the attack as another user and as `anon`.",
    ],
    antiPatterns: [
      "Editing an applied migration, or renaming one.",
      "`grant all` or `select *` grants to `anon`/`authenticated`.",
      "A table without `enable row level security`.",
      "Moving credits with an UPDATE in a migration or seed instead of the credit functions.",
    ],
  },
  {
    name: "credit-system-architect",
    layer: 2,
    role: "atomic credit procedures, quota log, stored procedures (layer 2)",
    description:
      "Use for anything that moves credits or changes a job's state in the database: the SQL functions that charge, refund, credit purchases and trials, reap stuck jobs and count rate limits, the append-only quota_log, the ledger guards, the typed database interface (database.types.ts), and their pgTAP tests.",
    tools: BUILDER,
    present: always,
    presentBecause: "always: every project charges and refunds credits",
    owns: [
      ...migrations(
        "quota_log",
        "ledger_guards",
        "create_video_job",
        "job_transitions",
        "purchases",
        "trial_credits",
        "leases",
        "reap_stuck_jobs",
        "webhook_events",
        "rate_limits",
      ),
      "supabase/tests/2[0-9]_*.test.sql",
      ...shared("database.types.ts"),
    ],
    task: "credit procedures and the quota log",
    invariants: [
      "Every credit change goes through a SQL function that locks the user row, writes the balance and its quota_log row in the same transaction, and never lets the balance go below zero.",
      "Every state change is idempotent: the same idempotency key, transaction id or event id applied twice changes nothing the second time.",
      "Every charge has a refund path: a job that fails, is reaped or is rejected gives its credits back exactly once.",
      "The functions are SECURITY DEFINER with a fixed search_path, executable only by the roles that need them.",
      "Amounts come from catalog rows, never from a client-sent value.",
    ],
    antiPatterns: [
      "Computing a balance in TypeScript and writing it back.",
      "A credit function without a quota_log row, or a quota_log row updated or deleted.",
      "Check-then-act across two statements without a row lock (double spend under concurrency).",
      "Editing an applied migration instead of adding one that replaces the function.",
    ],
  },
  {
    name: "supabase-edge-function-developer",
    layer: 3,
    role: "Deno Edge Functions, REST endpoints, error handling (layer 3)",
    description:
      "Use for the app-facing Edge Functions (generate-video, job-status, poll-jobs), the shared HTTP, validation, database and storage modules, the OpenAPI contract and typed clients, and the API tests.",
    tools: BUILDER,
    present: always,
    presentBecause: "always: every project serves the app's API",
    owns: [
      "supabase/functions/{generate-video,job-status,poll-jobs}/**",
      ...shared(
        "http.ts",
        "env.ts",
        "db.ts",
        "supabase.ts",
        "validate.ts",
        "jobs.ts",
        "generation_input.ts",
        "storage.ts",
        "video_source.ts",
        "crypto.ts",
        "contract/{job,openapi,schema}.ts",
      ),
      "supabase/functions/deno.json",
      "supabase/functions/openapi.{ts,json}",
      ...fnTests(
        "api_*_test.ts",
        "e2e_*test.ts",
        "contract.ts",
        "contract_coverage_test.ts",
        "import_maps_test.ts",
        "job_internals_test.ts",
        "pg_db.ts",
        "supabase_adapters_test.ts",
        "video_source_test.ts",
        "fakes/{assets,auth,common,harness,memory_db,server,storage}.ts",
      ),
      "clients/**",
    ],
    task: "Edge Functions and REST endpoints",
    invariants: [
      "Handlers call the credit SQL functions for every charge and refund; they never write balances or job states directly.",
      "Every request that charges takes an idempotency key; a retry returns the first answer.",
      "Input is validated against the contract schema; amounts and costs come from the database, never the request body.",
      "Errors answer `{\"error\": {\"code\", \"message\"}}` with the codes in openapi.json, and every function reports unexpected errors to error tracking.",
      "Imports are pinned `npm:` specifiers in deno.json; code passes deno check, deno lint and deno fmt.",
    ],
    antiPatterns: [
      "Trusting a client-sent price, credit amount or user id.",
      "Catching an error and answering 200.",
      "Starting a provider call before the credits are charged (or charging without a job row).",
      "Changing a response shape without updating the contract and regenerating openapi.json.",
    ],
  },
  {
    name: "provider-integration-specialist",
    layer: 3,
    role: "fal/Runway/Replicate adapters, idempotency, webhooks (layer 3)",
    description:
      "Use for the video provider adapters, the provider registry, provider webhooks and their signature checks, retries and rollback of provider calls, and the provider fakes and tests.",
    tools: BUILDER,
    present: always,
    presentBecause: "always: every project has at least one video provider",
    owns: [
      ...shared("providers/**", "webhook.ts", "webhook_token.ts", "contract/webhook.ts"),
      "supabase/functions/{fal-webhook,replicate-webhook}/**",
      ...fnTests(
        "*_provider_test.ts",
        "providers_test.ts",
        "webhook_test.ts",
        "webhook_attacks_test.ts",
        "fakes/{fal,runway,replicate,providers}.ts",
      ),
    ],
    task: "video provider adapters and webhooks",
    invariants: [
      "Every external call has a timeout, bounded retries for transient failures, and a rollback: a submission that definitely failed refunds the job.",
      "Webhooks verify the provider's signature before reading the body, and are idempotent per event id.",
      "A provider's answer moves a job only through the job transition SQL functions.",
      "Provider base URLs come from environment variables so tests reach fakes on 127.0.0.1.",
      "Models and their provider ids are catalog rows, not code.",
    ],
    antiPatterns: [
      "Retrying a non-idempotent submission without the provider's idempotency support.",
      "Accepting an unsigned or replayed webhook.",
      "Hard-coding a model id or price in an adapter.",
      "Testing against the real provider instead of the fakes in supabase/functions/tests/fakes.",
    ],
  },
  {
    name: "auth-security-specialist",
    layer: 4,
    role: "Apple Sign-In, guests, DeviceCheck, JWT (layer 4)",
    description:
      "Use for sign-in and JWT checks, device-gated trial credits, rate limits, the functions' verify_jwt and auth settings in supabase/config.toml, the threat model in docs/SECURITY.md, and the security tests.",
    tools: BUILDER,
    present: always,
    presentBecause: "always: every project signs users in",
    owns: [
      ...shared("auth.ts", "rate_limit.ts", "security/**", "devicecheck/**"),
      "supabase/functions/device-check/**",
      ...fnTests("security_*"),
      "supabase/config.toml",
      "docs/SECURITY.md",
    ],
    task: "sign-in, JWT checks, DeviceCheck and rate limits",
    invariants: [
      "Every app-facing function verifies the user's JWT; service endpoints verify their own secret or signature.",
      "The user id comes from the verified token, never from the request body.",
      "Trial credits are granted at most once per device, through the SQL function.",
      "Each defence in docs/SECURITY.md names the test that proves it; a new attack gets a new test that tries it.",
    ],
    antiPatterns: [
      "Turning verify_jwt off for an app-facing function.",
      "Logging tokens, secrets or device tokens.",
      "A rate limit or device check enforced only in the app.",
    ],
  },
  {
    name: "iap-verification-specialist",
    layer: 4,
    role: "App Store / Google Play / RevenueCat verification, fraud (layer 4)",
    description:
      "Use for purchase verification and store notifications: verify-purchase, the store notification and webhook functions, signed transaction and certificate checks, refunds and revocations, and the IAP tests.",
    tools: BUILDER,
    present: (has) => has.iap,
    presentBecause: "only with in-app purchases (`--iap` other than none)",
    owns: [
      ...shared("apple/**", "google/**", "iap/**", "contract/store_notification.ts"),
      "supabase/functions/{verify-purchase,apple-notifications,google-notifications,revenuecat-webhook}/**",
      ...fnTests("iap_*"),
    ],
    task: "purchase verification, store notifications and refunds",
    invariants: [
      "A purchase credits only after the store's proof is verified (signature chain, bundle or package, environment).",
      "A transaction credits at most once, whoever sends it; a replayed receipt changes nothing.",
      "Refunds and revocations take the credits back through revoke_purchase, and a refund that arrives first blocks the purchase.",
      "Credit amounts come from the product catalog rows, never from the client.",
    ],
    antiPatterns: [
      "Trusting a receipt the app decoded, or a product id without the store's signature.",
      "Crediting in TypeScript instead of credit_purchase.",
      "Ignoring refund notifications.",
    ],
  },
  {
    name: "backend-operations-engineer",
    layer: 5,
    role: "Sentry, Telegram alerts, ops views, schedules, tests (layer 5)",
    description:
      "Use for error tracking, alerts, logs, the health function, the ops views and pg_cron schedules, CI, the project's documentation and configuration files, and for running the whole proof (verify) at the end of a change.",
    tools: BUILDER,
    present: always,
    presentBecause: "always: every project has health, ops views, schedules and CI",
    owns: [
      ...shared("alerts.ts", "background.ts", "log.ts", "observe.ts", "sentry.ts"),
      "supabase/functions/health/**",
      ...fnTests("health_*", "ops_*"),
      ...migrations("poll_jobs_schedule", "ops_views", "ops_schedules"),
      "supabase/tests/5[0-9]_*.test.sql",
      ".github/**",
      "docs/{ARCHITECTURE,OPERATIONS,PLAN}.md",
      "{README,AGENTS}.md",
      ".claude/**",
      "{package.json,video-backend.json,.env.example,.gitignore}",
    ],
    task: "monitoring, schedules, documentation and the final proof",
    invariants: [
      "Every function reports unexpected errors to error tracking and logs structured lines without secrets.",
      "Alerts fire for refund failures, fraud signals and stuck jobs; each alert path has a test.",
      "Schedules call functions with the cron secret from Vault; the reaper keeps every job's refund path alive.",
      "A new secret goes in .env.example, the README and the deploy step together.",
      "The change is done when the verify command passes, never before.",
    ],
    antiPatterns: [
      "Swallowing an error without reporting it.",
      "Putting a secret in a migration, a schedule or the repository.",
      "Skipping or weakening a failing test to make verify pass.",
    ],
  },
];

/**
 * Who owns a path no member's globs match (a file added by hand), first match
 * wins. Generated files never need it (the tests check that).
 */
export const FALLBACK: ReadonlyArray<{ glob: string; owner: SpecialistName }> = [
  { glob: "supabase/migrations/**", owner: "supabase-database-architect" },
  { glob: "supabase/tests/**", owner: "supabase-database-architect" },
  { glob: "supabase/functions/**", owner: "supabase-edge-function-developer" },
  { glob: "**", owner: "backend-operations-engineer" },
];

export function memberOf(name: AgentName): TeamMember {
  return TEAM.find((m) => m.name === name)!;
}

/** The members this project has, in layer order (the orchestrator first). */
export function teamFor(options: Options): TeamMember[] {
  const has = featuresOf(options);
  return TEAM.filter((m) => m.present(has));
}

/**
 * A glob ready to match: its regex, and the literal directory (picomatch's
 * scan base) every matching path starts with, a cheap test that skips the
 * regex for most path/glob pairs. A glob without wildcards has no regex: it
 * matches exactly `base`. Made by glob-compile.ts.
 */
export interface CompiledGlob {
  base: string;
  re?: RegExp;
}

/** Every glob of TEAM and FALLBACK (what the build precompiles: precompile.ts). */
export function teamGlobs(): string[] {
  return [...new Set([...TEAM.flatMap((m) => m.owns), ...FALLBACK.map((f) => f.glob)])];
}

// Every glob, compiled ahead of time. This module carries no glob compiler, so
// generating a project loads none (picomatch took ~2 ms to load): the template
// bundle brings the globs compiled at build time (renderTemplates hands them
// over, and so does the CLI's ES build when add/upgrade load the bundle), and
// tests and build tools compile them with glob-compile.ts.
const matchers = new Map<string, CompiledGlob>();

/** Adds compiled globs (the template bundle's `globs`, or compileTeamGlobs() of glob-compile.ts). */
export function useCompiledGlobs(compiled: Readonly<Record<string, CompiledGlob>>): void {
  for (const [glob, c] of Object.entries(compiled)) if (!matchers.has(glob)) matchers.set(glob, c);
}

function compiled(glob: string): CompiledGlob {
  const m = matchers.get(glob);
  if (!m) {
    throw new Error(
      `The ownership glob "${glob}" was not compiled ahead of time: load the template bundle first (it carries every glob of TEAM and FALLBACK), or call useCompiledGlobs(compileTeamGlobs()) from glob-compile.ts.`,
    );
  }
  return m;
}

function matches(glob: string, path: string): boolean {
  return matchesCompiled(compiled(glob), path);
}

/** Whether a compiled glob matches a path: exactly what picomatch's regex alone says, sooner. */
export function matchesCompiled(glob: CompiledGlob, path: string): boolean {
  return glob.re ? path.startsWith(glob.base) && glob.re.test(path) : path === glob.base;
}

/** The specialist who owns a path: its globs, else the fallback rules. */
export function ownerOf(path: string): SpecialistName {
  const owner = TEAM.find((m) => m.owns.some((g) => matches(g, path)))?.name ??
    FALLBACK.find((f) => matches(f.glob, path))!.owner;
  return owner as SpecialistName;
}

/** Who owns each of many paths, and which of them each glob matches: ownerOf and ownedGlobs for a whole tree. */
export interface Ownership {
  owners: ReadonlyMap<string, SpecialistName>;
  /** The paths a glob matches, in sorted order. */
  filesOf(glob: string): string[];
}

/**
 * The same answers as ownerOf and matchesCompiled, for a whole tree at once.
 * Asking every glob about every path (ownerOf per path) made the team files
 * the slowest part of generating a project: tens of thousands of tests, each
 * first run of a regex compiling it. Here the paths are sorted, so a glob only
 * looks at the run of paths that start with its literal base (found by binary
 * search), and each path takes the first member, in TEAM order, whose glob
 * matched it, as ownerOf does.
 */
export function ownership(paths: readonly string[]): Ownership {
  const sorted = [...new Set(paths)].sort();
  const cache = new Map<string, string[]>();
  const filesOf = (glob: string): string[] => {
    let files = cache.get(glob);
    if (!files) {
      const c = compiled(glob);
      files = [];
      for (let i = firstAtLeast(sorted, c.base); i < sorted.length && sorted[i]!.startsWith(c.base); i++) {
        if (matchesCompiled(c, sorted[i]!)) files.push(sorted[i]!);
      }
      cache.set(glob, files);
    }
    return files;
  };
  const owners = new Map<string, SpecialistName>();
  for (const member of TEAM) {
    for (const glob of member.owns) {
      for (const file of filesOf(glob)) if (!owners.has(file)) owners.set(file, member.name as SpecialistName);
    }
  }
  // Only files a hand added reach the fallback rules (none of a generated project).
  for (const file of sorted) {
    if (!owners.has(file)) owners.set(file, FALLBACK.find((f) => matches(f.glob, file))!.owner);
  }
  return { owners, filesOf };
}

/** The index of the first entry of a sorted list that is not less than `key`. */
function firstAtLeast(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The member's globs that match at least one of the tree's paths (what its agent file lists). */
export function ownedGlobs(member: TeamMember, index: Ownership): Array<{ glob: string; files: string[] }> {
  return member.owns.map((glob) => ({ glob, files: index.filesOf(glob) })).filter((g) => g.files.length > 0);
}

/** The test files among paths: pgTAP (`supabase/tests/*.test.sql`) and Deno (`*test.ts`). */
export function testFiles(paths: readonly string[]): { pgtap: string[]; deno: string[] } {
  return {
    pgtap: paths.filter((p) => /^supabase\/tests\/.+\.test\.sql$/.test(p)),
    deno: paths.filter((p) => /^supabase\/functions\/.*(^|[/_.-])test\.ts$/.test(p)),
  };
}

// ---------------------------------------------------------------------------
// The orchestrator's plan.

/** One file the change writes. `add`/`upgrade` pass what they do to each path. */
export interface FileChange {
  path: string;
  action: "create" | "update" | "delete";
}

export interface PlanTask {
  /** 1-based, in execution order. */
  n: number;
  agent: SpecialistName;
  layer: number;
  /** "Task N: <text> → AGENT: <agent>". */
  text: string;
  files: FileChange[];
}

/** A step of the execution order: one task, or two of the same layer run in parallel. */
export interface PlanStep {
  tasks: number[];
  parallel: boolean;
}

export interface Plan {
  title: string;
  analysis: string[];
  tasks: PlanTask[];
  order: PlanStep[];
  agents: Array<{ name: AgentName; role: string }>;
  instructions: string[];
}

export const PLAN_SECTIONS = [
  "Task Analysis",
  "SubAgent Assignments",
  "Execution Order",
  "Available Agents for This Project",
  "Instructions to Main Agent",
] as const;

/** The most tasks the orchestrator runs at once. */
export const MAX_PARALLEL = 2;

function stackLine(options: Options): string {
  const list = (l: string[], none: string) => (l.length ? l.join(", ") : none);
  return `Stack detected: Supabase (PostgreSQL ${options.pgMajor}, Deno Edge Functions); sign-in ${
    list(options.auth, "none")
  }; purchases ${list(options.iap, "none")}; providers ${list(options.providers, "none")}; monitoring ${
    list(options.monitoring, "none")
  }`;
}

function countText(files: FileChange[]): string {
  const by = (a: FileChange["action"]) => files.filter((f) => f.action === a).length;
  const parts = [
    by("create") ? `create ${by("create")}` : "",
    by("update") ? `update ${by("update")}` : "",
    by("delete") ? `delete ${by("delete")}` : "",
  ].filter(Boolean);
  return `${parts.join(", ")} file${files.length === 1 ? "" : "s"}`;
}

/**
 * The orchestrator's plan for writing `changes` into a project with these
 * options: one task per owning specialist, in layer order; the two
 * specialists of a layer (API: functions and providers; security: auth and
 * IAP) run in parallel, everything else in sequence. Pure: the same input
 * gives the same plan.
 *
 * `title` names the request ("Create …", "Add fal", "Upgrade to 0.2.0").
 */
export function buildPlan(
  options: Options,
  changes: readonly FileChange[],
  title = "Create the backend",
  /** Owners already computed (path → owner), to save matching again. */
  owners?: ReadonlyMap<string, SpecialistName>,
): Plan {
  const team = teamFor(options);
  const byAgent = new Map<SpecialistName, FileChange[]>();
  for (const change of [...changes].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const owner = owners?.get(change.path) ?? ownerOf(change.path);
    const list = byAgent.get(owner);
    if (list) list.push(change);
    else byAgent.set(owner, [change]);
  }
  const tasks: PlanTask[] = [];
  for (const member of TEAM) {
    const files = byAgent.get(member.name as SpecialistName);
    if (!files) continue;
    const n = tasks.length + 1;
    tasks.push({
      n,
      agent: member.name as SpecialistName,
      layer: member.layer,
      text: `Task ${n}: ${member.task} (${countText(files)}) → AGENT: ${member.name}`,
      files,
    });
  }
  const order: PlanStep[] = [];
  for (const layer of [1, 2, 3, 4, 5]) {
    const inLayer = tasks.filter((t) => t.layer === layer).map((t) => t.n);
    for (let i = 0; i < inLayer.length; i += MAX_PARALLEL) {
      const group = inLayer.slice(i, i + MAX_PARALLEL);
      order.push({ tasks: group, parallel: group.length > 1 });
    }
  }
  const layers = [...new Set(tasks.map((t) => t.layer))].map((l) => LAYERS.find((x) => x.id === l)!.title);
  const analysis = [
    `${title}: ${changes.length} file${changes.length === 1 ? "" : "s"} across ${tasks.length} specialist${
      tasks.length === 1 ? "" : "s"
    } (layers: ${layers.join(" → ") || "none"})`,
    stackLine(options),
    "Key patterns: credits move only through SQL functions with a quota_log row; RLS and explicit grants on every table; idempotent state changes with a refund path; append-only migrations",
  ];
  const verify = `${pmCommands(options.pm).run} verify`;
  const instructions = [
    "Read AGENTS.md: the rules every change keeps and who owns which file.",
    ...order.map((step, i) => {
      const names = step.tasks.map((n) => `Task ${n} (${tasks[n - 1]!.agent})`);
      return step.parallel
        ? `Step ${i + 1}: run ${names.join(" and ")} in parallel; wait for both.`
        : `Step ${i + 1}: run ${names[0]}${i === 0 ? "" : " after the previous step is done"}.`;
    }),
    "Give each specialist only its own files; a file outside its globs goes back to the orchestrator.",
    `Finish with \`${verify}\`: the change is done only when it passes.`,
  ];
  return {
    title,
    analysis,
    tasks,
    order,
    agents: team.map((m) => ({ name: m.name, role: m.role })),
    instructions,
  };
}

/** The plan as Markdown, in the orchestrator's response format (`##` sections). */
export function formatPlanMarkdown(plan: Plan): string {
  const h = "##";
  const lines: string[] = [];
  lines.push(`${h} ${PLAN_SECTIONS[0]}`, "", ...plan.analysis.map((a) => `- ${a}`), "");
  lines.push(`${h} ${PLAN_SECTIONS[1]}`, "");
  if (plan.tasks.length === 0) lines.push("No files change: nothing to assign.");
  for (const t of plan.tasks) lines.push(`- ${t.text}`);
  lines.push("", `${h} ${PLAN_SECTIONS[2]}`, "");
  plan.order.forEach((step, i) => {
    const list = step.tasks.map((n) => `Task ${n}`).join(" ∥ ");
    lines.push(`${i + 1}. ${step.parallel ? `Parallel: ${list}` : `Sequential: ${list}`}`);
  });
  if (plan.order.length === 0) lines.push("Nothing to run.");
  lines.push("", `${h} ${PLAN_SECTIONS[3]}`, "");
  for (const a of plan.agents) lines.push(`- \`${a.name}\`: ${a.role}`);
  lines.push("", `${h} ${PLAN_SECTIONS[4]}`, "");
  plan.instructions.forEach((s, i) => lines.push(`${i + 1}. ${s}`));
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------------------
// What the team templates (templates/_team/) see.

/** Where a member's Claude Code subagent file goes. */
export function agentFilePath(name: AgentName): string {
  return `.claude/agents/${name}.md`;
}

export const AGENTS_MD = "AGENTS.md";
export const PLAN_MD = "docs/PLAN.md";

/** The team files a project with these options gets (all owned by the operations engineer). */
export function teamPaths(options: Options): string[] {
  const agentFiles = options.agents === "claude" ? teamFor(options).map((m) => agentFilePath(m.name)) : [];
  return [AGENTS_MD, PLAN_MD, ...agentFiles];
}

export interface MemberView {
  name: AgentName;
  role: string;
  description: string;
  /** The front matter `tools` value: a comma list. */
  tools: string;
  layer: number;
  layerTitle: string;
  presentBecause: string;
  file: string;
  globs: Array<{ glob: string; count: number }>;
  invariants: string[];
  antiPatterns: string[];
  /** Deno test paths are also given relative to supabase/functions (where deno runs). */
  tests: { pgtap: string[]; deno: string[]; denoInFunctions: string[] };
}

export interface TeamContext {
  /** Whether `.claude/agents/*.md` are written (`--agents claude`). */
  agentFiles: boolean;
  orchestrator: MemberView;
  specialists: MemberView[];
  absent: Array<{ name: AgentName; role: string; presentBecause: string }>;
  /** The plan that built this project, in its five `##` sections (docs/PLAN.md). */
  plan: string;
  maxParallel: number;
}

function withRelative(t: { pgtap: string[]; deno: string[] }): MemberView["tests"] {
  return { ...t, denoInFunctions: t.deno.map((p) => p.slice("supabase/functions/".length)) };
}

function view(member: TeamMember, paths: readonly string[], index: Ownership): MemberView {
  const owned = paths.filter((p) => index.owners.get(p) === member.name);
  return {
    name: member.name,
    role: member.role,
    description: member.description,
    tools: member.tools.join(", "),
    layer: member.layer,
    layerTitle: member.layer === 0 ? "all layers" : LAYERS.find((l) => l.id === member.layer)!.title,
    presentBecause: member.presentBecause,
    file: agentFilePath(member.name),
    globs: ownedGlobs(member, index).map((g) => ({ glob: g.glob, count: g.files.length })),
    invariants: member.invariants,
    antiPatterns: member.antiPatterns,
    tests: withRelative(testFiles(owned)),
  };
}

/** The team as the templates see it, for a project whose files are `paths` (team files included). */
export function teamContext(options: Options, paths: readonly string[]): TeamContext {
  const present = teamFor(options);
  const index = ownership(paths);
  const plan = buildPlan(options, paths.map((path) => ({ path, action: "create" as const })), undefined, index.owners);
  return {
    agentFiles: options.agents === "claude",
    orchestrator: view(present[0]!, paths, index),
    specialists: present.slice(1).map((m) => view(m, paths, index)),
    absent: TEAM.filter((m) => !present.includes(m)).map((m) => ({
      name: m.name,
      role: m.role,
      presentBecause: m.presentBecause,
    })),
    plan: formatPlanMarkdown(plan),
    maxParallel: MAX_PARALLEL,
  };
}
