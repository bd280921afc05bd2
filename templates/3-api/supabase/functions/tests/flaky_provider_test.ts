/**
 * A provider having a bad day: it finished the job (and charged us for it),
 * but its answers about the job come back 503, 429 or 401 for a while, and
 * so does its CDN. None of that is a failure of the job: it is retried with
 * backoff, and when the answer finally comes the job succeeds. Nothing is
 * refunded on the way.
 */
import assert from "node:assert/strict";
import type { VideoJob } from "../_shared/db.ts";
import { startAssetServer } from "./fakes/assets.ts";
import {
  body,
  generateRequest,
  type Harness,
  pollRequest,
  startHarness,
  testVideoFetcher,
} from "./fakes/harness.ts";
import { MemoryDb } from "./fakes/memory_db.ts";
import { PROVIDER_CASES, type ProviderCase } from "./fakes/providers.ts";

const COST = 10;

interface Ctx {
  h: Harness;
  db: MemoryDb;
  cdn: ReturnType<typeof startAssetServer>;
  /** A submitted job the provider has finished (optionally with its own video URL). */
  finishedJob(videoUrl?: string): Promise<VideoJob>;
  /** One poll-jobs run; its report. */
  poll(): Promise<{ polled: number; succeeded: number; failed: number; errors: number }>;
  refunds(): number;
}

async function badDay(c: ProviderCase, fn: (ctx: Ctx) => Promise<void>) {
  const db = new MemoryDb();
  db.addModel(c.modelId, c.name, COST);
  const cdn = startAssetServer();
  const origins = [cdn.url];
  const fetchVideo = (url: string, hosts: readonly string[]) =>
    testVideoFetcher(origins)(url, hosts);
  const h = await startHarness(c, { db, fetchVideo, staleAfterS: 1 });
  origins.push(h.fake.server.url);
  const userId = crypto.randomUUID();
  db.credits.set(userId, 100);
  const token = h.auth.issue(userId);
  try {
    await fn({
      h,
      db,
      cdn,
      async finishedJob(videoUrl) {
        const { job } = await body(
          await h.generate(generateRequest(token, { model_id: c.modelId, ...c.body })),
        );
        const stored = (await db.getJob(job.id))!;
        // Quiet for a while: a webhook provider's job is polled only then.
        const before = new Date(Date.now() - 10_000).toISOString();
        db.jobs.set(job.id, { ...stored, created_at: before, updated_at: before });
        h.fake.finish(stored.provider_job_id!, "succeeded", { videoUrl });
        return stored;
      },
      async poll() {
        // Each run sees the job as quiet again (the webhook is still lost).
        for (const job of db.jobs.values()) {
          const before = new Date(Date.now() - 10_000).toISOString();
          db.jobs.set(job.id, { ...job, updated_at: before });
        }
        const res = await h.pollJobs(pollRequest());
        assert.equal(res.status, 200);
        return await body(res);
      },
      refunds: () => db.ledger.filter((l) => l.reason === "refund").length,
    });
  } finally {
    await h.close();
    await cdn.close();
  }
}

for (const c of PROVIDER_CASES) {
  Deno.test(`${c.name}: 503 then 429 then the result → succeeded within one poll, no refund`, async () => {
    await badDay(c, async (ctx) => {
      const job = await ctx.finishedJob();
      ctx.h.fake.flakyReads = [503, 429];
      const report = await ctx.poll();
      const after = (await ctx.db.getJob(job.id))!;
      assert.equal(after.status, "succeeded", "retried with backoff until the result came");
      assert.equal(report.errors, 0);
      assert.equal(ctx.refunds(), 0);
      assert.ok(ctx.h.storage.objects.has(after.video_url!));
    });
  });

  Deno.test(`${c.name}: answers that say nothing about the job (401, 429, 5xx) never refund it`, async () => {
    await badDay(c, async (ctx) => {
      const job = await ctx.finishedJob();
      // More failures than one poll retries: this run gives up, the job waits.
      for (const status of [401, 403, 429, 500, 502, 503, 504]) {
        ctx.h.fake.flakyReads = [status, status, status];
        const report = await ctx.poll();
        assert.equal(report.failed, 0, `HTTP ${status} is not a failure of the job`);
        const now = (await ctx.db.getJob(job.id))!;
        assert.notEqual(now.status, "failed", `HTTP ${status} does not fail the job`);
        assert.equal(ctx.refunds(), 0, `HTTP ${status} refunds nothing`);
        ctx.h.fake.flakyReads = [];
      }
      // The provider is back: the job it finished long ago is collected.
      await ctx.poll();
      assert.equal((await ctx.db.getJob(job.id))!.status, "succeeded");
      assert.equal(ctx.refunds(), 0);
    });
  });

  Deno.test(`${c.name}: a CDN answering 503 twice is retried; the video is stored`, async () => {
    await badDay(c, async (ctx) => {
      const job = await ctx.finishedJob(`${ctx.cdn.url}/flaky/2/video.mp4`);
      await ctx.poll();
      const after = (await ctx.db.getJob(job.id))!;
      assert.equal(after.status, "succeeded");
      assert.equal(ctx.refunds(), 0);
      assert.equal(
        ctx.cdn.server.requests.filter((r) => r.path.startsWith("/flaky/")).length,
        3,
        "two refusals, then the video",
      );
    });
  });

  Deno.test(`${c.name}: a CDN that keeps failing leaves the job for later, unrefunded`, async () => {
    await badDay(c, async (ctx) => {
      const job = await ctx.finishedJob(`${ctx.cdn.url}/flaky/100/video.mp4`);
      const report = await ctx.poll();
      assert.equal(report.errors, 1);
      const after = (await ctx.db.getJob(job.id))!;
      assert.notEqual(after.status, "failed");
      assert.equal(after.last_poll_state, "succeeded", "the reaper knows the provider said done");
      assert.equal(ctx.refunds(), 0);
    });
  });
}
