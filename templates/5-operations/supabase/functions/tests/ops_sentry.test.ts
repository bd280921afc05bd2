/**
 * Sentry through observe(): the real SDK sends real envelopes to a fake
 * ingest on 127.0.0.1 (the DSN host is the ingest endpoint).
 */
import assert from "node:assert/strict";
import { errorResponse } from "../_shared/http.ts";
import { observe, type ObserveDeps, reportError, tag } from "../_shared/observe.ts";
import { type Failure, sentryFromEnv, sentryReporter } from "../_shared/sentry.ts";

interface SentryEvent {
  message?: string;
  level?: string;
  tags?: Record<string, string>;
  user?: { id?: string };
  exception?: { values?: { type?: string; value?: string }[] };
}

/** The event items of one envelope (newline-delimited JSON: header, then item pairs). */
function eventsOf(envelope: string): SentryEvent[] {
  const lines = envelope.split("\n").filter((l) => l.trim() !== "");
  const events: SentryEvent[] = [];
  for (let i = 1; i + 1 < lines.length; i += 2) {
    const header = JSON.parse(lines[i]) as { type?: string };
    if (header.type === "event") events.push(JSON.parse(lines[i + 1]));
  }
  return events;
}

async function waitFor(done: () => boolean, ms = 3_000): Promise<void> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

const TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1LTEyMyJ9.c2VjcmV0LXNpZ25hdHVyZQ";
const USER = "9f1c0a52-5a43-4d3b-9f39-3f1f6a3c7e11";
const JOB = "0b7d1e1e-8a55-4c8e-a1a5-3b7cf2a0c9d4";

Deno.test("sentry: errors and 5xx reach the ingest with tags and without secrets", async (t) => {
  const envelopes: string[] = [];
  const ingest = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      envelopes.push(await req.text());
      return Response.json({ id: "0" });
    },
  );
  try {
    const dsn = `http://publickey@127.0.0.1:${ingest.addr.port}/1`;
    const deps: ObserveDeps = {
      sink: () => {},
      now: () => new Date(),
      newId: () => crypto.randomUUID(),
      reporter: sentryReporter({ dsn, environment: "test" }),
    };
    const request = (body: unknown) =>
      new Request("http://localhost/generate-video", {
        method: "POST",
        headers: {
          authorization: `Bearer ${TOKEN}`,
          "x-request-id": "req-sentry-1",
          "content-type": "application/json",
        },
        body: JSON.stringify(body),
      });

    await t.step("an unhandled error is captured with function, job and user", async () => {
      const fn = observe("generate-video", () => {
        tag("user_id", USER);
        tag("job_id", JOB);
        throw new TypeError(`provider refused the call made with Bearer ${TOKEN}`);
      }, deps);
      const res = await fn(request({ receipt: "MIIT-secret-receipt" }));
      assert.equal(res.status, 500);
      await res.body?.cancel();
      assert.equal(envelopes.length, 1, "flushed before the response");
      const [event] = eventsOf(envelopes[0]);
      assert.ok(event, "the envelope holds an event");
      assert.equal(event.tags?.function, "generate-video");
      assert.equal(event.tags?.job_id, JOB);
      assert.equal(event.tags?.user_id, USER);
      assert.equal(event.tags?.request_id, "req-sentry-1");
      assert.equal(event.user?.id, USER);
      assert.equal(event.exception?.values?.[0]?.type, "TypeError");
      assert.match(event.exception?.values?.[0]?.value ?? "", /Bearer \[redacted\]/);
      for (const secret of [TOKEN, "MIIT-secret-receipt"]) {
        assert.ok(!envelopes[0].includes(secret), `the envelope does not contain ${secret}`);
      }
      assert.ok(!/authorization/i.test(envelopes[0]), "no Authorization header in the envelope");
    });

    await t.step("a handled 5xx is captured with its error code", async () => {
      const fn = observe("generate-video", () => {
        tag("job_id", JOB);
        return Promise.resolve(errorResponse(502, "provider_unavailable", "fal is down"));
      }, deps);
      const res = await fn(request({}));
      assert.equal(res.status, 502);
      assert.equal((await res.json()).error.code, "provider_unavailable", "body left intact");
      assert.equal(envelopes.length, 2);
      const [event] = eventsOf(envelopes[1]);
      assert.equal(event.message, "generate-video answered 502 provider_unavailable");
      assert.equal(event.tags?.error_code, "provider_unavailable");
      assert.equal(event.tags?.job_id, JOB);
      assert.equal(event.tags?.user_id, undefined, "no tag leaks from the previous request");
    });

    await t.step("4xx answers are not errors and send nothing", async () => {
      const fn = observe(
        "generate-video",
        () => Promise.resolve(errorResponse(402, "insufficient_credits", "need 5, have 2")),
        deps,
      );
      const res = await fn(request({}));
      assert.equal(res.status, 402);
      await res.body?.cancel();
      assert.equal(envelopes.length, 2);
    });

    await t.step("reportError() after the response carries the request's tags", async () => {
      let background: Promise<void> | undefined;
      const fn = observe("generate-video", () => {
        tag("job_id", JOB);
        background = (async () => {
          await new Promise((r) => setTimeout(r, 5));
          try {
            throw new Error("provider submit failed");
          } catch (error) {
            reportError(error);
          }
        })();
        return Promise.resolve(Response.json({ accepted: true }, { status: 202 }));
      }, deps);
      const res = await fn(request({}));
      assert.equal(res.status, 202);
      await res.body?.cancel();
      await background;
      await waitFor(() => envelopes.length === 3);
      const [event] = eventsOf(envelopes[2]);
      assert.equal(event.exception?.values?.[0]?.value, "provider submit failed");
      assert.equal(event.tags?.job_id, JOB);
      assert.equal(event.tags?.function, "generate-video");
      assert.equal(event.tags?.status, undefined, "no response status for background work");
    });
  } finally {
    await ingest.shutdown();
  }
});

Deno.test("sentry: off when SENTRY_DSN is not set", () => {
  const saved = Deno.env.get("SENTRY_DSN");
  Deno.env.delete("SENTRY_DSN");
  try {
    assert.equal(sentryFromEnv(), undefined);
  } finally {
    if (saved !== undefined) Deno.env.set("SENTRY_DSN", saved);
  }
});

Deno.test("sentry: with waitUntil the flush runs after the response; a broken reporter changes nothing", async () => {
  const captured: Failure[] = [];
  const background: Promise<unknown>[] = [];
  let flushes = 0;
  const fn = (capture: (f: Failure) => void) =>
    observe("job-status", () => Promise.reject(new Error("boom")), {
      sink: () => {},
      now: () => new Date(),
      newId: () => "r-1",
      waitUntil: (task) => background.push(task),
      reporter: {
        capture,
        flush: () => {
          flushes++;
          return new Promise<boolean>(() => {}); // never settles: must not hold the response
        },
      },
    });
  const res = await fn((f) => captured.push(f))(new Request("http://localhost/job-status"));
  assert.equal(res.status, 500);
  await res.body?.cancel();
  assert.equal(captured.length, 1);
  assert.equal(captured[0].functionName, "job-status");
  assert.equal(captured[0].errorCode, "internal_error");
  assert.equal(flushes, 1);
  assert.equal(background.length, 1, "the flush was handed to waitUntil");

  const broken = await fn(() => {
    throw new Error("sentry is down");
  })(new Request("http://localhost/job-status"));
  assert.equal(broken.status, 500);
  assert.equal((await broken.json()).error.code, "internal_error");
});
