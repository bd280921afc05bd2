import assert from "node:assert/strict";
import { type Alerts, noAlerts } from "../_shared/alerts.ts";
import { carriesKey } from "../health/handler.ts";
import { healthHandler } from "./contract.ts";
import { configuredIntegrations } from "../health/integrations.ts";

const integrations = () => ({ example: true, other: false });
const SERVICE_KEY = "service-role-key-for-tests";
/** The operator's view needs the service role key. */
const isOperator = carriesKey(SERVICE_KEY);
const asOperator = (init: RequestInit = {}) =>
  new Request("http://localhost/health", {
    ...init,
    headers: { authorization: `Bearer ${SERVICE_KEY}` },
  });

function recordingAlerts(): Alerts & { sent: [string, string][] } {
  const sent: [string, string][] = [];
  return { sent, alert: (key, text) => sent.push([key, text]) };
}

Deno.test("health: 200 with the database ok and integrations by name (service role)", async () => {
  let pinged = 0;
  const handler = healthHandler({
    pingDatabase: () => {
      pinged++;
      return Promise.resolve();
    },
    integrations,
    alerts: noAlerts,
    isOperator,
  });
  const res = await handler(asOperator());
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.deepEqual(await res.json(), {
    ok: true,
    database: "ok",
    integrations: { example: true, other: false },
  });
  assert.equal(pinged, 1);
});

Deno.test("health: 503 when the database query fails, and the operator is alerted", async () => {
  const alerts = recordingAlerts();
  const handler = healthHandler({
    pingDatabase: () => Promise.reject(new Error("connection refused")),
    integrations,
    alerts,
    isOperator,
  });
  const res = await handler(asOperator());
  assert.equal(res.status, 503);
  const body = await res.json();
  assert.equal(body.ok, false);
  assert.equal(body.database, "unavailable");
  assert.equal(body.error.code, "database_unavailable");
  assert.ok(!JSON.stringify(body).includes("connection refused"), "no internals in the answer");
});

Deno.test("health: 503 when the database does not answer in time", async () => {
  const alerts = recordingAlerts();
  const started = Date.now();
  const handler = healthHandler({
    pingDatabase: () => new Promise(() => {}),
    integrations,
    alerts,
    isOperator,
    timeoutMs: 50,
  });
  const res = await handler(new Request("http://localhost/health"));
  assert.equal(res.status, 503);
  await res.body?.cancel();
  assert.match(alerts.sent[0]?.[1] ?? "", /no answer within 50 ms/);
  assert.ok(Date.now() - started < 2_000);
});

Deno.test("health: other methods are 405", async () => {
  const handler = healthHandler({
    pingDatabase: () => Promise.resolve(),
    integrations,
    alerts: noAlerts,
    isOperator,
  });
  const res = await handler(new Request("http://localhost/health", { method: "POST" }));
  assert.equal(res.status, 405);
  assert.equal((await res.json()).error.code, "method_not_allowed");
});

Deno.test("health: integrations report whether secrets are set, never the secrets", () => {
  // Every variable gets a distinctive value, so a leak is easy to spot.
  const secretOf = (name: string) => `secret-value-of-${name}`;
  const all = configuredIntegrations(secretOf);
  const none = configuredIntegrations(() => undefined);
  assert.ok(Object.keys(all).length > 0, "at least the chosen provider is listed");
  for (const [name, configured] of Object.entries(all)) {
    assert.equal(configured, true, `${name} is configured`);
    assert.equal(none[name], false, `${name} is not configured without its secrets`);
  }
  const text = JSON.stringify(all);
  assert.ok(!text.includes("secret-value-of"), "no secret in the report");
  const empty = configuredIntegrations((name) => name === "FAL_KEY" ? "" : secretOf(name));
  if ("fal" in empty) assert.equal(empty.fal, false, "an empty value is not configured");
});

Deno.test("health: the public sees only ok / not ok; details need the service role key", async () => {
  let up = true;
  const handler = healthHandler({
    pingDatabase: () => up ? Promise.resolve() : Promise.reject(new Error("connection refused")),
    integrations,
    alerts: noAlerts,
    isOperator,
  });
  const attempts = [
    new Request("http://localhost/health"),
    new Request("http://localhost/health", { headers: { authorization: "Bearer anon-key" } }),
    new Request("http://localhost/health", { headers: { apikey: `${SERVICE_KEY}x` } }),
  ];
  for (const req of attempts) {
    const res = await handler(req.clone());
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true }, "no database or integration details");
  }
  up = false;
  for (const req of attempts) {
    const res = await handler(req.clone());
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { ok: false }, "degraded, without details");
  }
  const operator = await handler(
    new Request("http://localhost/health", { headers: { apikey: SERVICE_KEY } }),
  );
  assert.equal(operator.status, 503);
  assert.equal((await operator.json()).database, "unavailable", "the apikey header works too");
});

Deno.test("health: a database outage pages the operator once, not once per anonymous call", async () => {
  const alerts = recordingAlerts();
  let clock = 0;
  const handler = healthHandler({
    pingDatabase: () => Promise.reject(new Error("connection refused")),
    integrations,
    alerts,
    isOperator,
    alertIntervalMs: 60_000,
    now: () => clock,
  });
  for (let i = 0; i < 50; i++) {
    const res = await handler(new Request("http://localhost/health"));
    assert.equal(res.status, 503);
    await res.body?.cancel();
    clock += 100;
  }
  assert.equal(alerts.sent.length, 1, `50 anonymous calls sent ${alerts.sent.length} alerts`);
  clock += 60_000;
  await (await handler(new Request("http://localhost/health"))).body?.cancel();
  assert.equal(alerts.sent.length, 2, "a still-down database is reported again after the interval");
});
