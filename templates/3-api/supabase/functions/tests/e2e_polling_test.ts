/**
 * Polling, reaping and racing against the real database (DATABASE_URL):
 * the SQL functions decide who is polled, who is reaped and who wins a
 * completion/refund race, so that is where it is proven.
 *
 * - Fair polling: 200 in-flight jobs, 25 asked per run: every job is asked
 *   within 8 runs (the same 25 oldest, run after run, is the bug).
 * - A reaper that asks first: finished jobs whose webhook was lost are
 *   collected, not refunded, when the poller is behind.
 * - A completion that loses the race to a refund deletes its copy: the
 *   refunded owner keeps no video.
 */
import assert from "node:assert/strict";
import type { VideoJob } from "../_shared/db.ts";
import { type JobDeps, settle } from "../_shared/jobs.ts";
import { startAssetServer } from "./fakes/assets.ts";
import {
  body,
  generateRequest,
  type Harness,
  pollRequest,
  startHarness,
  testVideoFetcher,
} from "./fakes/harness.ts";
import { PROVIDER_CASES, type ProviderCase } from "./fakes/providers.ts";
import { type PgDb, pgDb } from "./pg_db.ts";

const DATABASE_URL = Deno.env.get("DATABASE_URL");

interface Ctx {
  h: Harness;
  db: PgDb;
  cdn: ReturnType<typeof startAssetServer>;
}

async function withDatabase(c: ProviderCase, fn: (ctx: Ctx) => Promise<void>) {
  const db = pgDb(DATABASE_URL!);
  const cdn = startAssetServer();
  const origins = [cdn.url];
  const fetchVideo = (url: string, hosts: readonly string[]) =>
    testVideoFetcher(origins)(url, hosts);
  // staleAfterS 0: jobs of webhook providers are polled too (their webhook is "lost").
  const h = await startHarness(c, { db, fetchVideo, staleAfterS: 0 });
  origins.push(h.fake.server.url);
  try {
    // Each test leaves its jobs final: the only jobs in flight are the test's own.
    const [{ n }] = await db.admin<{ n: number }>(
      `select count(*)::int as n from public.video_jobs
        where provider = $1 and status in ('queued', 'submitted', 'processing')`,
      [c.name],
    );
    assert.equal(n, 0, "no other job of this provider is in flight");
    await fn({ h, db, cdn });
  } finally {
    // Leave nothing in flight for the next test, whatever happened.
    await db.admin(
      `select public.fail_video_job(id, 'failed: test cleanup') from public.video_jobs
        where provider = $1 and status in ('queued', 'submitted', 'processing')`,
      [c.name],
    );
    await h.close();
    await cdn.close();
    await db.close();
  }
}

/**
 * `providerJobIds.length` jobs of `c`, one per new user, submitted to the
 * provider as those ids (and `processing`, unless `submittedOnly`); their
 * creation lies `ageMinutes` back. Credits are given as an operator does:
 * an adjustment row per user.
 */
async function inFlightJobs(
  db: PgDb,
  c: ProviderCase,
  providerJobIds: string[],
  options: { ageMinutes?: number; submittedOnly?: boolean } = {},
): Promise<VideoJob[]> {
  const run = crypto.randomUUID().slice(0, 8);
  const ids = providerJobIds.map((id) => `'${id.replaceAll("'", "''")}'`).join(",");
  await db.admin(`
    begin;
    create temp table batch on commit drop as
      select gen_random_uuid() as uid, p as pid from unnest(array[${ids}]::text[]) p;
    grant select on batch to service_role;
    insert into auth.users (id, aud, role, is_anonymous, created_at, updated_at)
      select uid, 'authenticated', 'authenticated', true, now(), now() from batch;
    update public.users u set credits = 100 from batch where u.id = batch.uid;
    insert into public.quota_log (user_id, delta, balance_after, reason)
      select uid, 100, 100, 'adjustment' from batch;
    set local role service_role;
    create temp table made on commit drop as
      select b.pid, (public.create_video_job(b.uid, '${c.modelId}', 'batch-${run}-' || b.pid, '{}')).id as jid
      from batch b;
    select public.mark_job_submitted(jid, pid) from made;
    ${options.submittedOnly ? "" : "select public.mark_job_processing(jid) from made;"}
    reset role;
    update public.video_jobs set created_at = now() - make_interval(mins => ${
    options.ageMinutes ?? 0
  })
      where idempotency_key like 'batch-${run}-%';
    commit;`);
  const rows = await db.admin<{ j: VideoJob }>(
    "select to_jsonb(j) as j from public.video_jobs j where idempotency_key like $1",
    [`batch-${run}-%`],
  );
  return rows.map((r) => r.j);
}

/** Ids of `n` jobs the provider accepted (real submissions to the fake). */
/** A new user holding 100 credits. */
async function creditedUser(db: PgDb): Promise<string> {
  const id = crypto.randomUUID();
  await db.admin(`
    begin;
    insert into auth.users (id, aud, role, is_anonymous, created_at, updated_at)
      values ('${id}', 'authenticated', 'authenticated', true, now(), now());
    update public.users set credits = 100 where id = '${id}';
    insert into public.quota_log (user_id, delta, balance_after, reason)
      values ('${id}', 100, 100, 'adjustment');
    commit;`);
  return id;
}

async function submitted(h: Harness, c: ProviderCase, n: number): Promise<string[]> {
  const input = { prompt: "a cat", image_url: "https://example.com/i.png", duration: 5 };
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await h.fake.provider.submit(c.modelId, input, {})).id);
  return ids;
}

/** How often the provider was asked about each of `ids` since request number `from`. */
function asked(h: Harness, ids: string[], from: number): number[] {
  const gets = h.fake.server.requests.slice(from).filter((r) => r.method === "GET");
  return ids.map((id) => gets.filter((r) => r.path.split("/").includes(id)).length);
}

async function refunds(db: PgDb, jobIds: string[]): Promise<number> {
  const [{ n }] = await db.admin<{ n: number }>(
    "select count(*)::int as n from public.quota_log where reason = 'refund' and job_id = any($1)",
    [jobIds],
  );
  return n;
}

for (const c of PROVIDER_CASES) {
  Deno.test({
    name: `e2e ${c.name}: 200 in-flight jobs, 25 per run: each is asked within 8 runs`,
    ignore: !DATABASE_URL,
    async fn() {
      await withDatabase(c, async ({ h, db }) => {
        const ids = await submitted(h, c, 200);
        await inFlightJobs(db, c, ids);
        const from = h.fake.server.requests.length;
        for (let run = 0; run < 8; run++) {
          const report = await body(await h.pollJobs(pollRequest()));
          assert.equal(report.polled, 25, `run ${run + 1} asks about a full batch`);
        }
        const counts = asked(h, ids, from);
        const never = counts.filter((n) => n === 0).length;
        assert.equal(never, 0, `${never} of 200 jobs were never asked about in 8 runs`);
        assert.deepEqual([...new Set(counts)], [1], "each exactly once: nobody is asked twice");
      });
    },
  });

  Deno.test({
    name: `e2e ${c.name}: the reaper spares old jobs nobody asked about; the poller collects them`,
    ignore: !DATABASE_URL,
    async fn() {
      await withDatabase(c, async ({ h, db }) => {
        // 30 jobs the provider finished 31 minutes in, whose webhooks were lost.
        const ids = await submitted(h, c, 30);
        const jobs = await inFlightJobs(db, c, ids, { ageMinutes: 31, submittedOnly: true });
        for (const id of ids) h.fake.finish(id, "succeeded");

        const first = await body(await h.pollJobs(pollRequest()));
        assert.equal(first.succeeded, 25);
        assert.equal(first.reaped, 0, "the 5 not asked about yet are not refunded");
        const second = await body(await h.pollJobs(pollRequest()));
        assert.equal(second.succeeded, 5);

        const [{ n }] = await db.admin<{ n: number }>(
          "select count(*)::int as n from public.video_jobs where id = any($1) and status = 'succeeded'",
          [jobs.map((j) => j.id)],
        );
        assert.equal(n, 30, "every paid video is kept");
        assert.equal(await refunds(db, jobs.map((j) => j.id)), 0);
      });
    },
  });

  Deno.test({
    name: `e2e ${c.name}: a completion that loses the race to a refund deletes the stored video`,
    ignore: !DATABASE_URL,
    async fn() {
      await withDatabase(c, async ({ h, db, cdn }) => {
        const user = await creditedUser(db);
        const { job } = await body(
          await h.generate(generateRequest(h.auth.issue(user), { model_id: c.modelId, ...c.body })),
        );
        const stored = (await db.getJob(job.id))!;
        h.fake.finish(stored.provider_job_id!, "succeeded", {
          videoUrl: `${cdn.url}/gated/video.mp4`,
        });

        // The poller downloads the video (slowly)…
        const polling = h.pollJobs(pollRequest());
        const started = () => cdn.server.requests.some((r) => r.path === "/gated/video.mp4");
        for (let waited = 0; !started(); waited++) {
          assert.ok(waited < 1000, "the poller started the download");
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        // …while the job is failed and refunded on another connection.
        const failed = await db.failVideoJob(job.id, "timed_out: lost the race");
        assert.equal(failed.status, "failed");
        cdn.open();
        const report = await body(await polling);
        assert.equal(report.polled >= 1, true);

        const path = `videos/${user}/${job.id}.mp4`;
        assert.equal((await db.getJob(job.id))!.status, "failed");
        assert.equal(await refunds(db, [job.id]), 1, "refunded once");
        assert.equal(h.storage.objects.has(path), false, "the refunded owner keeps no video");
        assert.ok(h.storage.removed.includes(path));
      });
    },
  });

  Deno.test({
    name:
      `e2e ${c.name}: completions and refunds raced on 12 jobs: a video if and only if no refund`,
    ignore: !DATABASE_URL,
    async fn() {
      await withDatabase(c, async ({ h, db, cdn }) => {
        const jobs = await inFlightJobs(db, c, await submitted(h, c, 12));
        const deps: JobDeps = {
          db,
          providers: h.providers,
          storage: h.storage,
          fetchVideo: (url, hosts) => testVideoFetcher([cdn.url])(url, hosts),
          alerts: h.alerts,
          now: () => new Date(),
        };
        const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
        await Promise.all(jobs.flatMap((job, i) => [
          // The provider's success, with a download of varying length…
          settle(job, {
            state: "succeeded",
            videoUrl: `${cdn.url}/delay/${(i * 7) % 40}/video.mp4`,
          }, deps),
          // …against the reaper's refund, at varying moments.
          pause((i * 11) % 40).then(() => db.failVideoJob(job.id, "timed_out: raced")),
        ]));
        for (const job of jobs) {
          const after = (await db.getJob(job.id))!;
          const refunded = await refunds(db, [job.id]);
          const file = h.storage.objects.has(`videos/${job.user_id}/${job.id}.mp4`);
          assert.ok(
            (after.status === "succeeded" && refunded === 0 && file) ||
              (after.status === "failed" && refunded === 1 && !file),
            `job ${job.id}: ${after.status}, ${refunded} refund(s), file ${file}`,
          );
        }
      });
    },
  });
}
