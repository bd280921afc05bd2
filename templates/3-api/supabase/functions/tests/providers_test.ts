/** Adapter details that the endpoint tests do not pin down: retry safety, URLs, failures. */
import assert from "node:assert/strict";
import { submitWithRetry } from "../_shared/jobs.ts";
import { type Provider, ProviderError, providerFetch } from "../_shared/providers/types.ts";
import { startServer } from "./fakes/server.ts";

const settings = { timeoutMs: 300, attempts: 3, backoffMs: 1 };

Deno.test("providerFetch: only failures that prove nothing was accepted are retryable", async () => {
  const statuses = [500, 503, 429, 422, 401];
  const server = startServer((req) => {
    if (req.path === "/hang") return server.closing.then(() => new Response("late"));
    return Response.json({ detail: "x" }, { status: Number(req.path.slice(1)) });
  });
  const closed = startServer(() => new Response("never"));
  await closed.close();
  try {
    const retryable: Record<string, boolean> = {};
    for (const status of statuses) {
      const error = await providerFetch(fetch, "p", `${server.url}/${status}`, {}).catch((e) => e);
      assert.ok(error instanceof ProviderError);
      assert.equal(error.status, status);
      retryable[status] = error.retryable;
    }
    assert.deepEqual(retryable, { 500: false, 503: true, 429: true, 422: false, 401: false });

    const refused = await providerFetch(fetch, "p", `${closed.url}/`, {}).catch((e) => e);
    assert.equal(refused.retryable, true, "connection refused: the request never left");

    const timedOut = await providerFetch(fetch, "p", `${server.url}/hang`, {
      signal: AbortSignal.timeout(100),
    }).catch((e) => e);
    assert.equal(timedOut.retryable, false, "a timeout may follow an accepted request");
    assert.match(timedOut.message, /timed out/);
  } finally {
    await server.close();
  }
});

Deno.test("submitWithRetry: retries refused connections, never a non-retryable failure", async () => {
  let calls = 0;
  const flaky = (failures: number, retryable: boolean): Provider => ({
    name: "flaky",
    hasWebhooks: false,
    outputHosts: [],
    spec: () => ({ image: "optional" }),
    submit() {
      calls++;
      if (calls <= failures) return Promise.reject(new ProviderError("nope", null, retryable));
      return Promise.resolve({ id: `job-${calls}` });
    },
    status: () => Promise.resolve({ state: "pending" }),
  });
  const input = { prompt: "p" };

  calls = 0;
  assert.deepEqual(await submitWithRetry(flaky(2, true), "m", input, undefined, settings), {
    id: "job-3",
  });
  calls = 0;
  await assert.rejects(submitWithRetry(flaky(3, true), "m", input, undefined, settings));
  assert.equal(calls, 3, "gives up after the configured attempts");
  calls = 0;
  await assert.rejects(submitWithRetry(flaky(1, false), "m", input, undefined, settings));
  assert.equal(calls, 1);
});
