/**
 * End to end against the real database (DATABASE_URL, migrated): the
 * handlers talk to the real SQL functions through tests/pg_db.ts and to a
 * fake provider on 127.0.0.1. The balance and quota_log are read back from
 * PostgreSQL: charged once on success, refunded once on failure.
 */
import assert from "node:assert/strict";
import { webhookHandler } from "../_shared/webhook.ts";
import { body, generateRequest, type Harness, pollRequest, startHarness } from "./fakes/harness.ts";
import { PROVIDER_CASES, type ProviderCase } from "./fakes/providers.ts";
import { type PgDb, pgDb } from "./pg_db.ts";

const DATABASE_URL = Deno.env.get("DATABASE_URL");
const START_CREDITS = 100;

/** A new auth user (the trigger creates public.users) holding START_CREDITS. */
async function newUser(db: PgDb): Promise<string> {
  const id = crypto.randomUUID();
  await db.admin(
    `insert into auth.users (id, aud, role, is_anonymous, created_at, updated_at)
     values ($1, 'authenticated', 'authenticated', true, now(), now())`,
    [id],
  );
  // Credits arrive the way the contract allows: grant_trial_credits, with the
  // trial amount raised inside one transaction that nobody else sees.
  const [{ value }] = await db.admin<{ value: unknown }>(
    "select value from private.settings where key = 'trial_credits'",
  );
  await db.admin(`
    begin;
    update private.settings set value = '${START_CREDITS}' where key = 'trial_credits';
    set local role service_role;
    select public.grant_trial_credits('${id}');
    reset role;
    update private.settings set value = '${JSON.stringify(value)}' where key = 'trial_credits';
    commit;`);
  return id;
}

async function ledger(db: PgDb, userId: string) {
  const [{ credits }] = await db.admin<{ credits: number }>(
    "select credits from public.users where id = $1",
    [userId],
  );
  const rows = await db.admin<{ reason: string; delta: number; job_id: string | null }>(
    "select reason, delta, job_id from public.quota_log where user_id = $1 order by id",
    [userId],
  );
  return { credits, rows };
}

async function withDatabase(
  c: ProviderCase,
  fn: (h: Harness, db: PgDb, user: { id: string; token: string }, cost: number) => Promise<void>,
) {
  const db = pgDb(DATABASE_URL!);
  const h = await startHarness(c, { db });
  try {
    const model = await db.getModel(c.modelId);
    assert.ok(model, `the catalog has ${c.modelId}`);
    const id = await newUser(db);
    await fn(h, db, { id, token: h.auth.issue(id) }, model.credit_cost);
  } finally {
    await h.close();
    await db.close();
  }
}

/** The provider finishes the job and tells us: webhook, or the poller for Runway. */
async function deliver(
  h: Harness,
  c: ProviderCase,
  providerJobId: string,
  result: "succeeded" | "failed",
) {
  let res: Response;
  if (h.fake.webhook) {
    const hook = webhookHandler(c.name, {
      db: h.db,
      storage: h.storage,
      providers: h.providers,
      alerts: h.alerts,
      now: () => new Date(),
    });
    res = await hook(await h.fake.webhook(providerJobId, result));
  } else {
    h.fake.finish(providerJobId, result);
    res = await h.pollJobs(pollRequest());
  }
  assert.equal(res.status, 200);
  await res.body?.cancel();
}

for (const c of PROVIDER_CASES) {
  const valid = { model_id: c.modelId, ...c.body };

  Deno.test({
    name: `e2e ${c.name}: generate → provider success → succeeded, charged exactly once`,
    ignore: !DATABASE_URL,
    async fn() {
      await withDatabase(c, async (h, db, user, cost) => {
        const res = await h.generate(generateRequest(user.token, valid, "e2e-success-1"));
        assert.equal(res.status, 202);
        const { job } = await body(res);
        const replay = await h.generate(generateRequest(user.token, valid, "e2e-success-1"));
        assert.equal(replay.status, 200);
        await replay.body?.cancel();

        const stored = await db.getJob(job.id);
        assert.equal(stored!.status, "submitted");
        for (let i = 0; i < 2; i++) await deliver(h, c, stored!.provider_job_id!, "succeeded");

        const done = await db.getJob(job.id);
        assert.equal(done!.status, "succeeded");
        assert.equal(done!.video_url, `videos/${user.id}/${job.id}.mp4`);
        const { credits, rows } = await ledger(db, user.id);
        assert.equal(credits, START_CREDITS - cost);
        assert.deepEqual(
          rows.filter((r) => r.job_id === job.id).map((r) => [r.reason, r.delta]),
          [["generation", -cost]],
        );
      });
    },
  });

  Deno.test({
    name: `e2e ${c.name}: provider 500 at submission → 502, failed, refunded exactly once`,
    ignore: !DATABASE_URL,
    async fn() {
      await withDatabase(c, async (h, db, user, cost) => {
        h.fake.submitMode = "error500";
        const res = await h.generate(generateRequest(user.token, valid, "e2e-submit-500"));
        assert.equal(res.status, 502);
        assert.equal((await body(res)).error.code, "provider_unavailable");
        const replay = await h.generate(generateRequest(user.token, valid, "e2e-submit-500"));
        const { job } = await body(replay);
        assert.equal(
          replay.status,
          200,
          "a replay returns the failed job, it does not charge again",
        );
        assert.equal(job.status, "failed");
        await db.failVideoJob(job.id, "again");

        const { credits, rows } = await ledger(db, user.id);
        assert.equal(credits, START_CREDITS);
        assert.deepEqual(
          rows.filter((r) => r.job_id === job.id).map((r) => [r.reason, r.delta]),
          [["generation", -cost], ["refund", cost]],
        );
      });
    },
  });

  Deno.test({
    name: `e2e ${c.name}: generation fails at the provider → refunded exactly once`,
    ignore: !DATABASE_URL,
    async fn() {
      await withDatabase(c, async (h, db, user, cost) => {
        const { job } = await body(await h.generate(generateRequest(user.token, valid)));
        const stored = await db.getJob(job.id);
        for (let i = 0; i < 2; i++) await deliver(h, c, stored!.provider_job_id!, "failed");
        assert.equal((await db.getJob(job.id))!.status, "failed");
        const { credits, rows } = await ledger(db, user.id);
        assert.equal(credits, START_CREDITS);
        assert.equal(rows.filter((r) => r.job_id === job.id && r.reason === "refund").length, 1);
        assert.equal(cost > 0, true);
      });
    },
  });
}
