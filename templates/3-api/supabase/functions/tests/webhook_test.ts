/**
 * fal-webhook / replicate-webhook: signatures made in the test with keys
 * generated here (valid, wrong key, tampered body, stale timestamp), then
 * duplicate, late and out-of-order deliveries.
 */
import assert from "node:assert/strict";
import {
  body,
  FUNCTIONS_URL,
  generateRequest,
  type Harness,
  startHarness,
} from "./fakes/harness.ts";
import { MemoryDb } from "./fakes/memory_db.ts";
import { PROVIDER_CASES, type ProviderCase } from "./fakes/providers.ts";

const COST = 10;

interface Ctx {
  h: Harness;
  db: MemoryDb;
  userId: string;
  hook: (req: Request) => Promise<Response>;
  /** A generated (charged, submitted) job: our id and the provider's. */
  newJob(): Promise<{ id: string; providerJobId: string }>;
}

async function withWebhook(c: ProviderCase, fn: (ctx: Ctx) => Promise<void>) {
  const db = new MemoryDb();
  db.addModel(c.modelId, c.name, COST);
  const h = await startHarness(c, { db });
  const userId = crypto.randomUUID();
  db.credits.set(userId, 100);
  const token = h.auth.issue(userId);
  const hook = h.webhook;
  try {
    await fn({
      h,
      db,
      userId,
      hook,
      async newJob() {
        const { job } = await body(
          await h.generate(generateRequest(token, { model_id: c.modelId, ...c.body })),
        );
        const stored = await db.getJob(job.id);
        return { id: job.id, providerJobId: stored!.provider_job_id! };
      },
    });
  } finally {
    await h.close();
  }
}

const refunds = (db: MemoryDb, jobId: string) =>
  db.ledger.filter((l) => l.reason === "refund" && l.jobId === jobId).length;

for (const c of PROVIDER_CASES.filter((p) => p.name === "fal" || p.name === "replicate")) {
  Deno.test(`${c.name}-webhook: success copies the video to Storage and completes the job once`, async () => {
    await withWebhook(c, async ({ h, db, userId, hook, newJob }) => {
      const job = await newJob();
      const res = await hook(await h.fake.webhook!(job.providerJobId, "succeeded"));
      assert.equal(res.status, 200);
      assert.equal((await body(res)).status, "succeeded");
      const stored = await db.getJob(job.id);
      assert.equal(stored!.status, "succeeded");
      assert.equal(stored!.video_url, `videos/${userId}/${job.id}.mp4`);
      assert.ok(h.storage.objects.get(`videos/${userId}/${job.id}.mp4`)?.length);

      // A duplicate delivery changes nothing.
      const again = await hook(await h.fake.webhook!(job.providerJobId, "succeeded"));
      assert.equal(again.status, 200);
      assert.equal((await body(again)).duplicate, true);
      // A late failure for a finished job neither fails nor refunds it.
      const late = await hook(await h.fake.webhook!(job.providerJobId, "failed"));
      assert.equal(late.status, 200);
      assert.equal((await db.getJob(job.id))!.status, "succeeded");
      assert.equal(refunds(db, job.id), 0);
      assert.equal(db.credits.get(userId), 100 - COST);
    });
  });

  Deno.test(`${c.name}-webhook: failure refunds exactly once, whatever arrives after`, async () => {
    await withWebhook(c, async ({ h, db, userId, hook, newJob }) => {
      const job = await newJob();
      for (const result of ["failed", "failed", "succeeded"] as const) {
        const res = await hook(await h.fake.webhook!(job.providerJobId, result));
        assert.equal(res.status, 200);
        await res.body?.cancel();
      }
      const stored = await db.getJob(job.id);
      assert.equal(stored!.status, "failed");
      assert.equal(refunds(db, job.id), 1);
      assert.equal(db.credits.get(userId), 100);
      assert.equal(h.storage.objects.size, 0);
    });
  });

  for (
    const [what, options] of [
      ["a key it does not trust", { wrongKey: true }],
      ["a tampered body", { tamper: true }],
      ["a stale timestamp", { ageSeconds: 301 }],
    ] as const
  ) {
    Deno.test(`${c.name}-webhook: ${what} → 401 invalid_signature, nothing changes, alert`, async () => {
      await withWebhook(c, async ({ h, db, userId, hook, newJob }) => {
        const job = await newJob();
        const res = await hook(await h.fake.webhook!(job.providerJobId, "failed", options));
        assert.equal(res.status, 401);
        assert.equal((await body(res)).error.code, "invalid_signature");
        assert.equal((await db.getJob(job.id))!.status, "submitted");
        assert.equal(db.credits.get(userId), 100 - COST);
        assert.ok(h.alerts.keys().includes(`forged_request:${c.name}-webhook`));
      });
    });
  }

  Deno.test(`${c.name}-webhook: missing signature headers → 401`, async () => {
    await withWebhook(c, async ({ h, hook }) => {
      const url = await h.tokens.webhookUrl(FUNCTIONS_URL, c.name, crypto.randomUUID());
      const res = await hook(new Request(url, { method: "POST", body: "{}" }));
      assert.equal(res.status, 401);
      await res.body?.cancel();
    });
  });

  Deno.test(`${c.name}-webhook: a job that no longer exists is acknowledged and changes nothing`, async () => {
    await withWebhook(c, async ({ h, db, hook }) => {
      const gone = crypto.randomUUID();
      const url = await h.tokens.webhookUrl(FUNCTIONS_URL, c.name, gone);
      const res = await hook(await h.fake.webhook!("not-a-job-of-ours", "succeeded", { url }));
      assert.equal(res.status, 200);
      assert.equal((await body(res)).ignored, "unknown job");
      assert.equal(db.jobs.size, 0);
    });
  });

  Deno.test(`${c.name}-webhook: a callback before the provider id is recorded → 409, settled once it is`, async () => {
    await withWebhook(c, async ({ h, db, userId, hook }) => {
      // A charged job whose submission was accepted but not yet recorded.
      const job = await db.createVideoJob({
        userId,
        modelId: c.modelId,
        idempotencyKey: "early-webhook-1",
        input: { prompt: "x" },
      });
      const url = await h.tokens.webhookUrl(FUNCTIONS_URL, c.name, job.id);
      const early = await hook(await h.fake.webhook!("early-provider-id", "succeeded", { url }));
      assert.equal(early.status, 409, "the provider is asked to deliver again");
      assert.equal((await body(early)).error.code, "job_not_submitted");
      assert.equal((await db.getJob(job.id))!.status, "queued");
      assert.equal(h.storage.objects.size, 0);

      await db.markJobSubmitted(job.id, "early-provider-id");
      const again = await hook(await h.fake.webhook!("early-provider-id", "succeeded", { url }));
      assert.equal(again.status, 200);
      await again.body?.cancel();
      assert.equal((await db.getJob(job.id))!.status, "succeeded");
    });
  });
}

const fal = PROVIDER_CASES.find((p) => p.name === "fal");
if (fal) {
  Deno.test("fal-webhook: the JWKS is fetched once and cached across deliveries", async () => {
    await withWebhook(fal, async ({ h, hook, newJob }) => {
      const fake = h.fake as unknown as { jwksFetches(): number };
      for (let i = 0; i < 3; i++) {
        const job = await newJob();
        const res = await hook(await h.fake.webhook!(job.providerJobId, "succeeded"));
        assert.equal(res.status, 200);
        await res.body?.cancel();
      }
      assert.equal(fake.jwksFetches(), 1);
    });
  });
}
