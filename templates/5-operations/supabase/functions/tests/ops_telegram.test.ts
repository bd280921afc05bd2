/**
 * Telegram alerts against a fake Bot API on 127.0.0.1. Sleeps go through an
 * injected function, so batching windows and retry_after cost no real time.
 */
import assert from "node:assert/strict";
import {
  alertOf,
  alertsFromEnv,
  formatAlert,
  noAlerts,
  telegramAlerts,
  type TelegramOptions,
} from "../_shared/alerts.ts";
import { observe } from "../_shared/observe.ts";

interface Sent {
  path: string;
  body: { chat_id: string; text: string; parse_mode: string };
}

/** A fake Bot API answering from `script` (status, body) in order, then 200. */
function fakeTelegram(script: { status: number; body: unknown }[] = []) {
  const sent: Sent[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      sent.push({ path: new URL(req.url).pathname, body: await req.json() });
      const next = script.shift() ?? { status: 200, body: { ok: true, result: {} } };
      return Response.json(next.body, { status: next.status });
    },
  );
  return { sent, server, url: `http://127.0.0.1:${server.addr.port}` };
}

function options(apiUrl: string, overrides: Partial<TelegramOptions> = {}) {
  const sleeps: number[] = [];
  const warnings: unknown[] = [];
  const opts: TelegramOptions = {
    token: "123456:TEST-token",
    chatId: "-1001",
    apiUrl,
    project: "my-app",
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    log: () => ({
      debug() {},
      info() {},
      warn: (msg, fields) => warnings.push({ msg, ...fields }),
      error() {},
    }),
    ...overrides,
  };
  return { opts, sleeps, warnings };
}

Deno.test("telegram: a burst of 50 identical alerts sends ONE message with the count", async () => {
  const tg = fakeTelegram();
  try {
    const { opts, sleeps } = options(tg.url);
    const alerts = telegramAlerts(opts);
    for (let i = 0; i < 50; i++) alerts.alert(...alertOf.refundFailed("job-1", "timeout"));
    await alerts.settled();
    assert.equal(tg.sent.length, 1);
    const [message] = tg.sent;
    assert.equal(message.path, "/bot123456:TEST-token/sendMessage");
    assert.equal(message.body.chat_id, "-1001");
    assert.equal(message.body.parse_mode, "HTML");
    assert.match(message.body.text, /<i>×50<\/i>$/);
    assert.match(message.body.text, /Refund failed for job job-1: timeout/);
    assert.deepEqual(sleeps, [2000], "one batching wait, no real time spent");
  } finally {
    await tg.server.shutdown();
  }
});

Deno.test("telegram: different keys are separate messages; text is HTML-escaped", async () => {
  const tg = fakeTelegram();
  try {
    const alerts = telegramAlerts(options(tg.url).opts);
    alerts.alert("a", "fal <b>down</b> & out");
    alerts.alert("b", "second");
    await alerts.settled();
    assert.equal(tg.sent.length, 2);
    const a = tg.sent.find((s) => s.body.text.includes("<code>a</code>"))!;
    assert.match(a.body.text, /fal &lt;b&gt;down&lt;\/b&gt; &amp; out/);
    assert.ok(!a.body.text.includes("×"), "a single alert has no count");
  } finally {
    await tg.server.shutdown();
  }
});

Deno.test("telegram: after a message, the same key waits for the end of its window", async () => {
  const tg = fakeTelegram();
  try {
    let now = 1_000_000;
    const { opts, sleeps } = options(tg.url, { now: () => now, windowMs: 60_000 });
    const alerts = telegramAlerts(opts);
    alerts.alert("jobs_reaped", "3 stuck jobs");
    await alerts.settled();
    now += 10_000;
    alerts.alert("jobs_reaped", "1 stuck job");
    alerts.alert("jobs_reaped", "2 stuck jobs");
    await alerts.settled();
    assert.deepEqual(sleeps, [2000, 50_000]);
    assert.equal(tg.sent.length, 2);
    assert.match(tg.sent[1].body.text, /1 stuck job\n<i>×2 since the last message/);
  } finally {
    await tg.server.shutdown();
  }
});

Deno.test("telegram: a 429 is retried after its retry_after", async () => {
  const tg = fakeTelegram([{
    status: 429,
    body: {
      ok: false,
      error_code: 429,
      description: "Too Many Requests: retry after 7",
      parameters: { retry_after: 7 },
    },
  }]);
  try {
    const { opts, sleeps, warnings } = options(tg.url);
    const alerts = telegramAlerts(opts);
    alerts.alert(...alertOf.forgedRequest("fal-webhook", "bad signature"));
    await alerts.settled();
    assert.deepEqual(sleeps, [2000, 7000]);
    assert.equal(tg.sent.length, 2, "sent, refused with 429, sent again");
    assert.equal(tg.sent[0].body.text, tg.sent[1].body.text);
    assert.deepEqual(warnings, []);
  } finally {
    await tg.server.shutdown();
  }
});

Deno.test("telegram: retries stop after maxRetries", async () => {
  const tooMany = { status: 429, body: { ok: false, parameters: { retry_after: 1 } } };
  const tg = fakeTelegram([tooMany, tooMany, tooMany]);
  try {
    const { opts, sleeps, warnings } = options(tg.url, { maxRetries: 2 });
    const alerts = telegramAlerts(opts);
    alerts.alert("k", "t");
    await alerts.settled();
    assert.equal(tg.sent.length, 3);
    assert.deepEqual(sleeps, [2000, 1000, 1000]);
    assert.equal(warnings.length, 1);
  } finally {
    await tg.server.shutdown();
  }
});

Deno.test("telegram: a retry_after longer than the worker can wait is not waited for", async () => {
  const tg = fakeTelegram([{
    status: 429,
    body: { ok: false, parameters: { retry_after: 3600 } },
  }]);
  try {
    const { opts, sleeps, warnings } = options(tg.url);
    const alerts = telegramAlerts(opts);
    alerts.alert("k", "t");
    await alerts.settled();
    assert.equal(tg.sent.length, 1);
    assert.deepEqual(sleeps, [2000]);
    assert.equal(warnings.length, 1);
  } finally {
    await tg.server.shutdown();
  }
});

Deno.test("telegram: an outage (500) never changes the user's response", async () => {
  const tg = fakeTelegram([{ status: 500, body: { ok: false, description: "boom" } }]);
  try {
    const { opts, warnings } = options(tg.url);
    const alerts = telegramAlerts(opts);
    const fn = observe("verify-purchase", () => {
      alerts.alert(...alertOf.purchaseRevoked("apple", "2000000123"));
      return Promise.resolve(Response.json({ credits_added: 10 }));
    }, { sink: () => {}, now: () => new Date(), newId: () => "r1" });
    const res = await fn(new Request("http://localhost/verify-purchase", { method: "POST" }));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { credits_added: 10 });
    await alerts.settled();
    assert.equal(tg.sent.length, 1);
    assert.equal(warnings.length, 1, "the failure is logged");
  } finally {
    await tg.server.shutdown();
  }
});

Deno.test("telegram: connection refused is swallowed and the token is not logged", async () => {
  const closed = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(),
  );
  const url = `http://127.0.0.1:${closed.addr.port}`;
  await closed.shutdown();
  const { opts, warnings } = options(url);
  const alerts = telegramAlerts(opts);
  assert.doesNotThrow(() => alerts.alert("k", "t"));
  await alerts.settled();
  assert.equal(warnings.length, 1);
  assert.ok(!JSON.stringify(warnings).includes("TEST-token"), "the bot token is not logged");
});

Deno.test("telegram: alertsFromEnv needs both the token and the chat id", () => {
  const saved = ["TELEGRAM_BOT_TOKEN", "TELEGRAM_CHAT_ID"].map((k) => [k, Deno.env.get(k)]);
  try {
    Deno.env.delete("TELEGRAM_BOT_TOKEN");
    Deno.env.set("TELEGRAM_CHAT_ID", "-1001");
    assert.equal(alertsFromEnv(), noAlerts);
    Deno.env.set("TELEGRAM_BOT_TOKEN", "1:x");
    const alerts = alertsFromEnv();
    assert.notEqual(alerts, noAlerts);
    assert.equal(alertsFromEnv(), alerts, "one instance per worker, so batching spans requests");
  } finally {
    for (const [k, v] of saved) v === undefined ? Deno.env.delete(k!) : Deno.env.set(k!, v);
  }
});

Deno.test("telegram: long texts are cut below Telegram's 4096 limit", () => {
  const text = formatAlert("p", "k", "x".repeat(10_000), 3);
  assert.ok(text.length < 4096);
  assert.match(text, /×3/);
});
