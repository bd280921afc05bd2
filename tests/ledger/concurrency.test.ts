/**
 * CONTRACT §3 invariants 1–5 under real concurrency: many connections of a
 * pg Pool hit the credit procedures at once (Promise.all), then the ledger is
 * checked from the database.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import { type PostgresServer, startPostgres } from "../../src/verify/postgres.js";
import { errorCode, Fixtures, migratedDatabase, pool, servicePool } from "./db.js";
import { brokenInvariants } from "./invariants.js";

const CONNECTIONS = 20;
let server: PostgresServer;
let admin: pg.Pool;
let svc: pg.Pool;
let fx: Fixtures;
let dbUrl: string;

beforeAll(async () => {
  server = await startPostgres({ pgMajor: 17 });
  const db = await migratedDatabase(server, { regime: "2026" });
  dbUrl = db.postgresUrl;
  admin = pool(db.postgresUrl, 4);
  svc = servicePool(db.postgresUrl, CONNECTIONS);
  fx = new Fixtures(admin);
  await fx.setting("max_active_jobs", 1000);
  await fx.model("race/five", 5);
  // Open every connection before the races so they really start together.
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => svc.connect()));
  const roles = await Promise.all(clients.map((c) => c.query<{ r: string }>("select current_user as r")));
  if (!roles.every((r) => r.rows[0]!.r === "service_role")) throw new Error("the service pool must act as service_role");
  for (const c of clients) c.release();
});

afterAll(async () => {
  await svc?.end();
  await admin?.end();
  await server?.stop();
});

type Settled<T> = { ok: true; value: T } | { ok: false; code: string };
async function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    return { ok: false, code: errorCode(err) };
  }
}

async function createJob(userId: string, key: string, input: object = {}, model = "race/five") {
  const { rows } = await svc.query("select * from public.create_video_job($1, $2, $3, $4)", [userId, model, key, JSON.stringify(input)]);
  return rows[0] as { id: string; credits_charged: number; status: string };
}

async function expectLedgerConsistent() {
  expect(await brokenInvariants(admin)).toEqual([]);
}

describe("create_video_job under concurrency", () => {
  it("50 parallel requests for a balance that covers k of them: exactly k jobs, balance 0", async () => {
    const k = 7;
    const user = await fx.user(5 * k);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => settle(createJob(user, `spread-${i}`))));
    const ok = results.filter((r) => r.ok);
    const codes = results.flatMap((r) => (r.ok ? [] : [r.code]));
    expect(ok).toHaveLength(k);
    expect(new Set(codes)).toEqual(new Set(["insufficient_credits"]));
    expect(await fx.balance(user)).toBe(0);
    const { rows } = await admin.query(
      "select count(*)::int as jobs, (select sum(delta)::int from public.quota_log where user_id = $1) as sum from public.video_jobs where user_id = $1",
      [user],
    );
    expect(rows[0]).toEqual({ jobs: k, sum: 0 });
    await expectLedgerConsistent();
  });

  it("50 parallel requests with one idempotency key: one job, one charge", async () => {
    const user = await fx.user(100);
    const results = await Promise.all(Array.from({ length: 50 }, () => settle(createJob(user, "same-key-0001", { prompt: "x" }))));
    expect(results.every((r) => r.ok)).toBe(true);
    const ids = new Set(results.map((r) => (r.ok ? r.value.id : "")));
    expect(ids.size).toBe(1);
    expect(await fx.balance(user)).toBe(95);
    const { rows } = await admin.query("select count(*)::int as n from public.quota_log where user_id = $1 and reason = 'generation'", [user]);
    expect(rows[0].n).toBe(1);
    await expectLedgerConsistent();
  });

  it("one key raced with two different inputs: one job, the others replay it or conflict", async () => {
    const user = await fx.user(100);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => settle(createJob(user, "split-key-0001", { prompt: i % 2 ? "a" : "b" }))),
    );
    const ids = new Set(results.flatMap((r) => (r.ok ? [r.value.id] : [])));
    const codes = new Set(results.flatMap((r) => (r.ok ? [] : [r.code])));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.ok).length).toBe(25);
    expect(codes).toEqual(new Set(["idempotency_conflict"]));
    expect(await fx.balance(user)).toBe(95);
    await expectLedgerConsistent();
  });

  it("the active-job limit holds when requests race", async () => {
    const user = await fx.user(500);
    await fx.setting("max_active_jobs", 3);
    try {
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => settle(createJob(user, `limit-${i}`))));
      expect(results.filter((r) => r.ok)).toHaveLength(3);
      expect(new Set(results.flatMap((r) => (r.ok ? [] : [r.code])))).toEqual(new Set(["too_many_active_jobs"]));
      expect(await fx.balance(user)).toBe(485);
    } finally {
      await fx.setting("max_active_jobs", 1000);
    }
    await expectLedgerConsistent();
  });
});

describe("store transactions under concurrency", () => {
  it("the same transaction raced from two users is credited once; the other gets transaction_already_claimed", async () => {
    await fx.product("race.pack.40", "apple", 40);
    const rounds = 25;
    let aWins = 0;
    for (let round = 0; round < rounds; round++) {
      const [a, b] = [await fx.user(), await fx.user()];
      const txn = `race-txn-${round}`;
      // Each user also retries: 4 calls per user, all at once.
      const calls = [a, b, a, b, a, b, a, b].map((u) =>
        settle(
          svc
            .query("select public.credit_purchase($1, 'apple', $2, 'race.pack.40') as balance", [u, txn])
            .then((r) => ({ user: u, balance: r.rows[0].balance as number })),
        ),
      );
      const results = await Promise.all(calls);
      const winners = new Set(results.flatMap((r) => (r.ok ? [r.value.user] : [])));
      expect(winners.size).toBe(1);
      const winner = [...winners][0]!;
      const loser = winner === a ? b : a;
      if (winner === a) aWins++;
      expect(results.filter((r) => r.ok).every((r) => r.ok && r.value.balance === 40)).toBe(true);
      expect(results.filter((r) => !r.ok).map((r) => (r.ok ? "" : r.code))).toEqual(Array(4).fill("transaction_already_claimed"));
      expect(await fx.balance(winner)).toBe(40);
      expect(await fx.balance(loser)).toBe(0);
    }
    console.log(`transaction races: first user won ${aWins} of ${rounds}`);
    await expectLedgerConsistent();
  });

  it("a revocation raced with itself and with spending takes back at most the purchase, once", async () => {
    await fx.product("race.pack.40", "apple", 40);
    for (let round = 0; round < 10; round++) {
      const user = await fx.user();
      const txn = `revoke-race-${round}`;
      await svc.query("select public.credit_purchase($1, 'apple', $2, 'race.pack.40')", [user, txn]);
      const results = await Promise.all([
        ...Array.from({ length: 4 }, () => settle(svc.query("select public.revoke_purchase('apple', $1) as b", [txn]))),
        ...Array.from({ length: 8 }, (_, i) => settle(createJob(user, `spend-${round}-${i}`))),
      ]);
      expect(results.slice(0, 4).every((r) => r.ok)).toBe(true);
      expect(await fx.balance(user)).toBeGreaterThanOrEqual(0);
      const { rows } = await admin.query(
        "select count(*)::int as n from public.quota_log q join public.iap_transactions t on t.id = q.iap_transaction_id where t.transaction_id = $1 and q.reason = 'revocation'",
        [txn],
      );
      expect(rows[0].n).toBeLessThanOrEqual(1);
    }
    await expectLedgerConsistent();
  });
});

describe("refunds racing credits", () => {
  it("a credit and a refund of one transaction raced end credited-then-revoked or never credited", async () => {
    await fx.product("race.pack.40", "apple", 40);
    const user = await fx.user();
    const orders = { creditedFirst: 0, revokedFirst: 0 };
    for (let round = 0; round < 40; round++) {
      const txn = `credit-revoke-race-${round}`;
      const [credit, revoke] = await Promise.all([
        settle(svc.query("select public.credit_purchase($1, 'apple', $2, 'race.pack.40') as b", [user, txn])),
        settle(svc.query("select public.revoke_purchase('apple', $1) as b", [txn])),
      ]);
      expect(revoke.ok).toBe(true);
      const { rows } = await admin.query(
        `select (select status from public.iap_transactions where store = 'apple' and transaction_id = $1) as status,
                exists (select 1 from private.iap_revocations where store = 'apple' and transaction_id = $1) as tombstone`,
        [txn],
      );
      if (credit.ok) {
        expect(rows[0]).toEqual({ status: "revoked", tombstone: false });
        orders.creditedFirst++;
      } else {
        expect(credit.code).toBe("transaction_revoked");
        expect(rows[0]).toEqual({ status: null, tombstone: true });
        orders.revokedFirst++;
      }
    }
    console.log(`credit vs refund: ${JSON.stringify(orders)}`);
    expect(await fx.balance(user)).toBe(0);
    await expectLedgerConsistent();
  });
});

describe("job completion races", () => {
  async function agedJobs(user: string, n: number, prefix: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await createJob(user, `${prefix}-${i}`)).id);
    await admin.query("update public.video_jobs set created_at = now() - interval '2 hours' where id = any($1)", [ids]);
    return ids;
  }

  it("fail_video_job and reap_stuck_jobs raced on the same jobs refund each job once", async () => {
    const user = await fx.user(5 * 40);
    const ids = await agedJobs(user, 40, "reap-race");
    expect(await fx.balance(user)).toBe(0);
    const fails = ids.map((id) => settle(svc.query("select (public.fail_video_job($1, 'provider failed')).error", [id])));
    const reaps = Array.from({ length: 6 }, () => settle(svc.query("select public.reap_stuck_jobs('1 hour') as n")));
    const [failResults, reapResults] = await Promise.all([Promise.all(fails), Promise.all(reaps)]);
    expect(failResults.every((r) => r.ok)).toBe(true);
    expect(reapResults.every((r) => r.ok)).toBe(true);
    const reaped = reapResults.reduce((s, r) => s + (r.ok ? (r.value.rows[0].n as number) : 0), 0);
    const { rows } = await admin.query(
      `select count(*) filter (where error_code = 'timed_out')::int as by_reaper,
              count(*) filter (where error = 'provider failed')::int as by_fail,
              (select count(*)::int from public.quota_log where reason = 'refund' and job_id = any($1)) as refunds
       from public.video_jobs where id = any($1)`,
      [ids],
    );
    console.log(`reaper vs fail: reaper refunded ${rows[0].by_reaper}, fail_video_job ${rows[0].by_fail}`);
    expect(rows[0].by_reaper).toBe(reaped);
    expect(rows[0].by_reaper + rows[0].by_fail).toBe(40);
    expect(rows[0].refunds).toBe(40);
    expect(await fx.balance(user)).toBe(5 * 40);
    await expectLedgerConsistent();
  });

  it("complete_video_job and fail_video_job raced: each job ends once, refunded only if failed", async () => {
    const user = await fx.user(5 * 40);
    const ids = await agedJobs(user, 40, "finish-race");
    await Promise.all(
      ids.flatMap((id, i) => {
        const complete = settle(svc.query("select public.complete_video_job($1, 'videos/x.mp4')", [id]));
        const fail = settle(svc.query("select public.fail_video_job($1, 'lost')", [id]));
        return i % 2 ? [complete, fail] : [fail, complete];
      }),
    );
    const { rows } = await admin.query(
      "select count(*) filter (where status = 'failed')::int as failed, count(*) filter (where status = 'succeeded')::int as succeeded from public.video_jobs where id = any($1)",
      [ids],
    );
    expect(rows[0].failed + rows[0].succeeded).toBe(40);
    expect(await fx.balance(user)).toBe(5 * rows[0].failed);
    await expectLedgerConsistent();
  });

  it("concurrent reapers do not deadlock and refund each job once", async () => {
    const users = await Promise.all(Array.from({ length: 8 }, () => fx.user(5 * 10)));
    const ids = (await Promise.all(users.map((u, i) => agedJobs(u, 10, `multi-reap-${i}`)))).flat();
    const reaps = await Promise.all(Array.from({ length: 8 }, () => svc.query("select public.reap_stuck_jobs('1 hour') as n")));
    expect(reaps.reduce((s, r) => s + (r.rows[0].n as number), 0)).toBe(ids.length);
    for (const u of users) expect(await fx.balance(u)).toBe(50);
    await expectLedgerConsistent();
  });
});

describe("negative control", () => {
  it("the same race and checker catch a read-then-write charge", async () => {
    // What the procedures must not do: read the balance, then write it back.
    await admin.query(`
      create or replace function public.naive_charge(p_user uuid, p_cost integer) returns integer
      language plpgsql as $$
      declare b integer;
      begin
        select credits into b from public.users where id = p_user;
        if b < p_cost then raise exception 'insufficient_credits: need %, have %', p_cost, b; end if;
        perform pg_sleep(0.002);
        update public.users set credits = b - p_cost where id = p_user;
        insert into public.quota_log (user_id, delta, balance_after, reason) values (p_user, -p_cost, b - p_cost, 'adjustment');
        return b - p_cost;
      end $$`);
    const user = await fx.user(35);
    const racers = pool(dbUrl, CONNECTIONS);
    try {
      const results = await Promise.all(
        Array.from({ length: 50 }, () => settle(racers.query("select public.naive_charge($1, 5)", [user]))),
      );
      const ok = results.filter((r) => r.ok).length;
      const broken = await brokenInvariants(admin);
      console.log(`naive charge: ${ok} of 50 charged for a balance that covers 7; broken: ${broken.map((b) => b.split(":")[0]).join(", ")}`);
      expect(ok).toBeGreaterThan(7);
      expect(broken.length).toBeGreaterThan(0);
    } finally {
      await racers.end();
      // Put the ledger back in order for any later test: drop the naive rows' user.
      await admin.query("drop function public.naive_charge(uuid, integer)");
      await admin.query("delete from auth.users where id = $1", [user]);
    }
    await expectLedgerConsistent();
  });
});
