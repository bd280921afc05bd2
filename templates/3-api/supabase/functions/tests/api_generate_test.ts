/** POST /generate-video against each chosen provider's fake API on 127.0.0.1. */
import assert from "node:assert/strict";
import { body, generateRequest, type Harness, startHarness } from "./fakes/harness.ts";
import { MemoryDb } from "./fakes/memory_db.ts";
import { PROVIDER_CASES, type ProviderCase } from "./fakes/providers.ts";

const COST = 10;

async function withHarness(
  c: ProviderCase,
  fn: (h: Harness, db: MemoryDb, user: { id: string; token: string }) => Promise<void>,
  options: Parameters<typeof startHarness>[1] = {},
) {
  const db = new MemoryDb();
  db.addModel(c.modelId, c.name, COST);
  const h = await startHarness(c, { db, ...options });
  try {
    const id = crypto.randomUUID();
    db.credits.set(id, 25);
    await fn(h, db, { id, token: h.auth.issue(id) });
  } finally {
    await h.close();
  }
}

for (const c of PROVIDER_CASES) {
  const valid = { model_id: c.modelId, ...c.body };

  Deno.test(`${c.name}: a new request charges once, submits once and answers 202`, async () => {
    await withHarness(c, async (h, db, user) => {
      const res = await h.generate(generateRequest(user.token, valid, "key-new-0001"));
      const { job } = await body(res);
      assert.equal(res.status, 202);
      assert.equal(job.status, "submitted");
      assert.equal(job.model_id, c.modelId);
      assert.equal(job.credits_charged, COST);
      assert.equal(db.credits.get(user.id), 25 - COST);
      assert.equal(h.fake.submissions(), 1);
      const stored = await db.getJob(job.id);
      assert.ok(stored?.provider_job_id, "the provider's job id is kept");
      if (h.fake.provider.hasWebhooks) {
        const sent = h.fake.server.requests.find((r) => r.method === "POST")!;
        const hook = sent.search.get("fal_webhook") ?? JSON.parse(sent.body).webhook;
        // Our job id and a token only the server can mint (HMAC-SHA256, base64url).
        assert.match(
          hook,
          new RegExp(
            `^https://project\\.functions\\.test/functions/v1/${c.name}-webhook\\?job=${job.id}&token=[\\w-]{43}$`,
          ),
        );
      }
    });
  });

  Deno.test(`${c.name}: a replay answers 200 with the same job, charging and submitting nothing`, async () => {
    await withHarness(c, async (h, db, user) => {
      const first = await body(
        await h.generate(generateRequest(user.token, valid, "key-replay-01")),
      );
      const res = await h.generate(generateRequest(user.token, valid, "key-replay-01"));
      const { job } = await body(res);
      assert.equal(res.status, 200);
      assert.equal(job.id, first.job.id);
      assert.equal(db.credits.get(user.id), 25 - COST);
      assert.equal(h.fake.submissions(), 1);
    });
  });

  Deno.test(`${c.name}: concurrent requests with one key submit once`, async () => {
    await withHarness(c, async (h, db, user) => {
      const answers = await Promise.all(
        Array.from(
          { length: 5 },
          () => h.generate(generateRequest(user.token, valid, "key-race-001")),
        ),
      );
      const statuses = answers.map((r) => r.status).sort();
      const ids = new Set((await Promise.all(answers.map(body))).map((b) => b.job.id));
      assert.deepEqual(statuses, [200, 200, 200, 200, 202]);
      assert.equal(ids.size, 1);
      assert.equal(h.fake.submissions(), 1);
      assert.equal(db.credits.get(user.id), 25 - COST);
    });
  });

  Deno.test(`${c.name}: the same key with another input is 409 idempotency_conflict`, async () => {
    await withHarness(c, async (h, _db, user) => {
      await body(await h.generate(generateRequest(user.token, valid, "key-conflict")));
      const res = await h.generate(
        generateRequest(user.token, { ...valid, prompt: "a dog instead" }, "key-conflict"),
      );
      assert.equal(res.status, 409);
      assert.equal((await body(res)).error.code, "idempotency_conflict");
    });
  });

  Deno.test(`${c.name}: request errors are answered before any charge`, async () => {
    await withHarness(c, async (h, db, user) => {
      const cases: [Request, number, string][] = [
        [generateRequest(null, valid), 401, "unauthorized"],
        [generateRequest("forged-token", valid), 401, "unauthorized"],
        [generateRequest(user.token, valid, null), 400, "invalid_request"],
        [generateRequest(user.token, valid, "short"), 400, "invalid_request"],
        [generateRequest(user.token, valid, "x".repeat(129)), 400, "invalid_request"],
        [generateRequest(user.token, "{not json"), 400, "invalid_request"],
        [generateRequest(user.token, { ...valid, prompt: "  " }), 400, "invalid_request"],
        [generateRequest(user.token, { ...valid, duration: 7 }), 400, "invalid_request"],
        [
          generateRequest(user.token, { ...valid, image_url: "file:///etc/passwd" }),
          400,
          "invalid_request",
        ],
        [
          generateRequest(user.token, { ...valid, model_id: "no/such-model" }),
          404,
          "model_not_found",
        ],
      ];
      for (const [req, status, code] of cases) {
        const res = await h.generate(req);
        assert.equal(res.status, status, `${code} expected`);
        assert.equal((await body(res)).error.code, code);
      }
      assert.equal(db.credits.get(user.id), 25);
      assert.equal(h.fake.submissions(), 0);
    });
  });

  Deno.test(`${c.name}: a catalog model marked requires_image rejects a text-only request`, async () => {
    const db = new MemoryDb();
    db.addModel("catalog/new-i2v-model", c.name, COST, true);
    const h = await startHarness(c, { db });
    try {
      const user = crypto.randomUUID();
      db.credits.set(user, 25);
      const res = await h.generate(
        generateRequest(h.auth.issue(user), { model_id: "catalog/new-i2v-model", prompt: "p" }),
      );
      assert.equal(res.status, 400);
      assert.match((await body(res)).error.message, /image_url/);
      assert.equal(db.credits.get(user), 25);
    } finally {
      await h.close();
    }
  });

  Deno.test(`${c.name}: too few credits is 402, too many active jobs is 429`, async () => {
    await withHarness(c, async (h, db, user) => {
      db.credits.set(user.id, COST - 1);
      const poor = await h.generate(generateRequest(user.token, valid));
      assert.equal(poor.status, 402);
      assert.equal((await body(poor)).error.code, "insufficient_credits");

      db.credits.set(user.id, 100);
      db.maxActiveJobs = 2;
      for (let i = 0; i < 2; i++) {
        assert.equal((await h.generate(generateRequest(user.token, valid))).status, 202);
      }
      const busy = await h.generate(generateRequest(user.token, valid));
      assert.equal(busy.status, 429);
      assert.equal((await body(busy)).error.code, "too_many_active_jobs");
      assert.equal(db.credits.get(user.id), 100 - 2 * COST);
    });
  });

  for (
    const [mode, attempts] of [["error500", 1], ["error422", 1], ["busy503", 3], [
      "hang",
      1,
    ]] as const
  ) {
    Deno.test(`${c.name}: provider ${mode} at submission → 502, job failed, refunded once`, async () => {
      await withHarness(c, async (h, db, user) => {
        h.fake.submitMode = mode;
        const res = await h.generate(generateRequest(user.token, valid));
        assert.equal(res.status, 502);
        assert.equal((await body(res)).error.code, "provider_unavailable");
        assert.equal(h.fake.submissions(), attempts, "retried only when nothing was accepted");
        const [job] = db.jobs.values();
        assert.equal(job.status, "failed");
        assert.equal(job.error_code, "provider_unavailable");
        assert.equal(db.credits.get(user.id), 25);
        const refunds = db.ledger.filter((l) => l.reason === "refund" && l.jobId === job.id);
        assert.equal(refunds.length, 1);
      }, { submitTimeoutMs: 300 });
    });
  }

  Deno.test(`${c.name}: connection refused is retried, then 502 and refunded`, async () => {
    const refused = await c.start();
    await refused.close();
    // The same adapter, but its server is gone: every connection is refused.
    await withHarness(c, async (h, db, user) => {
      const res = await h.generate(generateRequest(user.token, valid));
      assert.equal(res.status, 502);
      assert.equal(db.credits.get(user.id), 25);
      assert.equal([...db.jobs.values()][0].status, "failed");
    }, { provider: refused.provider });
  });

  Deno.test(`${c.name}: a refund that cannot be written alerts the operator`, async () => {
    await withHarness(c, async (h, db, user) => {
      h.fake.submitMode = "error500";
      db.failRefunds = true;
      await assert.rejects(() => h.generate(generateRequest(user.token, valid)));
      assert.ok(h.alerts.keys().includes("refund_failed"));
    });
  });

  Deno.test(`${c.name}: repeated submission failures alert once the rate crosses the threshold`, async () => {
    await withHarness(c, async (h, db, user) => {
      db.credits.set(user.id, 1000);
      h.fake.submitMode = "error500";
      for (let i = 0; i < 4; i++) await body(await h.generate(generateRequest(user.token, valid)));
      assert.ok(!h.alerts.keys().some((k) => k.startsWith("provider_failure_rate")));
      await body(await h.generate(generateRequest(user.token, valid)));
      assert.ok(h.alerts.keys().includes(`provider_failure_rate:${c.name}`));
    });
  });
}
