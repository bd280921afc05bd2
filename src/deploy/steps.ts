/**
 * The deploy steps, in order. Each is idempotent: it compares what is there
 * with what should be there and writes only the difference, so re-running a
 * finished deploy changes nothing, and a failed deploy can resume at the step
 * that failed (`--from <step>`).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { GeneratedProject } from "../doctor/project.js";
import type { FunctionSpec } from "../plan.js";
import { walk } from "../verify/project.js";
import { envFileText } from "./envfile.js";
import type { CliRunner } from "./supabase.js";
import { StepFailure } from "./supabase.js";
import { vaultSql } from "./vault.js";

export const STEP_NAMES = ["link", "config", "db", "vault", "secrets", "functions", "smoke"] as const;
export type StepName = (typeof STEP_NAMES)[number];

export interface DeployContext {
  project: GeneratedProject;
  /** The project's own secrets: registry names with a value, never SUPABASE_* / SB_*. */
  secrets: Map<string, string>;
  ref: string;
  /** The project supabase/.temp/project-ref names, if any. */
  linkedRef?: string;
  /** Where the deployed functions answer: PUBLIC_FUNCTIONS_URL, else https://<ref>.supabase.co/functions/v1. */
  functionsUrl: string;
  /** The Vault `project_url` the schedules call: functionsUrl without /functions/v1. */
  projectUrl: string;
  /** A direct database URL for the database steps instead of the linked project. */
  dbUrl?: string;
  cli: CliRunner;
  log: (line: string) => void;
  /** A private temp dir for files that hold secrets (removed after the run). */
  tempDir: () => string;
  smoke: { timeoutMs: number; intervalMs: number };
  fetch: typeof fetch;
}

export interface Step {
  name: StepName;
  title: string;
  /** The commands it runs, for --dry-run (no secret in them). */
  plan(ctx: DeployContext): string[];
  /** Does the work; returns a one-line summary of what changed. */
  run(ctx: DeployContext): Promise<string>;
}

/** A file only we can read, in the run's private temp dir. */
function privateFile(ctx: DeployContext, name: string, text: string): string {
  const file = path.join(ctx.tempDir(), name);
  fs.writeFileSync(file, text, { mode: 0o600 });
  return file;
}

function dbTarget(ctx: DeployContext): string[] {
  return ctx.dbUrl ? ["--db-url", ctx.dbUrl] : ["--linked"];
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new StepFailure(`could not read ${what} from the Supabase CLI (expected JSON)`);
  }
}

const link: Step = {
  name: "link",
  title: "link the Supabase project",
  plan: (ctx) => [ctx.cli.show(["link", "--project-ref", ctx.ref])],
  async run(ctx) {
    // Linking only reads from the project; a project already linked to this ref needs nothing.
    if (ctx.linkedRef === ctx.ref) return `already linked to ${ctx.ref}`;
    await ctx.cli.run(["link", "--project-ref", ctx.ref]);
    return `linked to ${ctx.ref}`;
  },
};

const config: Step = {
  name: "config",
  title: "push the auth settings of supabase/config.toml",
  plan: (ctx) => [ctx.cli.show(["config", "push", "--project-ref", ctx.ref, "--yes"])],
  async run(ctx) {
    // The CLI compares the declared settings with the project's and writes only what differs.
    const { all } = await ctx.cli.run(["config", "push", "--project-ref", ctx.ref, "--yes"]);
    const updated = [...all.matchAll(/^Updating (\S+(?: \S+)?) (?:service )?with config/gm)].map((m) => m[1]);
    return updated.length ? `updated: ${updated.join(", ")}` : "already up to date";
  },
};

const db: Step = {
  name: "db",
  title: "apply the migrations (never the seed)",
  plan: (ctx) => [ctx.cli.show(["db", "push", ...dbTarget(ctx), "--yes"])],
  async run(ctx) {
    // No --include-seed: seed.sql is local sample data.
    const { all } = await ctx.cli.run(["db", "push", ...dbTarget(ctx), "--yes"]);
    const applied = [...all.matchAll(/Applying migration /g)].length;
    return applied ? `${applied} migration${applied === 1 ? "" : "s"} applied` : "already up to date";
  },
};

function vaultSecrets(ctx: DeployContext) {
  return [
    { name: "project_url", value: ctx.projectUrl, description: "where pg_cron sends poll-jobs requests (written by deploy)" },
    { name: "cron_secret", value: ctx.secrets.get("CRON_SECRET") ?? "", description: "the CRON_SECRET poll-jobs expects (written by deploy)" },
  ];
}

const vault: Step = {
  name: "vault",
  title: "store the schedules' Vault secrets (project_url, cron_secret)",
  plan: (ctx) => [ctx.cli.show(["db", "query", ...dbTarget(ctx), "-f", "<vault.sql: create or update project_url, cron_secret>", "-o", "json"])],
  async run(ctx) {
    const secrets = vaultSecrets(ctx);
    if (secrets.some((s) => !s.value)) throw new StepFailure("CRON_SECRET has no value (run doctor)");
    const file = privateFile(ctx, "vault.sql", vaultSql(secrets));
    const { stdout } = await ctx.cli.run(["db", "query", ...dbTarget(ctx), "-f", file, "-o", "json"], { quiet: true });
    const rows = parseJson<Array<{ name: string; action: string | null }>>(stdout, "the Vault result");
    const byAction = new Map<string, string[]>();
    for (const r of rows) byAction.set(r.action ?? "?", [...(byAction.get(r.action ?? "?") ?? []), r.name]);
    if (rows.length !== secrets.length || byAction.has("?")) throw new StepFailure(`unexpected Vault result: ${JSON.stringify(rows)}`);
    return [...byAction].map(([action, names]) => `${action}: ${names.join(", ")}`).join("; ");
  },
};

function sha256(text: string): string {
  return crypto.createHash("sha256").update(text).digest("hex");
}

const secrets: Step = {
  name: "secrets",
  title: "set the function secrets (the project's own names only)",
  plan: (ctx) => [
    ctx.cli.show(["secrets", "list", "--project-ref", ctx.ref, "-o", "json"]),
    ctx.cli.show(["secrets", "set", "--project-ref", ctx.ref, "--env-file", `<secrets.env: the changed ones of ${[...ctx.secrets.keys()].join(", ")}>`]),
  ],
  async run(ctx) {
    // The API returns each secret's SHA-256 digest: set only what differs.
    const { stdout } = await ctx.cli.run(["secrets", "list", "--project-ref", ctx.ref, "-o", "json"], { quiet: true });
    const remote = new Map(parseJson<Array<{ name: string; value: string }>>(stdout, "the secrets list").map((s) => [s.name, s.value]));
    const changed = new Map([...ctx.secrets].filter(([name, value]) => remote.get(name)?.toLowerCase() !== sha256(value)));
    if (changed.size === 0) return `all ${ctx.secrets.size} already set`;
    const file = privateFile(ctx, "secrets.env", envFileText(changed));
    await ctx.cli.run(["secrets", "set", "--project-ref", ctx.ref, "--env-file", file]);
    const unchanged = ctx.secrets.size - changed.size;
    return `set ${[...changed.keys()].join(", ")}${unchanged ? ` (${unchanged} already set)` : ""}`;
  },
};

/** Local record of what deploy last deployed, to skip functions that did not change. */
interface DeployState {
  ref: string;
  functions: Record<string, { digest: string; version: number; verifyJwt: boolean }>;
}

function statePath(ctx: DeployContext): string {
  // supabase/.temp is where the CLI keeps its link; it is git-ignored.
  return path.join(ctx.project.dir, "supabase", ".temp", "create-video-backend-deploy.json");
}

function readState(ctx: DeployContext): DeployState {
  try {
    const state = JSON.parse(fs.readFileSync(statePath(ctx), "utf8")) as DeployState;
    if (state.ref === ctx.ref && state.functions) return state;
  } catch {
    /* no state yet: every function is deployed */
  }
  return { ref: ctx.ref, functions: {} };
}

/** A digest of everything a function is built from: its folder, the shared modules, its JWT setting. */
export function functionDigest(projectDir: string, fn: FunctionSpec): string {
  const root = path.join(projectDir, "supabase", "functions");
  const h = crypto.createHash("sha256").update(`verify_jwt=${fn.verifyJwt}\n`);
  for (const dir of [fn.name, "_shared"]) {
    const abs = path.join(root, dir);
    if (!fs.existsSync(abs)) continue;
    for (const file of walk(abs).sort()) {
      h.update(`${dir}/${file}\n`).update(fs.readFileSync(path.join(abs, file))).update("\n");
    }
  }
  return h.digest("hex");
}

interface RemoteFunction {
  slug: string;
  version: number;
  verify_jwt?: boolean;
}

const functions: Step = {
  name: "functions",
  title: "deploy the Edge Functions",
  plan: (ctx) => [
    ctx.cli.show(["functions", "list", "--project-ref", ctx.ref, "-o", "json"]),
    ctx.cli.show(["functions", "deploy", ...ctx.project.functions.map((f) => f.name), "--project-ref", ctx.ref, "--use-api"]),
  ],
  async run(ctx) {
    const list = async () =>
      new Map(
        parseJson<RemoteFunction[]>((await ctx.cli.run(["functions", "list", "--project-ref", ctx.ref, "-o", "json"], { quiet: true })).stdout, "the functions list").map(
          (f) => [f.slug, f],
        ),
      );
    const remote = await list();
    const state = readState(ctx);
    const digests = new Map(ctx.project.functions.map((f) => [f.name, functionDigest(ctx.project.dir, f)]));
    const stale = ctx.project.functions.filter((f) => {
      const r = remote.get(f.name);
      const s = state.functions[f.name];
      return !r || !s || r.version !== s.version || r.verify_jwt !== f.verifyJwt || s.digest !== digests.get(f.name);
    });
    if (stale.length === 0) return `all ${ctx.project.functions.length} already deployed`;
    // --use-api: Supabase bundles the functions, so no Docker is needed here.
    await ctx.cli.run(["functions", "deploy", ...stale.map((f) => f.name), "--project-ref", ctx.ref, "--use-api"]);
    const after = await list();
    for (const f of stale) {
      const r = after.get(f.name);
      if (!r) throw new StepFailure(`${f.name} is not listed after the deploy`);
      if (r.verify_jwt !== f.verifyJwt) {
        throw new StepFailure(`${f.name} was deployed with verify_jwt = ${r.verify_jwt}, expected ${f.verifyJwt} (check [functions.${f.name}] in supabase/config.toml)`);
      }
      state.functions[f.name] = { digest: digests.get(f.name)!, version: r.version, verifyJwt: f.verifyJwt };
    }
    fs.mkdirSync(path.dirname(statePath(ctx)), { recursive: true });
    fs.writeFileSync(statePath(ctx), `${JSON.stringify(state, null, 2)}\n`);
    const skipped = ctx.project.functions.length - stale.length;
    return `deployed ${stale.map((f) => f.name).join(", ")}${skipped ? ` (${skipped} unchanged)` : ""}`;
  },
};

async function poll(ctx: DeployContext, what: string, attempt: () => Promise<string | undefined>): Promise<void> {
  const deadline = Date.now() + ctx.smoke.timeoutMs;
  for (;;) {
    const wrong = await attempt().catch((err: unknown) => `request failed (${(err as Error).message})`);
    if (wrong === undefined) return;
    // A function just deployed can take a few seconds to answer everywhere.
    if (Date.now() >= deadline) throw new StepFailure(`${what}: ${wrong}`);
    await new Promise((r) => setTimeout(r, ctx.smoke.intervalMs));
  }
}

const smoke: Step = {
  name: "smoke",
  title: "smoke-test the deployed functions",
  plan: (ctx) => [`GET ${ctx.functionsUrl}/health → 200 {"ok":true}`, `POST ${ctx.functionsUrl}/generate-video without a JWT → 401`],
  async run(ctx) {
    await poll(ctx, `GET ${ctx.functionsUrl}/health`, async () => {
      const r = await ctx.fetch(`${ctx.functionsUrl}/health`, { signal: AbortSignal.timeout(15_000) });
      const body = (await r.json().catch(() => undefined)) as { ok?: unknown } | undefined;
      if (r.status === 200 && body?.ok === true) return undefined;
      return `answered ${r.status}${body?.ok === false ? " {ok: false}: the function cannot reach the database" : ""}`;
    });
    await poll(ctx, `POST ${ctx.functionsUrl}/generate-video without a JWT`, async () => {
      const r = await ctx.fetch(`${ctx.functionsUrl}/generate-video`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": "deploy-smoke-test" },
        body: "{}",
        signal: AbortSignal.timeout(15_000),
      });
      await r.body?.cancel();
      return r.status === 401 ? undefined : `answered ${r.status}, expected 401 (is verify_jwt on for generate-video?)`;
    });
    return "health answers, generate-video refuses a caller without a JWT (401)";
  },
};

export const STEPS: readonly Step[] = [link, config, db, vault, secrets, functions, smoke];
