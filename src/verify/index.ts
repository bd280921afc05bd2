/**
 * `create-video-backend verify [dir]`: the Docker-free proof of a generated
 * project. For each privilege regime (legacy default grants, and the 2026
 * "not exposed by default" mode) it loads the Supabase platform emulation into
 * a fresh database on a real PostgreSQL, applies the migrations with the real
 * Supabase CLI, runs Supabase's advisors plus our exposure checks, and runs the
 * pgTAP tests, and runs every cron job as pg_cron would (`schedules`); then
 * Deno checks, lints, format-checks and tests the Edge Functions against a
 * migrated database. One line per check.
 *
 * pg_cron lives in one database per server (cron.database_name). On
 * PostgreSQL 15 with the real pg_cron installed, each regime therefore gets
 * its own server (started from one initdb) whose cron database is the
 * regime's database, named up front; the regimes still run side by side.
 * Elsewhere (PostgreSQL 17, an existing server) pg_cron is verify's emulation,
 * which works in every database of one server.
 *
 * A check whose tool is not installed is `missing` (never `pass`); with
 * `ci: true` a missing tool fails the run.
 */
import path from "node:path";
import { checkFresh, freshCheckApplies } from "../evolve/fresh.js";
import { denoCheck, denoFmt, denoLint, denoTest, DENO_HINT } from "./deno.js";
import { checkContract, checkOpenApi, hasContract, recordFile } from "./contract.js";
import { checkExposure } from "./exposure.js";
import { createPgtap, installPgtapFiles, runTestFiles } from "./pgtap.js";
import {
  dropDatabase,
  type PostgresServer,
  preparePlatform,
  type PlatformDatabase,
  realPgCronAvailable,
  type Regime,
  startPostgres,
  withClient,
} from "./postgres.js";
import { checkSchedules, projectFunctions } from "./schedules.js";
import { findBin, type ProjectLayout, readProject } from "./project.js";
import { type Check, fail, formatCheck, missing, type Outcome, pass, summary, timed } from "./report.js";
import { dbAdvisors, dbPush } from "./supabase-cli.js";

export type { Check } from "./report.js";

export interface VerifyOptions {
  /** An existing server, as a superuser; fresh databases are created on it. */
  databaseUrl?: string;
  ci?: boolean;
  regimes?: Regime[];
  log?: (line: string) => void;
  /** Tool paths, found in node_modules when not given; `false` = treat as not installed. */
  tools?: { supabase?: string | false; deno?: string | false };
}

export interface VerifyResult {
  ok: boolean;
  checks: Check[];
}

const SUPABASE_HINT = "install the Supabase CLI: npm install -D supabase";

export async function runVerify(dir: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const started = performance.now();
  const log = opts.log ?? ((line: string) => console.log(line));
  const ci = opts.ci ?? process.env.CI === "true";
  const databaseUrl = opts.databaseUrl ?? (process.env.DATABASE_URL || undefined);
  const regimes = opts.regimes ?? ["legacy", "2026"];
  const projectDir = path.resolve(dir);
  const checks: Check[] = [];
  const record = (c: Check) => {
    checks.push(c);
    log(formatCheck(c));
    return c;
  };
  const step = async (name: string, fn: () => Promise<Outcome>) => record(await timed(name, fn));
  const finish = (): VerifyResult => {
    const s = summary(checks, ci, performance.now() - started);
    log(s.line);
    return { ok: s.ok, checks };
  };

  let project: ReturnType<typeof readProject>;
  try {
    project = readProject(projectDir);
  } catch (err) {
    record({ name: "project", status: "fail", ms: 0, detail: (err as Error).message });
    return finish();
  }
  log(`verify ${projectDir} (PostgreSQL ${project.pgMajor}, regimes: ${regimes.join(", ")})`);

  const tool = (name: "supabase" | "deno") => {
    const given = opts.tools?.[name];
    return given === false ? undefined : (given ?? findBin(name, projectDir));
  };
  const supabaseBin = tool("supabase");
  const denoBin = tool("deno");

  // Deno's static checks need no database: start them now, report them later.
  const functionsDir = project.functionsDir;
  const denoStatic =
    functionsDir && denoBin
      ? Promise.all([
          timed("deno check", () => denoCheck({ bin: denoBin, functionsDir })),
          timed("deno lint", () => denoLint({ bin: denoBin, functionsDir })),
          timed("deno fmt", () => denoFmt({ bin: denoBin, functionsDir })),
        ])
      : undefined;
  // Never leave a rejected promise unobserved if the SQL part throws.
  denoStatic?.catch(() => undefined);
  // The apps' contract (contract.ts): the document now, the recorded answers after deno test.
  const contract = functionsDir && denoBin && hasContract(functionsDir) ? recordFile() : undefined;
  const openapi = contract
    ? timed("openapi", () => checkOpenApi({ projectDir, functionsDir: functionsDir!, deno: denoBin! }))
    : undefined;
  openapi?.catch(() => undefined);

  const servers: PostgresServer[] = [];
  const superuserUrls = new Map<Regime, string>();
  const pgtapReady = new Map<Regime, Outcome>();
  const databases: PlatformDatabase[] = [];
  let testDatabase: PlatformDatabase | undefined;
  // One server per regime when the real pg_cron must live in each regime's database.
  const serverPerRegime = !databaseUrl && project.pgMajor === 15 && realPgCronAvailable(15, projectDir);
  try {
    const pgCheck = await step("postgres", async () => {
      if (databaseUrl) {
        const outcome = await checkExistingServer(databaseUrl, project.pgMajor);
        for (const regime of regimes) {
          superuserUrls.set(regime, databaseUrl);
          pgtapReady.set(regime, pass());
        }
        return outcome;
      }
      const started = await Promise.allSettled(
        (serverPerRegime ? regimes : [undefined]).map((regime) =>
          startPostgres({
            pgMajor: project.pgMajor,
            from: projectDir,
            ...(regime ? { cronDatabase: regimeDatabase(regime) } : {}),
          }),
        ),
      );
      for (const s of started) if (s.status === "fulfilled") servers.push(s.value);
      const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
      if (failed) throw failed.reason;
      regimes.forEach((regime, i) => {
        const server = servers[serverPerRegime ? i : 0]!;
        superuserUrls.set(regime, server.superuserUrl);
        pgtapReady.set(regime, installPgtapFiles(server.shareDir));
      });
      const first = servers[0]!;
      const where = `127.0.0.1:${servers.map((x) => x.port).join(", :")}`;
      const cron = serverPerRegime
        ? "real pg_cron, one server per regime (pg_cron lives in one database per server)"
        : `pg_cron ${first.pgCron}`;
      return pass(first.note ? `${first.note}; ${cron}` : `PostgreSQL ${first.pgMajor} on ${where}, ${cron}`);
    });

    // The equality proof (evolve/fresh.ts): the migrations on disk give a fresh project's database.
    const fresh = pgCheck.status === "pass" && freshCheckApplies(projectDir)
      ? timed("fresh", async () => {
        if (!serverPerRegime) return checkFresh(projectDir, superuserUrls.get(regimes[0]!)!);
        // The real pg_cron lives in one database per server: use a server of its own (emulated pg_cron).
        const own = await startPostgres({ pgMajor: project.pgMajor, from: projectDir });
        try {
          return await checkFresh(projectDir, own.superuserUrl);
        } finally {
          await own.stop().catch(() => undefined);
        }
      })
      : undefined;
    fresh?.catch(() => undefined);

    if (pgCheck.status === "pass") {
      // Regimes use separate databases, so they run side by side; their lines
      // are printed in order once each is done.
      const pipelines = regimes.map((regime) =>
        verifyRegime(regime, {
          superuserUrl: superuserUrls.get(regime)!,
          ...(serverPerRegime ? { database: regimeDatabase(regime) } : {}),
          projectDir,
          project,
          supabaseBin,
          pgtapReady: pgtapReady.get(regime) ?? pass(),
          created: (db) => databases.push(db),
        }),
      );
      pipelines.forEach((p) => p.catch(() => undefined));
      for (const pipeline of pipelines) {
        const { checks: regimeChecks, migrated } = await pipeline;
        regimeChecks.forEach(record);
        // Deno tests run against the last regime migrated (2026 when it passes: the strictest).
        if (migrated) testDatabase = migrated;
      }
    }

    if (fresh) record(await fresh);

    if (!functionsDir) {
      record({ name: "deno", status: "fail", ms: 0, detail: "supabase/functions not found" });
    } else if (!denoBin) {
      const names = hasContract(functionsDir)
        ? ["deno check", "deno lint", "deno fmt", "openapi", "deno test", "contract"]
        : ["deno check", "deno lint", "deno fmt", "deno test"];
      for (const name of names) record({ name, status: "missing", ms: 0, detail: DENO_HINT });
    } else {
      for (const c of (await denoStatic) ?? []) record(c);
      if (openapi) record(await openapi);
      const tests = await step("deno test", async () => {
        if (!testDatabase) return fail("not run: no database was migrated (see db push above)");
        return denoTest({
          bin: denoBin!,
          functionsDir,
          env: { DATABASE_URL: testDatabase.postgresUrl, ...(contract ? { CONTRACT_RECORD: contract.file } : {}) },
          ...(contract ? { allowWrite: [contract.file] } : {}),
        });
      });
      if (contract && testDatabase) {
        // After failed tests only part of the answers were recorded: check
        // those, without asking that every operation was exercised.
        await step("contract", async () => checkContract(functionsDir, contract.file, { complete: tests.status === "pass" }));
      }
    }
  } finally {
    contract?.dispose();
    if (servers.length) await Promise.all(servers.map((x) => x.stop().catch(() => undefined)));
    else if (databaseUrl) {
      for (const db of databases) await dropDatabase(databaseUrl, db.database).catch(() => undefined);
    }
  }
  return finish();
}

/** The regime's database when its name must be known before the server starts (cron.database_name). */
function regimeDatabase(regime: Regime): string {
  return `verify_${regime}`;
}

interface RegimeContext {
  superuserUrl: string;
  /** A fixed database name (else a random one). */
  database?: string;
  projectDir: string;
  project: ProjectLayout;
  supabaseBin: string | undefined;
  pgtapReady: Outcome;
  created: (db: PlatformDatabase) => void;
}

/** One privilege regime: platform → db push → advisors → exposure → schedules → pgTAP, in a fresh database. */
async function verifyRegime(
  regime: Regime,
  ctx: RegimeContext,
): Promise<{ checks: Check[]; migrated?: PlatformDatabase }> {
  const checks: Check[] = [];
  const step = async (name: string, fn: () => Promise<Outcome>) => {
    const c = await timed(`[${regime}] ${name}`, fn);
    checks.push(c);
    return c;
  };
  let db: PlatformDatabase | undefined;
  const platform = await step("platform", async () => {
    db = await preparePlatform(ctx.superuserUrl, { regime, ...(ctx.database ? { database: ctx.database } : {}) });
    ctx.created(db);
    return pass(db.database);
  });
  if (platform.status !== "pass" || !db) return { checks };
  const target: PlatformDatabase = db;
  const bin = ctx.supabaseBin;
  const push = await step("db push", async () =>
    bin ? dbPush(bin, ctx.projectDir, target.postgresUrl, ctx.project.migrations.length) : missing(SUPABASE_HINT),
  );
  // Nothing further is meaningful on a half-migrated database.
  if (push.status !== "pass") return { checks };
  await step("advisors", async () => (bin ? dbAdvisors(bin, ctx.projectDir, target.postgresUrl) : missing(SUPABASE_HINT)));
  await step("exposure", () => checkExposure(target.postgresUrl));
  await step("schedules", () =>
    checkSchedules({
      superuserUrl: target.superuserUrl,
      migrationRole: new URL(target.postgresUrl).username || "postgres",
      database: target.database,
      migrationsDir: path.join(ctx.project.supabaseDir, "migrations"),
      migrations: ctx.project.migrations,
      functions: projectFunctions(ctx.project.functionsDir),
    }),
  );
  await step("pgtap", async () => {
    if (ctx.pgtapReady.status !== "pass") return ctx.pgtapReady;
    const created = await createPgtap(target.superuserUrl);
    if (created.status !== "pass") return created;
    return runTestFiles(target.postgresUrl, path.join(ctx.project.supabaseDir, "tests"), ctx.project.tests);
  });
  return { checks, migrated: target };
}

/** An existing server must let us create roles and databases: a superuser. */
async function checkExistingServer(url: string, pgMajor: number): Promise<Outcome> {
  const me = await withClient(url, async (c) =>
    (
      await c.query<{ su: boolean; major: number }>(
        "select rolsuper as su, current_setting('server_version_num')::int / 10000 as major from pg_roles where rolname = current_user",
      )
    ).rows[0],
  );
  if (!me?.su) {
    return fail(`${redact(url)} is not a superuser connection: verify creates roles and fresh databases on that server`);
  }
  const note = me.major !== pgMajor ? ` (PostgreSQL ${me.major}; config.toml says ${pgMajor})` : "";
  return pass(`existing server ${redact(url)}${note}`);
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(database url)";
  }
}

export { formatCheck } from "./report.js";
