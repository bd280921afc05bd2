/**
 * Model-based property test of the credit ledger. Seeded random sequences of
 * the contract's operations (with retries, duplicates and concurrent bursts
 * of the same request) run against the real database and against a small
 * in-memory model; every answer must match the model, and after each
 * sequence the database must equal the model and every CONTRACT §3 invariant
 * must hold. A failure prints the seed: LEDGER_SEED=<seed> reruns it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { type PostgresServer, startPostgres } from "../../src/verify/postgres.js";
import { errorCode, Fixtures, migratedDatabase, pool, servicePool } from "./db.js";
import { brokenInvariants } from "./invariants.js";

const SEQUENCES = Number(process.env.LEDGER_SEQUENCES ?? 30);
const STEPS = Number(process.env.LEDGER_STEPS ?? 60);
const BASE_SEED = Number(process.env.LEDGER_SEED ?? Date.now() % 1_000_000);
const MAX_ACTIVE = 3;
const TRIAL = 10;

const MODELS: Record<string, { cost: number; active: boolean }> = {
  "prop/3": { cost: 3, active: true },
  "prop/5": { cost: 5, active: true },
  "prop/7": { cost: 7, active: true },
  "prop/off": { cost: 1, active: false },
};
const PRODUCTS: Record<string, { store: string; credits: number }> = {
  "prop.pack.10": { store: "apple", credits: 10 },
  "prop.pack.25": { store: "google", credits: 25 },
};

/** mulberry32: small, seedable, good enough to pick operations. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}

// ---- the model -------------------------------------------------------------

type Status = "queued" | "submitted" | "processing" | "succeeded" | "failed";
interface MJob { id: string; user: string; key: string; model: string; input: string; status: Status; charged: number; aged: boolean; providerId: string | null }
interface MTxn { user: string; product: string; credits: number; status: "credited" | "revoked"; uncollected: number }
interface MUser { credits: number; active: number; trial: boolean }

class Model {
  users = new Map<string, MUser>();
  jobs = new Map<string, MJob>(); // by db id
  txns = new Map<string, MTxn>(); // by store:txn
  /** Refunds of transactions never credited (tombstones), by store:txn. */
  revocations = new Set<string>();
  jobByKey(user: string, key: string) {
    return [...this.jobs.values()].find((j) => j.user === user && j.key === key);
  }
}
const FINAL: Status[] = ["succeeded", "failed"];

/** What an operation answers: a value, or the contract error code. */
type Outcome = { value: unknown } | { error: string };

interface Op {
  name: string;
  /** Runs on the database. */
  run: (svc: pg.Pool) => Promise<unknown>;
  /** Applies to the model and returns the expected outcome (the db id of a new job is learned from `actual`). */
  apply: (m: Model, actual: Outcome) => Outcome;
}

function rpc(svc: pg.Pool, sql: string, params: unknown[]) {
  return svc.query(sql, params).then((r) => r.rows[0]);
}

function genOp(r: ReturnType<typeof rng>, m: Model, users: string[], seed: number): Op {
  const user = r.pick(users);
  const jobs = [...m.jobs.values()];
  const someJob = () => (jobs.length && r.chance(0.9) ? r.pick(jobs).id : "00000000-0000-4000-8000-00000000dead");
  const kind = r.pick([
    "create", "create", "create", "create", "submit", "processing", "complete", "fail", "fail",
    "purchase", "purchase", "revoke", "trial", "age", "reap",
  ] as const);
  switch (kind) {
    case "create": {
      const key = `k${r.int(6)}`;
      const model = r.pick(Object.keys(MODELS));
      const input = r.pick(['{"prompt":"a"}', '{"prompt":"b"}']);
      return {
        name: `create(${user.slice(-4)}, ${key}, ${model}, ${input})`,
        run: (svc) => rpc(svc, "select id, status, credits_charged from public.create_video_job($1, $2, $3, $4)", [user, model, key, input]),
        apply: (mm, actual) => {
          const u = mm.users.get(user)!;
          const existing = mm.jobByKey(user, key);
          if (existing) {
            if (existing.model !== model || existing.input !== input) return { error: "idempotency_conflict" };
            return { value: { id: existing.id, status: existing.status, credits_charged: existing.charged } };
          }
          const spec = MODELS[model]!;
          if (!spec.active) return { error: "model_not_found" };
          if (u.active >= MAX_ACTIVE) return { error: "too_many_active_jobs" };
          if (u.credits < spec.cost) return { error: "insufficient_credits" };
          if (!("value" in actual)) return { value: "a new job" };
          const id = (actual.value as { id: string }).id;
          u.credits -= spec.cost;
          u.active += 1;
          mm.jobs.set(id, { id, user, key, model, input, status: "queued", charged: spec.cost, aged: false, providerId: null });
          return { value: { id, status: "queued", credits_charged: spec.cost } };
        },
      };
    }
    case "submit": {
      const id = someJob();
      const pid = `p-${seed}-${r.int(1e9)}`;
      return {
        name: `submit(${id.slice(-4)})`,
        run: (svc) => rpc(svc, "select status from public.mark_job_submitted($1, $2)", [id, pid]),
        apply: (mm) => {
          const j = mm.jobs.get(id);
          if (!j) return { error: "job_not_found" };
          if (j.providerId === null) {
            j.providerId = pid;
            if (j.status === "queued") j.status = "submitted";
          }
          return { value: { status: j.status } };
        },
      };
    }
    case "processing": {
      const id = someJob();
      return {
        name: `processing(${id.slice(-4)})`,
        run: (svc) => rpc(svc, "select status from public.mark_job_processing($1)", [id]),
        apply: (mm) => {
          const j = mm.jobs.get(id);
          if (!j) return { error: "job_not_found" };
          if (j.status === "queued" || j.status === "submitted") j.status = "processing";
          return { value: { status: j.status } };
        },
      };
    }
    case "complete":
    case "fail": {
      const id = someJob();
      const fn = kind === "complete" ? "complete_video_job" : "fail_video_job";
      return {
        name: `${kind}(${id.slice(-4)})`,
        run: (svc) => rpc(svc, `select status from public.${fn}($1, $2)`, [id, kind === "complete" ? "videos/v.mp4" : "boom"]),
        apply: (mm) => {
          const j = mm.jobs.get(id);
          if (!j) return { error: "job_not_found" };
          if (!FINAL.includes(j.status)) {
            const u = mm.users.get(j.user)!;
            u.active -= 1;
            if (kind === "fail") {
              j.status = "failed";
              u.credits += j.charged;
            } else j.status = "succeeded";
          }
          return { value: { status: j.status } };
        },
      };
    }
    case "purchase": {
      const txn = `s${seed}-t${r.int(5)}`;
      const product = r.pick(Object.keys(PRODUCTS));
      // Mostly the product's own store; sometimes the wrong one.
      const store = r.chance(0.9) ? PRODUCTS[product]!.store : r.pick(["apple", "google"]);
      return {
        name: `purchase(${user.slice(-4)}, ${store}:${txn}, ${product})`,
        run: (svc) => rpc(svc, "select public.credit_purchase($1, $2, $3, $4) as balance", [user, store, txn, product]),
        apply: (mm) => {
          const p = PRODUCTS[product]!;
          const t = mm.txns.get(`${store}:${txn}`);
          // A refunded transaction is refused before anything else is looked at.
          if (mm.revocations.has(`${store}:${txn}`) || t?.status === "revoked") return { error: "transaction_revoked" };
          if (p.store !== store) return { error: "product_not_found" };
          const u = mm.users.get(user)!;
          if (t) {
            if (t.user !== user) return { error: "transaction_already_claimed" };
            return { value: { balance: u.credits } };
          }
          mm.txns.set(`${store}:${txn}`, { user, product, credits: p.credits, status: "credited", uncollected: 0 });
          u.credits += p.credits;
          return { value: { balance: u.credits } };
        },
      };
    }
    case "revoke": {
      const store = r.pick(["apple", "google"]);
      const txn = `s${seed}-t${r.int(6)}`;
      return {
        name: `revoke(${store}:${txn})`,
        run: (svc) => rpc(svc, "select public.revoke_purchase($1, $2) as balance", [store, txn]),
        apply: (mm) => {
          const t = mm.txns.get(`${store}:${txn}`);
          if (!t) {
            mm.revocations.add(`${store}:${txn}`);
            return { value: { balance: null } };
          }
          const u = mm.users.get(t.user)!;
          if (t.status === "credited") {
            const take = Math.min(u.credits, t.credits);
            u.credits -= take;
            t.uncollected = t.credits - take;
            t.status = "revoked";
          }
          return { value: { balance: u.credits } };
        },
      };
    }
    case "trial":
      return {
        name: `trial(${user.slice(-4)})`,
        run: (svc) => rpc(svc, "select public.grant_trial_credits($1) as balance", [user]),
        apply: (mm) => {
          const u = mm.users.get(user)!;
          if (!u.trial) {
            u.trial = true;
            u.credits += TRIAL;
          }
          return { value: { balance: u.credits } };
        },
      };
    case "age": {
      const id = someJob();
      return {
        name: `age(${id.slice(-4)})`,
        // The only thing done as the owner: pretend time passed for one job.
        run: (svc) => svc.query("select 1").then(() => ({ aged: id })),
        apply: (mm) => {
          const j = mm.jobs.get(id);
          if (j) j.aged = true;
          return { value: { aged: id } };
        },
      };
    }
    case "reap":
      return genReap();
  }
}

function genReap(): Op {
  return {
    name: "reap",
    run: (svc) => rpc(svc, "select public.reap_stuck_jobs('1 hour') as n", []),
    apply: (mm) => {
      let n = 0;
      for (const j of mm.jobs.values()) {
        if (j.aged && !FINAL.includes(j.status)) {
          // Every sequence ends with a reap, so no other sequence's job is
          // still aged and unfinished: the reaper finds exactly these.
          j.status = "failed";
          const u = mm.users.get(j.user)!;
          u.active -= 1;
          u.credits += j.charged;
          n++;
        }
      }
      return { value: { n } };
    },
  };
}

// ---- the harness -------------------------------------------------------------

let server: PostgresServer;
let admin: pg.Pool;
let svc: pg.Pool;
let fx: Fixtures;

beforeAll(async () => {
  server = await startPostgres({ pgMajor: 17 });
  const db = await migratedDatabase(server, { regime: "legacy" });
  admin = pool(db.postgresUrl, 2);
  svc = servicePool(db.postgresUrl, 8);
  fx = new Fixtures(admin);
  await fx.setting("max_active_jobs", MAX_ACTIVE);
  await fx.setting("trial_credits", TRIAL);
  for (const [id, spec] of Object.entries(MODELS)) {
    await fx.model(id, spec.cost);
    if (!spec.active) await admin.query("update public.models set is_active = false where id = $1", [id]);
  }
  for (const [id, p] of Object.entries(PRODUCTS)) await fx.product(id, p.store, p.credits);
});

afterAll(async () => {
  await svc?.end();
  await admin?.end();
  await server?.stop();
});

async function outcome(p: Promise<unknown>): Promise<Outcome> {
  try {
    return { value: await p };
  } catch (err) {
    return { error: errorCode(err) };
  }
}

async function runSequence(seed: number): Promise<{ steps: number; bursts: number }> {
  const r = rng(seed);
  const m = new Model();
  const users: string[] = [];
  for (let i = 0; i < 3; i++) {
    const id = await fx.user(r.pick([0, 0, 5, 12, 30]));
    users.push(id);
    m.users.set(id, { credits: await fx.balance(id), active: 0, trial: false });
  }
  const seen = new Map<string, string>(); // quota_log row id -> row, to prove rows never change
  let last: Op | undefined;
  let bursts = 0;
  const log: string[] = [];
  for (let step = 0; step < STEPS; step++) {
    // A retry of the previous request, as a client with a flaky network sends.
    const op = last && r.chance(0.15) ? last : genOp(r, m, users, seed);
    last = op;
    const burst = r.chance(0.2) ? 2 + r.int(3) : 1;
    if (op.name.startsWith("age(")) {
      const id = op.name.slice(4, -1);
      const j = [...m.jobs.values()].find((x) => x.id.endsWith(id));
      // Two hours pass, and the provider, asked just now, says the job still
      // runs: the reaper may take it (reap_stuck_jobs asks first).
      if (j) {
        await admin.query(
          "update public.video_jobs set created_at = now() - interval '2 hours', last_polled_at = now(), last_poll_state = 'processing' where id = $1",
          [j.id],
        );
      }
    }
    // A burst sends the same request several times at once; it must act once.
    const results = await Promise.all(Array.from({ length: burst }, () => outcome(op.run(svc))));
    if (burst > 1) bursts++;
    log.push(`${step}: ${op.name}${burst > 1 ? ` x${burst}` : ""} -> ${JSON.stringify(results[0])}`);
    const expected = op.apply(m, results.find((x) => "value" in x) ?? results[0]!);
    for (const actual of results) {
      if (op.name === "reap") continue; // checked below: a burst splits the count between callers
      expect(actual, `seed ${seed}, step ${step}: ${op.name}\n${log.join("\n")}`).toEqual(expected);
    }
    if (op.name === "reap") {
      const total = results.reduce((s, x) => s + ("value" in x ? ((x.value as { n: number }).n) : NaN), 0);
      expect(total, `seed ${seed}, step ${step}: reap total\n${log.join("\n")}`).toBe((expected as { value: { n: number } }).value.n);
    }
    const { rows } = await admin.query("select * from public.quota_log where user_id = any($1) order by id", [users]);
    for (const row of rows) {
      const key = String(row.id);
      const text = JSON.stringify(row);
      if (seen.has(key)) expect(text, `seed ${seed}: quota_log row ${key} changed`).toBe(seen.get(key));
      else seen.set(key, text);
    }
    expect(rows.length, `seed ${seed}: quota_log rows disappeared`).toBe(seen.size);
  }

  // Leave nothing aged behind for the next sequence's reaper: reap now, as one more checked step.
  const reap = await rpc(svc, "select public.reap_stuck_jobs('1 hour') as n", []);
  const reapOp = genReap();
  expect({ value: reap }, `seed ${seed}: final reap`).toEqual(reapOp.apply(m, { value: reap }));

  // The database equals the model.
  for (const [id, u] of m.users) {
    const { rows } = await admin.query("select credits, active_jobs from public.users where id = $1", [id]);
    expect(rows[0], `seed ${seed}: user ${id}\n${log.join("\n")}`).toEqual({ credits: u.credits, active_jobs: u.active });
    const trial = await admin.query("select count(*)::int as n from public.quota_log where user_id = $1 and reason = 'trial'", [id]);
    expect(trial.rows[0].n, `seed ${seed}: trial rows`).toBe(u.trial ? 1 : 0);
  }
  const { rows: jobs } = await admin.query("select id, status, credits_charged, idempotency_key from public.video_jobs where user_id = any($1)", [users]);
  expect(jobs.length, `seed ${seed}: job count`).toBe(m.jobs.size);
  for (const j of jobs) {
    const mj = m.jobs.get(j.id)!;
    expect({ status: j.status, charged: j.credits_charged, key: j.idempotency_key }, `seed ${seed}: job`).toEqual({
      status: mj.status,
      charged: mj.charged,
      key: mj.key,
    });
  }
  const { rows: txns } = await admin.query(
    "select store || ':' || transaction_id as k, user_id, status, credits_uncollected from public.iap_transactions where transaction_id like $1",
    [`s${seed}-%`],
  );
  expect(txns.length, `seed ${seed}: transaction count`).toBe(m.txns.size);
  for (const t of txns) {
    const mt = m.txns.get(t.k)!;
    expect({ user: t.user_id, status: t.status, uncollected: t.credits_uncollected }, `seed ${seed}: txn ${t.k}`).toEqual({
      user: mt.user,
      status: mt.status,
      uncollected: mt.uncollected,
    });
  }
  const { rows: tombstones } = await admin.query(
    "select store || ':' || transaction_id as k from private.iap_revocations where transaction_id like $1",
    [`s${seed}-%`],
  );
  expect(tombstones.map((t) => t.k).sort(), `seed ${seed}: tombstones`).toEqual([...m.revocations].sort());
  expect(await brokenInvariants(admin), `seed ${seed}`).toEqual([]);
  return { steps: STEPS, bursts };
}

describe("ledger property test", () => {
  it(`${SEQUENCES} random sequences of ${STEPS} operations match the model and keep every invariant`, async () => {
    let bursts = 0;
    for (let i = 0; i < SEQUENCES; i++) {
      const seed = BASE_SEED + i;
      try {
        bursts += (await runSequence(seed)).bursts;
      } catch (err) {
        console.error(`ledger property test failed: LEDGER_SEED=${seed} LEDGER_SEQUENCES=1 reproduces it`);
        throw err;
      }
    }
    console.log(`ledger property test: seeds ${BASE_SEED}..${BASE_SEED + SEQUENCES - 1}, ${SEQUENCES * STEPS} operations, ${bursts} concurrent bursts`);
  });
});
