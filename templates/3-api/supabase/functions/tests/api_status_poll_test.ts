/** GET /job-status and POST /poll-jobs against each chosen provider's fake API. */
import assert from "node:assert/strict";
import type { VideoJob } from "../_shared/db.ts";
import {
  body,
  CRON_SECRET,
  generateRequest,
  type Harness,
  pollRequest,
  startHarness,
  statusRequest,
} from "./fakes/harness.ts";
import { MemoryDb } from "./fakes/memory_db.ts";
import { PROVIDER_CASES, type ProviderCase } from "./fakes/providers.ts";

const COST = 10;

interface Ctx {
  h: Harness;
  db: MemoryDb;
  user: { id: string; token: string };
  newJob(): Promise<VideoJob>;
  /** Pretends the job was created and last changed `seconds` ago. */
  age(job: VideoJob, seconds: number): void;
}

async function withCase(
  c: ProviderCase,
  fn: (ctx: Ctx) => Promise<void>,
  options: Parameters<typeof startHarness>[1] = {},
) {
  const db = new MemoryDb();
  db.addModel(c.modelId, c.name, COST);
  const h = await startHarness(c, { db, ...options });
  const id = crypto.randomUUID();
  db.credits.set(id, 100);
  const user = { id, token: h.auth.issue(id) };
  try {
    await fn({
      h,
      db,
      user,
      async newJob() {
        const { job } = await body(
          await h.generate(generateRequest(user.token, { model_id: c.modelId, ...c.body })),
        );
        return (await db.getJob(job.id))!;
      },
      age(job, seconds) {
        const stored = db.jobs.get(job.id)!;
        const at = new Date(Date.now() - seconds * 1000).toISOString();
        db.jobs.set(job.id, { ...stored, created_at: at, updated_at: at });
      },
    });
  } finally {
    await h.close();
  }
}

for (const c of PROVIDER_CASES) {
  Deno.test(`${c.name}: job-status answers the owner, 404 for anyone else`, async () => {
    await withCase(c, async ({ h, user, newJob }) => {
      const job = await newJob();
      const mine = await h.jobStatus(statusRequest(user.token, job.id));
      assert.equal(mine.status, 200);
      const { job: seen } = await body(mine);
      assert.equal(seen.id, job.id);
      assert.equal(seen.credits_charged, COST);
      assert.equal("idempotency_key" in seen, false);

      const stranger = await h.jobStatus(statusRequest(h.auth.issue(), job.id));
      assert.equal(stranger.status, 404);
      assert.equal((await body(stranger)).error.code, "job_not_found");
      for (const id of [crypto.randomUUID(), "not-a-uuid", ""]) {
        const res = await h.jobStatus(statusRequest(user.token, id));
        assert.equal(res.status, 404);
        await res.body?.cancel();
      }
      const anonymous = await h.jobStatus(statusRequest(null, job.id));
      assert.equal(anonymous.status, 401);
      await anonymous.body?.cancel();
    });
  });

  Deno.test(`${c.name}: job-status refreshes from the provider and signs the stored video`, async () => {
    await withCase(c, async ({ h, db, user, newJob, age }) => {
      const job = await newJob();
      h.fake.finish(job.provider_job_id!, "succeeded");
      const first = await body(await h.jobStatus(statusRequest(user.token, job.id)));
      if (h.fake.provider.hasWebhooks) {
        // Fresh: the webhook is expected, the provider is not asked.
        assert.equal(first.job.status, "submitted");
        age(job, 121);
      }
      const { job: seen } = await body(await h.jobStatus(statusRequest(user.token, job.id)));
      assert.equal(seen.status, "succeeded");
      const path = `videos/${user.id}/${job.id}.mp4`;
      assert.equal(seen.video_url, `https://storage.test/sign/${path}?expires=3600`);
      assert.ok(h.storage.objects.has(path));
      assert.equal((await db.getJob(job.id))!.video_url, path);
    });
  });

  Deno.test(`${c.name}: job-status asks the provider at most once per interval`, async () => {
    await withCase(c, async ({ h, user, newJob, age }) => {
      const job = await newJob();
      age(job, 121);
      const before = h.fake.server.requests.length;
      for (let i = 0; i < 3; i++) {
        const res = await h.jobStatus(statusRequest(user.token, job.id));
        assert.equal(res.status, 200);
        await res.body?.cancel();
      }
      const asked = h.fake.server.requests.slice(before).filter((r) => r.method === "GET");
      assert.equal(asked.length, 1);
    }, { minRefreshIntervalS: 5 });
  });

  Deno.test(`${c.name}: job-status of a provider failure refunds once`, async () => {
    await withCase(c, async ({ h, db, user, newJob, age }) => {
      const job = await newJob();
      h.fake.finish(job.provider_job_id!, "failed");
      age(job, 121);
      for (let i = 0; i < 2; i++) {
        const { job: seen } = await body(await h.jobStatus(statusRequest(user.token, job.id)));
        assert.equal(seen.status, "failed");
        assert.ok(seen.error);
      }
      assert.equal(db.credits.get(user.id), 100);
      assert.equal(db.ledger.filter((l) => l.reason === "refund").length, 1);
    });
  });

  Deno.test(`${c.name}: poll-jobs refuses callers without the cron secret`, async () => {
    await withCase(c, async ({ h }) => {
      for (const secret of [null, "", "wrong-secret", `${CRON_SECRET}x`]) {
        const res = await h.pollJobs(pollRequest(secret));
        assert.equal(res.status, 401);
        await res.body?.cancel();
      }
    });
  });

  Deno.test(`${c.name}: poll-jobs settles finished jobs, leaves fresh webhook jobs alone, reaps`, async () => {
    await withCase(c, async ({ h, db, user, newJob, age }) => {
      const done = await newJob();
      const failed = await newJob();
      const running = await newJob();
      h.fake.finish(done.provider_job_id!, "succeeded");
      h.fake.finish(failed.provider_job_id!, "failed");
      for (const job of [done, failed, running]) age(job, 121);

      const report = await body(await h.pollJobs(pollRequest()));
      assert.deepEqual(
        { polled: report.polled, succeeded: report.succeeded, failed: report.failed },
        { polled: 3, succeeded: 1, failed: 1 },
      );
      assert.equal((await db.getJob(done.id))!.status, "succeeded");
      assert.equal((await db.getJob(failed.id))!.status, "failed");
      assert.equal((await db.getJob(running.id))!.status, "processing");
      assert.equal(db.credits.get(user.id), 100 - 2 * COST);

      // A job that changed just now: polled only when the provider has no webhooks.
      const fresh = await newJob();
      h.fake.finish(fresh.provider_job_id!, "succeeded");
      const again = await body(await h.pollJobs(pollRequest()));
      const expected = h.fake.provider.hasWebhooks ? "submitted" : "succeeded";
      assert.equal((await db.getJob(fresh.id))!.status, expected);
      assert.equal(again.reaped, 0);

      // A job older than the reaper's limit is failed and refunded once the
      // provider, asked (by this run) after that age, says it still runs.
      age(running, 31 * 60);
      const last = await body(await h.pollJobs(pollRequest()));
      assert.equal(last.reaped, 1);
      assert.equal((await db.getJob(running.id))!.status, "failed");
      assert.equal(db.credits.get(user.id), 100 - 2 * COST);
      assert.ok(h.alerts.keys().includes("jobs_reaped"));
    });
  });
}
