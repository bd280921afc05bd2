/**
 * What the API tells a job's owner: a stable error code and a message safe
 * to show, never the provider's raw answer (model internals, error bodies
 * that quote our requests) nor our own URLs (webhook URL and token, the
 * provider's status URL, its host). Operators keep the raw text
 * (`video_jobs.error_detail`, ops.jobs_failed).
 */
import assert from "node:assert/strict";
import {
  body,
  FUNCTIONS_URL,
  generateRequest,
  type Harness,
  pollRequest,
  startHarness,
  statusRequest,
} from "./fakes/harness.ts";
import { MemoryDb } from "./fakes/memory_db.ts";
import { PROVIDER_CASES, type ProviderCase } from "./fakes/providers.ts";

const COST = 10;

/** Everything in `text` that only the provider or we should know. */
function leaks(h: Harness, text: string): string[] {
  const secrets = [
    h.fake.server.url, // the provider's API and files
    "127.0.0.1",
    FUNCTIONS_URL, // our webhook URLs
    "-webhook?",
    "token=",
    h.fake.rawFailure, // the provider's words
    "gpu-worker-7",
    "received",
    "provider_job_id",
    "provider_status_url",
    "error_detail",
  ];
  return secrets.filter((s) => text.includes(s));
}

async function withCase(
  c: ProviderCase,
  fn: (h: Harness, db: MemoryDb, token: string) => Promise<void>,
) {
  const db = new MemoryDb();
  db.addModel(c.modelId, c.name, COST);
  const h = await startHarness(c, { db, staleAfterS: 1 });
  const userId = crypto.randomUUID();
  db.credits.set(userId, 100);
  try {
    await fn(h, db, h.auth.issue(userId));
  } finally {
    await h.close();
  }
}

for (const c of PROVIDER_CASES) {
  const valid = { model_id: c.modelId, ...c.body };

  Deno.test(`${c.name}: a refused submission answers a code and a safe message, nothing of the provider's`, async () => {
    await withCase(c, async (h, db, token) => {
      for (const mode of ["error422", "error500"] as const) {
        h.fake.submitMode = mode;
        const key = `internals-${mode}`;
        const first = await h.generate(generateRequest(token, valid, key));
        assert.equal(first.status, 502);
        const firstText = await first.text();
        assert.deepEqual(leaks(h, firstText), [], firstText);

        // The job, as the replay and job-status show it to its owner.
        const replay = await h.generate(generateRequest(token, valid, key));
        const replayText = await replay.text();
        const { job } = JSON.parse(replayText);
        const status = await (await h.jobStatus(statusRequest(token, job.id))).text();
        for (const text of [replayText, status]) assert.deepEqual(leaks(h, text), [], text);
        assert.equal(job.error_code, "provider_unavailable");
        assert.match(job.error, /refunded/);

        // The operator still has the provider's words (and what it quoted).
        const stored = (await db.getJob(job.id))!;
        assert.ok(
          stored.error_detail?.includes("gpu-worker-7") ||
            stored.error_detail?.includes("bad input"),
        );
      }
    });
  });

  Deno.test(`${c.name}: a generation the provider failed is shown as a code, its raw reason kept for operators`, async () => {
    await withCase(c, async (h, db, token) => {
      const { job } = await body(await h.generate(generateRequest(token, valid)));
      const stored = (await db.getJob(job.id))!;
      h.fake.finish(stored.provider_job_id!, "failed");
      const before = new Date(Date.now() - 10_000).toISOString();
      db.jobs.set(job.id, { ...stored, created_at: before, updated_at: before });
      const poll = await h.pollJobs(pollRequest());
      assert.equal((await body(poll)).failed, 1);

      const text = await (await h.jobStatus(statusRequest(token, job.id))).text();
      assert.deepEqual(leaks(h, text), [], text);
      const seen = JSON.parse(text).job;
      assert.equal(seen.status, "failed");
      assert.equal(seen.error_code, "generation_failed");
      assert.equal(
        seen.error,
        "The video provider could not make this video. Your credits were refunded.",
      );
      assert.ok((await db.getJob(job.id))!.error_detail?.includes(h.fake.rawFailure));
    });
  });

  if (c.name === "fal" || c.name === "replicate") {
    Deno.test(`${c.name}: a failure delivered by webhook is shown as a code, never its body`, async () => {
      await withCase(c, async (h, db, token) => {
        const { job } = await body(await h.generate(generateRequest(token, valid)));
        const stored = (await db.getJob(job.id))!;
        const res = await h.webhook(await h.fake.webhook!(stored.provider_job_id!, "failed"));
        assert.equal(res.status, 200);
        await res.body?.cancel();
        const text = await (await h.jobStatus(statusRequest(token, job.id))).text();
        assert.deepEqual(leaks(h, text), [], text);
        assert.equal(JSON.parse(text).job.error_code, "generation_failed");
      });
    });
  }
}
