/**
 * The webhooks attacked as a user of the app would: they know their own job
 * id (the generate-video answer, or a REST read of their jobs) and point a
 * delivery from their OWN provider account at our webhook URL, hoping that
 * an ERROR delivery refunds a job we still pay the provider for, or that an
 * OK delivery makes the server download a URL of their choice. Nothing they
 * send may change a job, refund anything, or reach their URL.
 */
import assert from "node:assert/strict";
import { body, FUNCTIONS_URL, generateRequest, startHarness } from "./fakes/harness.ts";
import { type Harness } from "./fakes/harness.ts";
import { MemoryDb } from "./fakes/memory_db.ts";
import { PROVIDER_CASES, type ProviderCase } from "./fakes/providers.ts";
import { startServer } from "./fakes/server.ts";

const COST = 10;
const START = 100;

interface Ctx {
  h: Harness;
  db: MemoryDb;
  userId: string;
  /** The attacker's own server: a download from it must never happen. */
  attacker: ReturnType<typeof startServer>;
  /** A charged job, submitted to the provider (its id is known to its owner). */
  submittedJob(): Promise<{ id: string; providerJobId: string }>;
  /** A charged job whose submission is not recorded yet (no provider id). */
  queuedJob(): Promise<{ id: string }>;
}

async function attack(c: ProviderCase, fn: (ctx: Ctx) => Promise<void>) {
  const db = new MemoryDb();
  db.addModel(c.modelId, c.name, COST);
  const h = await startHarness(c, { db });
  const attacker = startServer(() => new Response("exfiltrated"));
  const userId = crypto.randomUUID();
  db.credits.set(userId, START);
  const token = h.auth.issue(userId);
  let n = 0;
  try {
    await fn({
      h,
      db,
      userId,
      attacker,
      async submittedJob() {
        const { job } = await body(
          await h.generate(generateRequest(token, { model_id: c.modelId, ...c.body })),
        );
        return { id: job.id, providerJobId: (await db.getJob(job.id))!.provider_job_id! };
      },
      async queuedJob() {
        const job = await db.createVideoJob({
          userId,
          modelId: c.modelId,
          idempotencyKey: `queued-job-${n++}`,
          input: { prompt: "p" },
        });
        return { id: job.id };
      },
    });
  } finally {
    await attacker.close();
    await h.close();
  }
}

/** Nothing happened to the job, the user's credits, Storage or the attacker's server. */
async function unchanged(ctx: Ctx, jobId: string, status: string, charged: number) {
  assert.equal((await ctx.db.getJob(jobId))!.status, status, "the job is unchanged");
  assert.equal(
    ctx.db.ledger.filter((l) => l.reason === "refund").length,
    0,
    "nothing is refunded",
  );
  assert.equal(ctx.db.credits.get(ctx.userId), START - charged * COST, "no credits given back");
  assert.equal(ctx.h.storage.objects.size, 0, "nothing is stored");
  assert.equal(ctx.attacker.requests.length, 0, "the attacker's URL is never fetched");
}

const hooked = PROVIDER_CASES.filter((p) => p.name === "fal" || p.name === "replicate");

/** What the fal fake (fakes/fal.ts, generated with fal) adds: any delivery, as fal signs it. */
type FalFake = Harness["fake"] & {
  deliver(delivery: {
    url: string;
    requestId: string;
    userId?: string;
    key?: "current" | "other" | "untrusted";
    status: "OK" | "ERROR";
    videoUrl?: string;
  }): Promise<Request>;
};

const fal = PROVIDER_CASES.find((p) => p.name === "fal");
if (fal) {
  // The attacker's own fal account: fal signs its deliveries with the same
  // key set as ours (either entry), for the attacker's fal user id.
  for (const key of ["current", "other"] as const) {
    for (const status of ["ERROR", "OK"] as const) {
      Deno.test(`fal-webhook: a ${status} delivery from another fal account (key "${key}") to a user's own job changes nothing`, async () => {
        await attack(fal, async (ctx) => {
          const fake = ctx.h.fake as FalFake;
          const queued = await ctx.queuedJob();
          const submitted = await ctx.submittedJob();
          const answers: Response[] = [];
          for (const job of [queued, submitted]) {
            answers.push(
              await ctx.h.webhook(
                await fake.deliver({
                  // What the attacker can write: our webhook URL and their job id.
                  url: `${FUNCTIONS_URL}/fal-webhook?job=${job.id}`,
                  requestId: crypto.randomUUID(), // their own fal request
                  userId: "fal-user-attacker",
                  key,
                  status,
                  videoUrl: `${ctx.attacker.url}/metadata.mp4`,
                }),
              ),
            );
          }
          // First the damage: none.
          await unchanged(ctx, queued.id, "queued", 2);
          assert.equal((await ctx.db.getJob(submitted.id))!.status, "submitted");
          for (const res of answers) {
            assert.equal(res.status, 401);
            assert.equal((await body(res)).error.code, "invalid_signature");
          }
        });
      });
    }
  }

  Deno.test("fal-webhook: our job's own token does not make another account's delivery valid", async () => {
    await attack(fal, async (ctx) => {
      const fake = ctx.h.fake as FalFake;
      const job = await ctx.submittedJob();
      // Even with the real callback URL (token included) the signer must be us.
      const res = await ctx.h.webhook(
        await fake.deliver({
          url: fake.callbackOf!(job.providerJobId)!,
          requestId: job.providerJobId,
          userId: "fal-user-attacker",
          status: "ERROR",
        }),
      );
      await unchanged(ctx, job.id, "submitted", 1);
      assert.equal(res.status, 401);
      await res.body?.cancel();
      assert.ok(ctx.h.alerts.keys().includes("forged_request:fal-webhook"));
    });
  });
}

for (const c of hooked) {
  Deno.test(`${c.name}-webhook: a missing or forged job token is refused, whoever signed`, async () => {
    await attack(c, async (ctx) => {
      const job = await ctx.submittedJob();
      const other = await ctx.submittedJob();
      const tokenOfOther = new URL(await ctx.h.tokens.webhookUrl(FUNCTIONS_URL, c.name, other.id))
        .searchParams.get("token");
      for (
        const query of [
          `job=${job.id}`,
          `job=${job.id}&token=`,
          `job=${job.id}&token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`,
          `job=${job.id}&token=${tokenOfOther}`,
          `token=${tokenOfOther}`,
        ]
      ) {
        // Signed for our account: only the token is wrong.
        const res = await ctx.h.webhook(
          await ctx.h.fake.webhook!(job.providerJobId, "failed", {
            url: `${FUNCTIONS_URL}/${c.name}-webhook?${query}`,
          }),
        );
        await unchanged(ctx, job.id, "submitted", 2);
        assert.equal(res.status, 401, query);
        assert.equal((await body(res)).error.code, "invalid_signature");
      }
    });
  });

  Deno.test(`${c.name}-webhook: a job without provider id is never settled by a webhook (409)`, async () => {
    await attack(c, async (ctx) => {
      const job = await ctx.queuedJob();
      // A valid token and signature, for a provider job we never recorded.
      const url = await ctx.h.tokens.webhookUrl(FUNCTIONS_URL, c.name, job.id);
      for (const result of ["failed", "succeeded"] as const) {
        const res = await ctx.h.webhook(
          await ctx.h.fake.webhook!(`unrecorded-${result}`, result, {
            url,
            videoUrl: `${ctx.attacker.url}/metadata.mp4`,
          }),
        );
        await unchanged(ctx, job.id, "queued", 1);
        assert.equal(res.status, 409, "the provider is asked to deliver again later");
        assert.equal((await body(res)).error.code, "job_not_submitted");
      }
      assert.equal((await ctx.db.getJob(job.id))!.provider_job_id, null, "nothing is linked");
    });
  });

  Deno.test(`${c.name}-webhook: a delivery about another provider job than the job's changes nothing`, async () => {
    await attack(c, async (ctx) => {
      const job = await ctx.submittedJob();
      const url = ctx.h.fake.callbackOf!(job.providerJobId)!;
      for (const result of ["failed", "succeeded"] as const) {
        const res = await ctx.h.webhook(
          await ctx.h.fake.webhook!(`someone-elses-${result}`, result, {
            url,
            videoUrl: `${ctx.attacker.url}/metadata.mp4`,
          }),
        );
        await unchanged(ctx, job.id, "submitted", 1);
        assert.equal(res.status, 200);
        assert.equal((await body(res)).ignored, "not this job's provider request");
      }
    });
  });
}

for (const c of hooked) {
  Deno.test(`${c.name}: without WEBHOOK_TOKEN_SECRET nothing is charged or submitted, and no delivery is accepted`, async () => {
    const db = new MemoryDb();
    db.addModel(c.modelId, c.name, COST);
    const h = await startHarness(c, { db, webhookSecret: "" });
    try {
      const userId = crypto.randomUUID();
      db.credits.set(userId, START);
      // A configuration error (serve() answers it 500 internal_error), before any charge.
      await assert.rejects(
        h.generate(generateRequest(h.auth.issue(userId), { model_id: c.modelId, ...c.body })),
        /WEBHOOK_TOKEN_SECRET/,
      );
      assert.equal(db.credits.get(userId), START);
      assert.equal(db.jobs.size, 0);
      assert.equal(h.fake.submissions(), 0);

      const hook = await h.webhook(
        await h.fake.webhook!("any-request", "failed", {
          url: `${FUNCTIONS_URL}/${c.name}-webhook?job=${crypto.randomUUID()}&token=`,
        }),
      );
      assert.equal(hook.status, 401);
      await hook.body?.cancel();
    } finally {
      await h.close();
    }
  });
}
