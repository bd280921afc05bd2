/**
 * `deploy` of the all-features project with the real Supabase CLI (pinned),
 * pointed at a stand-in for the Management API (tests/deploy/management-api.ts)
 * through a CLI profile, and at a real PostgreSQL with the Supabase platform
 * emulation (Vault included) for the database steps (`--db-url`).
 *
 * - a full deploy: the stand-in saw exactly the expected secrets, functions
 *   (with verify_jwt) and auth config; Vault holds the schedule secrets; no
 *   secret value appears in anything printed;
 * - a second deploy writes nothing;
 * - a missing or malformed secret stops it before anything is sent;
 * - a failure at each step stops it with exit 1 and `--from <step>` resumes.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDeploy, STEP_NAMES, type StepName } from "../../src/deploy/index.js";
import { readGeneratedProject } from "../../src/doctor/project.js";
import { isRequired } from "../../src/secrets.js";
import { preparePlatform, type PostgresServer, startPostgres, withClient } from "../../src/verify/postgres.js";
import { envText, goodValues } from "../deploy/fixtures.js";
import { profileYaml, type StandIn, startStandIn } from "../deploy/management-api.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const BIN = path.join(ROOT, "bin/create-video-backend.js");
const ACCESS_TOKEN = `sbp_${crypto.randomBytes(20).toString("hex")}`;
const ALL_ON = ["--auth", "apple,anonymous,devicecheck", "--iap", "apple,google,revenuecat", "--providers", "fal,runway,replicate", "--monitoring", "sentry,telegram"];

let tmp: string;
let server: PostgresServer;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-deploy-test-"));
  server = await startPostgres({ pgMajor: 17 });
});
afterAll(async () => {
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface World {
  dir: string;
  standIn: StandIn;
  dbUrl: string;
  superuserUrl: string;
  values: Map<string, string>;
  env: NodeJS.ProcessEnv;
}

/** A generated all-on project, its .env, a fresh stand-in and a fresh database with Vault. */
async function world(name: string): Promise<World> {
  const dir = path.join(tmp, name);
  const gen = await execa("node", [BIN, dir, "--yes", "--no-git", "--no-install", "--bundle-id", "com.acme.video", ...ALL_ON], { reject: false });
  expect(gen.exitCode, gen.stderr).toBe(0);
  const standIn = await startStandIn();
  const profile = path.join(tmp, `${name}-profile.yaml`);
  fs.writeFileSync(profile, profileYaml(standIn));
  // The platform emulation has Supabase's Vault (supabase_vault 0.3: signatures, grants, encryption).
  const db = await preparePlatform(server.superuserUrl, { regime: "2026" });
  const values = goodValues(readGeneratedProject(dir));
  values.set("PUBLIC_FUNCTIONS_URL", `${standIn.url}/functions/v1`);
  fs.writeFileSync(path.join(dir, ".env"), envText(values));
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SUPABASE_PROFILE: profile,
    SUPABASE_ACCESS_TOKEN: ACCESS_TOKEN,
  };
  return { dir, standIn, dbUrl: db.postgresUrl, superuserUrl: db.superuserUrl, values, env };
}

async function deploy(w: World, opts: { from?: StepName; dryRun?: boolean; dbUrl?: string; projectRef?: string | null; smokeMs?: number } = {}) {
  const lines: string[] = [];
  const result = await runDeploy(w.dir, {
    projectRef: opts.projectRef === null ? undefined : (opts.projectRef ?? w.standIn.ref),
    from: opts.from,
    dryRun: opts.dryRun,
    dbUrl: opts.dbUrl ?? w.dbUrl,
    env: w.env,
    log: (l) => lines.push(l),
    smoke: { timeoutMs: opts.smokeMs ?? 5_000, intervalMs: 200 },
  });
  return { ...result, output: lines.join("\n") };
}

async function vaultRows(w: World) {
  return withClient(w.superuserUrl, async (c) =>
    (await c.query<{ name: string; decrypted_secret: string; updated_at: Date }>("select name, decrypted_secret, updated_at from vault.decrypted_secrets order by name")).rows,
  );
}

/** Values that must never be printed: every secret, and the CLI's access token. */
function secretsOf(w: World): string[] {
  const settings = new Set(["PUBLIC_FUNCTIONS_URL", "APPLE_BUNDLE_ID", "GOOGLE_PLAY_PACKAGE_NAME", "SENTRY_ENVIRONMENT", "GOOGLE_PUBSUB_SERVICE_ACCOUNT"]);
  const out = [...w.values].filter(([name]) => !settings.has(name)).map(([, v]) => v);
  for (const v of [...out]) for (const line of v.split("\n")) if (line.length >= 20 && !line.startsWith("-----")) out.push(line);
  return [...out, ACCESS_TOKEN, decodeURIComponent(new URL(w.dbUrl).password)];
}

describe("deploy: the all-features project against the Management API stand-in", () => {
  let w: World;
  beforeAll(async () => {
    w = await world("full");
  });
  afterAll(() => w?.standIn.close());

  it("dry run prints every command, sends nothing and prints no secret", async () => {
    const r = await deploy(w, { dryRun: true });
    expect(r.exitCode, r.output).toBe(0);
    for (const cmd of ["supabase link", "supabase config push", "supabase db push", "supabase db query", "supabase secrets set", "supabase functions deploy"]) {
      expect(r.output).toContain(cmd);
    }
    expect(r.output).not.toContain("--include-seed");
    expect(w.standIn.calls).toEqual([]);
    for (const s of secretsOf(w)) expect(r.output).not.toContain(s);
  });

  it("a full deploy sets exactly the project's secrets, functions and auth config, and the schedules' Vault secrets", async () => {
    // Through the real command line, to check what reaches stdout and stderr too.
    const r = await execa("node", [BIN, "deploy", w.dir, "--project-ref", w.standIn.ref, "--db-url", w.dbUrl], {
      env: w.env,
      extendEnv: false,
      reject: false,
      stdin: "ignore",
    });
    const printed = `${r.stdout}\n${r.stderr}`;
    expect(r.exitCode, printed).toBe(0);
    for (const step of STEP_NAMES) expect(printed).toMatch(new RegExp(`^✓ ${step}: `, "m"));

    // Secrets: the registry's names with a value, nothing else, values exact (PEM and JSON included).
    const project = readGeneratedProject(w.dir);
    const expectedNames = project.envVars.filter((v) => w.values.has(v.name)).map((v) => v.name).sort();
    expect([...w.standIn.secrets.keys()].sort()).toEqual(expectedNames);
    expect([...w.standIn.secrets.keys()].filter((n) => /^(SUPABASE_|SB_)/.test(n))).toEqual([]);
    for (const [name, value] of w.values) expect(w.standIn.secrets.get(name), name).toBe(value);

    // Functions: exactly the chosen ones, each with its verify_jwt.
    const deployed = Object.fromEntries([...w.standIn.functions.values()].map((f) => [f.slug, f.verify_jwt]));
    expect(deployed).toEqual(Object.fromEntries(project.functions.map((f) => [f.name, f.verifyJwt])));
    expect(w.standIn.writes().filter((c) => c.path.endsWith("/functions/deploy")).every((c) => c.query.bundleOnly === "true")).toBe(true);

    // Auth: Apple (native, the bundle id as client id), guests, manual linking; site_url left alone.
    expect(w.standIn.authConfig).toMatchObject({
      external_apple_enabled: true,
      external_apple_client_id: "com.acme.video",
      external_anonymous_users_enabled: true,
      security_manual_linking_enabled: true,
      site_url: "http://localhost:3000",
    });

    // Database: every migration applied, the seed not.
    const migrations = fs.readdirSync(path.join(w.dir, "supabase", "migrations")).length;
    await withClient(w.superuserUrl, async (c) => {
      expect(Number((await c.query("select count(*) from supabase_migrations.schema_migrations")).rows[0].count)).toBe(migrations);
      expect(Number((await c.query("select count(*) from auth.users")).rows[0].count)).toBe(0);
    });
    expect(await vaultRows(w)).toEqual([
      expect.objectContaining({ name: "cron_secret", decrypted_secret: w.values.get("CRON_SECRET") }),
      expect.objectContaining({ name: "project_url", decrypted_secret: w.standIn.url }),
    ]);

    // The console URLs, per chosen store and provider.
    const fnUrl = `${w.standIn.url}/functions/v1`;
    for (const fn of ["apple-notifications", "google-notifications", "revenuecat-webhook", "fal-webhook", "replicate-webhook"]) {
      expect(printed).toContain(`${fnUrl}/${fn}`);
    }
    for (const s of secretsOf(w)) expect(printed).not.toContain(s);
  });

  it("a second deploy changes nothing: no write reaches the API, Vault rows are untouched", async () => {
    const writesBefore = w.standIn.writes().length;
    const vaultBefore = await vaultRows(w);
    const r = await deploy(w, { projectRef: null });
    expect(r.exitCode, r.output).toBe(0);
    expect(w.standIn.writes().slice(writesBefore)).toEqual([]);
    expect(await vaultRows(w)).toEqual(vaultBefore);
    expect(r.output).toMatch(/✓ secrets: all \d+ already set/);
    expect(r.output).toMatch(/✓ functions: all \d+ already deployed/);
    expect(r.output).toMatch(/✓ db: already up to date/);
    expect(r.output).toMatch(/✓ vault: unchanged: project_url, cron_secret/);
  });

  it("a changed secret is the only one sent again", async () => {
    const writesBefore = w.standIn.writes().length;
    const fresh = crypto.randomBytes(32).toString("hex");
    w.values.set("CRON_SECRET", fresh);
    fs.writeFileSync(path.join(w.dir, ".env"), envText(w.values));
    const r = await deploy(w);
    expect(r.exitCode, r.output).toBe(0);
    const writes = w.standIn.writes().slice(writesBefore);
    expect(writes.map((c) => `${c.method} ${c.path.replace(/^\/v1\/projects\/\w+/, "")}`)).toEqual(["POST /secrets"]);
    expect((writes[0]!.body as Array<{ name: string }>).map((s) => s.name)).toEqual(["CRON_SECRET"]);
    expect((await vaultRows(w)).find((row) => row.name === "cron_secret")?.decrypted_secret).toBe(fresh);
    expect(r.output).not.toContain(fresh);
  });
});

describe("deploy: a missing or malformed secret stops it before anything is sent", () => {
  let w: World;
  beforeAll(async () => {
    w = await world("secrets");
  });
  afterAll(() => w?.standIn.close());

  const bad: Record<string, string> = {
    CRON_SECRET: "short",
    FAL_KEY: "not-a-fal-key",
    RUNWAYML_API_SECRET: "sk_wrong",
    REPLICATE_API_TOKEN: "token",
    REPLICATE_WEBHOOK_SECRET: "secret",
    APPLE_TEAM_ID: "team",
    DEVICECHECK_KEY_ID: "key",
    DEVICECHECK_PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
    GOOGLE_SERVICE_ACCOUNT_JSON: '{"client_email": "a@b.c"}',
    GOOGLE_PUBSUB_SERVICE_ACCOUNT: "not an email",
    SENTRY_DSN: "https://sentry.io/",
    TELEGRAM_BOT_TOKEN: "123",
    TELEGRAM_CHAT_ID: "the alerts chat",
    APPLE_BUNDLE_ID: "com.acme.other",
    GOOGLE_PLAY_PACKAGE_NAME: "com.acme.other",
  };

  it("each one: exit 1, named, and the API saw no call", async () => {
    const project = readGeneratedProject(w.dir);
    const cases: Array<[string, string | undefined]> = [
      ...project.envVars.filter(isRequired).map((v): [string, undefined] => [v.name, undefined]),
      ...Object.entries(bad),
    ];
    expect(cases.length).toBeGreaterThan(20);
    for (const [name, value] of cases) {
      const values = new Map(w.values);
      if (value === undefined) values.delete(name);
      else values.set(name, value);
      fs.writeFileSync(path.join(w.dir, ".env"), envText(values));
      const r = await deploy(w);
      expect(r.exitCode, `${name}: ${r.output}`).toBe(1);
      expect(r.output, name).toMatch(new RegExp(`^✗ ${name}: ${value === undefined ? "missing" : ""}`, "m"));
      expect(r.output).toMatch(/nothing was deployed/);
      expect(w.standIn.calls, name).toEqual([]);
    }
  });
});

describe("deploy: a failure at each step stops it (exit 1) and --from resumes", () => {
  let w: World;
  beforeAll(async () => {
    w = await world("resume");
  });
  afterAll(() => w?.standIn.close());

  const ref = () => `/v1/projects/${w.standIn.ref}`;
  const inject: Record<StepName, { on: () => void | Promise<void>; off: () => void | Promise<void>; dbUrl?: () => string }> = {
    link: { on: () => void (w.standIn.failWhen = (c) => c.path === ref()), off: () => void (w.standIn.failWhen = undefined) },
    config: { on: () => void (w.standIn.failWhen = (c) => c.path.startsWith("/v2/")), off: () => void (w.standIn.failWhen = undefined) },
    db: {
      on: () => {},
      off: () => {},
      dbUrl: () => {
        const u = new URL(w.dbUrl);
        u.password = "wrong-password";
        return u.toString();
      },
    },
    vault: {
      on: () => withClient(w.superuserUrl, (c) => c.query("alter view vault.decrypted_secrets rename to hidden_secrets")).then(() => {}),
      off: () => withClient(w.superuserUrl, (c) => c.query("alter view vault.hidden_secrets rename to decrypted_secrets")).then(() => {}),
    },
    // A changed secret, and the write of it fails.
    secrets: {
      on: () => {
        w.values.set("CRON_SECRET", crypto.randomBytes(32).toString("hex"));
        fs.writeFileSync(path.join(w.dir, ".env"), envText(w.values));
        w.standIn.failWhen = (c) => c.method === "POST" && c.path === `${ref()}/secrets`;
      },
      off: () => void (w.standIn.failWhen = undefined),
    },
    // Every function changed (a shared module), the uploads succeed, making them live fails.
    functions: {
      on: () => {
        fs.appendFileSync(path.join(w.dir, "supabase/functions/_shared/env.ts"), "\n// changed by the deploy test\n");
        w.standIn.failWhen = (c) => c.method === "PUT" && c.path === `${ref()}/functions`;
      },
      off: () => void (w.standIn.failWhen = undefined),
    },
    smoke: { on: () => void (w.standIn.gatewayDown = true), off: () => void (w.standIn.gatewayDown = false) },
  };

  for (const step of STEP_NAMES) {
    it(`${step}: exit 1, says what was done and how to resume; --from ${step} finishes`, async () => {
      const i = inject[step];
      await i.on();
      let failed;
      try {
        failed = await deploy(w, { dbUrl: i.dbUrl?.(), smokeMs: 1_000 });
      } finally {
        await i.off();
      }
      expect(failed.exitCode, failed.output).toBe(1);
      expect(failed.failed).toBe(step);
      expect(failed.done).toEqual(STEP_NAMES.slice(0, STEP_NAMES.indexOf(step)));
      expect(failed.output).toMatch(new RegExp(`^✗ ${step} failed: `, "m"));
      expect(failed.output).toContain(`resume with: create-video-backend deploy --from ${step}`);
      for (const s of secretsOf(w)) expect(failed.output).not.toContain(s);

      const resumed = await deploy(w, { from: step });
      expect(resumed.exitCode, resumed.output).toBe(0);
      expect(resumed.done).toEqual(STEP_NAMES.slice(STEP_NAMES.indexOf(step)));
      for (const earlier of STEP_NAMES.slice(0, STEP_NAMES.indexOf(step))) expect(resumed.output).not.toContain(`] ${earlier}: `);
    });
  }

  it("the resumed deploys left the project complete: every function, secret and Vault row", async () => {
    const project = readGeneratedProject(w.dir);
    expect([...w.standIn.functions.keys()].sort()).toEqual(project.functions.map((f) => f.name).sort());
    // Deployed once, then again after the shared module changed (the failed activation left version 1).
    expect([...w.standIn.functions.values()].map((f) => f.version)).toEqual(project.functions.map(() => 2));
    expect(w.standIn.secrets.size).toBe(w.values.size);
    for (const [name, value] of w.values) expect(w.standIn.secrets.get(name), name).toBe(value);
    expect((await vaultRows(w)).map((r) => r.name)).toEqual(["cron_secret", "project_url"]);
  });
});

// The stand-in must parse .env the way the CLI does; check the assumption the
// whole design rests on with the real `supabase secrets set --env-file`.
describe("the Supabase CLI reads an env file as doctor does", () => {
  it("multi-line PEM in double quotes, \\n escapes, JSON in single quotes", async () => {
    const standIn = await startStandIn();
    try {
      const dir = path.join(tmp, "envfile");
      fs.mkdirSync(path.join(dir, "supabase"), { recursive: true });
      const profile = path.join(tmp, "envfile-profile.yaml");
      fs.writeFileSync(profile, profileYaml(standIn));
      const pem = "-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMG\n-----END PRIVATE KEY-----";
      const text = [
        `A="${pem}"`,
        `B="${pem.replaceAll("\n", "\\n")}"`,
        `C='{"private_key":"${pem.replaceAll("\n", "\\n")}","client_email":"a@b.c"}'`,
        "D=plain # comment",
        "E=with$dollar",
      ].join("\n");
      fs.writeFileSync(path.join(dir, "t.env"), text);
      const { parse } = await import("dotenv");
      const bin = path.join(ROOT, "node_modules", ".bin", "supabase");
      const r = await execa(bin, ["secrets", "set", "--project-ref", standIn.ref, "--env-file", "t.env"], {
        cwd: dir,
        env: { SUPABASE_PROFILE: profile, SUPABASE_ACCESS_TOKEN: ACCESS_TOKEN },
        reject: false,
      });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(Object.fromEntries(standIn.secrets)).toEqual(parse(text));
      expect(standIn.secrets.get("A")).toBe(pem);
      expect(standIn.secrets.get("B")).toBe(pem);
    } finally {
      await standIn.close();
    }
  });
});
