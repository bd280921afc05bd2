import assert from "node:assert/strict";
import { logger, observe, type ObserveDeps, reportError, tag } from "../_shared/observe.ts";

function collect(): { lines: Record<string, unknown>[]; deps: ObserveDeps } {
  const lines: Record<string, unknown>[] = [];
  let ids = 0;
  return {
    lines,
    deps: {
      sink: (line) => lines.push(JSON.parse(line)),
      now: () => new Date("2026-01-01T00:00:00Z"),
      newId: () => `generated-${++ids}`,
    },
  };
}

Deno.test("observe: the caller's x-request-id is kept, echoed and on every log line", async () => {
  const { lines, deps } = collect();
  const fn = observe("demo", () => {
    logger().info("inside", { step: 1 });
    return Promise.resolve(Response.json({ ok: true }));
  }, deps);
  const res = await fn(
    new Request("http://localhost/demo", { headers: { "x-request-id": "req-abc.1" } }),
  );
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-request-id"), "req-abc.1");
  assert.deepEqual(await res.json(), { ok: true });
  assert.equal(lines.length, 2);
  for (const line of lines) {
    assert.equal(line.request_id, "req-abc.1");
    assert.equal(line.fn, "demo");
  }
  assert.equal(lines[0].msg, "inside");
  assert.equal(lines[0].step, 1);
  assert.equal(lines[1].msg, "request");
  assert.equal(lines[1].status, 200);
});

Deno.test("observe: a missing or malformed request id is replaced by a new one", async () => {
  const { deps } = collect();
  const fn = observe("demo", () => Promise.resolve(new Response("ok")), deps);
  const a = await fn(new Request("http://localhost/demo"));
  const b = await fn(
    new Request("http://localhost/demo", { headers: { "x-request-id": "bad id <script>" } }),
  );
  assert.equal(a.headers.get("x-request-id"), "generated-1");
  assert.equal(b.headers.get("x-request-id"), "generated-2");
  await a.body?.cancel();
  await b.body?.cancel();
});

Deno.test("observe: an unhandled error becomes 500 internal_error and is logged without secrets", async () => {
  const { lines, deps } = collect();
  const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLXNlY3JldA";
  const fn = observe("boom", () => {
    throw new Error(`cannot use Bearer ${token}`);
  }, deps);
  const res = await fn(
    new Request("http://localhost/boom", {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    }),
  );
  assert.equal(res.status, 500);
  const body = await res.json();
  assert.equal(body.error.code, "internal_error");
  assert.match(body.error.message, /generated-1/);
  assert.ok(!JSON.stringify(body).includes(token));
  const error = lines.find((l) => l.level === "error");
  assert.ok(error, "an error line is written");
  assert.match(JSON.stringify(error), /cannot use Bearer \[redacted\]/);
  assert.ok(!lines.some((l) => JSON.stringify(l).includes(token)), "the token is in no log line");
});

Deno.test("observe: tags stay with their own request when requests interleave", async () => {
  const { lines, deps } = collect();
  const fn = observe("jobs", async (req) => {
    const job = new URL(req.url).searchParams.get("job")!;
    tag("job_id", job);
    // Let the other request run between tagging and logging.
    await new Promise((r) => setTimeout(r, job === "a" ? 20 : 1));
    logger().info("done");
    return new Response(job);
  }, deps);
  const [a, b] = await Promise.all([
    fn(new Request("http://localhost/jobs?job=a")),
    fn(new Request("http://localhost/jobs?job=b")),
  ]);
  assert.equal(await a.text(), "a");
  assert.equal(await b.text(), "b");
  const done = lines.filter((l) => l.msg === "done");
  assert.equal(done.length, 2);
  for (const line of done) {
    assert.equal(line.request_id, line.job_id === "a" ? "generated-1" : "generated-2");
  }
});

Deno.test("observe: secret-named tags and fields are redacted", async () => {
  const { lines, deps } = collect();
  const fn = observe("demo", () => {
    tag("access_token", "abc123");
    logger().info("purchase", { signed_transaction: "header.payload.sig", product: "p1" });
    return Promise.resolve(new Response("ok"));
  }, deps);
  await (await fn(new Request("http://localhost/demo"))).body?.cancel();
  const line = lines.find((l) => l.msg === "purchase")!;
  assert.equal(line.signed_transaction, "[redacted]");
  assert.equal(line.access_token, "[redacted]");
  assert.equal(line.product, "p1");
});

Deno.test("observe: responses with immutable headers still get the request id", async () => {
  const { deps } = collect();
  const immutable = Response.redirect("http://localhost/elsewhere", 302);
  const fn = observe("demo", () => Promise.resolve(immutable), deps);
  const res = await fn(new Request("http://localhost/demo"));
  assert.equal(res.status, 302);
  assert.equal(res.headers.get("location"), "http://localhost/elsewhere");
  assert.equal(res.headers.get("x-request-id"), "generated-1");
});

Deno.test("logger(): outside a request it still writes JSON", () => {
  const original = console.log;
  const seen: string[] = [];
  console.log = (line: string) => seen.push(line);
  try {
    logger().warn("no request", { n: 1 });
  } finally {
    console.log = original;
  }
  assert.equal(seen.length, 1);
  const line = JSON.parse(seen[0]);
  assert.equal(line.level, "warn");
  assert.equal(line.n, 1);
});

Deno.test("reportError(): an error after the response is logged with the request's id and tags", async () => {
  const { lines, deps } = collect();
  let background: Promise<void> | undefined;
  const fn = observe("generate-video", () => {
    tag("job_id", "job-42");
    background = (async () => {
      await new Promise((r) => setTimeout(r, 5));
      reportError(new Error("submit failed"), "submit to provider failed");
    })();
    return Promise.resolve(new Response("accepted", { status: 202 }));
  }, deps);
  const res = await fn(new Request("http://localhost/generate-video", { method: "POST" }));
  assert.equal(await res.text(), "accepted");
  await background;
  const line = lines.find((l) => l.msg === "submit to provider failed");
  assert.ok(line, "the error is logged");
  assert.equal(line.level, "error");
  assert.equal(line.request_id, "generated-1");
  assert.equal(line.job_id, "job-42");
  assert.match(JSON.stringify(line.error), /submit failed/);
});

Deno.test("logs: an error's name, code and message are kept", async () => {
  const { lines, deps } = collect();
  class CodedError extends Error {
    code = "insufficient_credits";
  }
  const fn = observe("demo", () => {
    logger().warn("refused", { error: new CodedError("need 5, have 2") });
    return Promise.resolve(new Response("ok"));
  }, deps);
  await (await fn(new Request("http://localhost/demo"))).body?.cancel();
  const error = lines.find((l) => l.msg === "refused")?.error as Record<string, unknown>;
  assert.equal(error.code, "insufficient_credits");
  assert.equal(error.message, "need 5, have 2");
});
