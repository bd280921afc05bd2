/** revenuecat-webhook: the shared-secret header, crediting, refunds and redeliveries. */
import assert from "node:assert/strict";
import { revenueCatHandler } from "../revenuecat-webhook/handler.ts";
import { FakeLedger, post, RecordingAlerts, USER_A, USER_B } from "./security_fakes.ts";

const SECRET = "Bearer whsec-7f3a9c1e5b2d4f6a8c0e";

function setup(secret = SECRET, allowSandbox = false) {
  const db = new FakeLedger();
  db.products.set("credits_200", { store: "revenuecat", credits: 200 });
  const alerts = new RecordingAlerts();
  const handler = revenueCatHandler({ db, secret, alerts, allowSandbox });
  const send = async (event: Record<string, unknown>, auth: string | null = SECRET) => {
    const res = await handler(
      post(
        "revenuecat-webhook",
        { api_version: "1.0", event },
        auth === null ? {} : { authorization: auth },
      ),
    );
    return { status: res.status, body: await res.json() };
  };
  return { db, alerts, send };
}

function purchase(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: crypto.randomUUID(),
    type: "NON_RENEWING_PURCHASE",
    app_user_id: USER_A,
    original_app_user_id: USER_A,
    product_id: "credits_200",
    transaction_id: "rc_txn_1000001",
    original_transaction_id: "rc_txn_1000001",
    environment: "PRODUCTION",
    store: "APP_STORE",
    event_timestamp_ms: Date.now(),
    ...overrides,
  };
}

Deno.test("revenuecat: a wrong or missing Authorization header is 401 and changes nothing", async () => {
  const t = setup();
  for (const auth of [null, "", "Bearer wrong", `${SECRET}x`, SECRET.slice(0, -1)]) {
    const res = await t.send(purchase(), auth);
    assert.equal(res.status, 401, String(auth));
  }
  assert.deepEqual(t.db.writes, []);
  assert.equal(t.db.events.size, 0);

  const unconfigured = setup("");
  assert.equal(
    (await unconfigured.send(purchase(), "")).status,
    401,
    "an empty secret never matches",
  );
});

Deno.test("revenuecat: a purchase credits the app_user_id once; redeliveries change nothing", async () => {
  const t = setup();
  const event = purchase();
  assert.equal((await t.send(event)).status, 200);
  assert.equal(t.db.balanceOf(USER_A), 200);
  assert.equal((await t.send(event)).status, 200);
  assert.equal(
    (await t.send({ ...event, id: crypto.randomUUID(), type: "INITIAL_PURCHASE" })).status,
    200,
  );
  assert.equal(t.db.balanceOf(USER_A), 200);
  assert.deepEqual(t.db.writes, ["credit:revenuecat:rc_txn_1000001"]);
  assert.equal(t.db.purchases.get("revenuecat:rc_txn_1000001")?.environment, "PRODUCTION");
});

Deno.test("revenuecat: a refund takes the credits back; turning off auto-renew does not", async () => {
  const t = setup();
  await t.send(purchase());
  const unsubscribe = await t.send(
    purchase({ id: crypto.randomUUID(), type: "CANCELLATION", cancel_reason: "UNSUBSCRIBE" }),
  );
  assert.equal(unsubscribe.status, 200);
  assert.equal(t.db.balanceOf(USER_A), 200);

  const refund = purchase({
    id: crypto.randomUUID(),
    type: "CANCELLATION",
    cancel_reason: "CUSTOMER_SUPPORT",
  });
  assert.equal((await t.send(refund)).status, 200);
  assert.equal(t.db.balanceOf(USER_A), 0);
  assert.deepEqual(t.alerts.keys(), ["iap_revoked:revenuecat"]);
  assert.equal((await t.send(refund)).status, 200);
  assert.deepEqual(t.alerts.keys(), ["iap_revoked:revenuecat"]);
  assert.deepEqual(t.db.writes, [
    "credit:revenuecat:rc_txn_1000001",
    "revoke:revenuecat:rc_txn_1000001",
  ]);
});

Deno.test("revenuecat: non-Supabase user ids and claimed transactions credit nothing and alert", async () => {
  const t = setup();
  const anonymous = await t.send(purchase({ app_user_id: "$RCAnonymousID:8f1c0e2d4b6a" }));
  assert.equal(anonymous.status, 200);
  assert.deepEqual(t.db.writes, []);
  assert.deepEqual(t.alerts.keys(), ["revenuecat_unknown_user"]);

  await t.send(purchase());
  const stolen = await t.send(purchase({ id: crypto.randomUUID(), app_user_id: USER_B }));
  assert.equal(stolen.status, 200, "a retry cannot fix it, so RevenueCat must stop retrying");
  assert.equal(t.db.balanceOf(USER_B), 0);
  assert.ok(t.alerts.keys().includes("revenuecat_transaction_already_claimed"));
});

Deno.test("revenuecat: an unknown product is 400 (RevenueCat retries once it is added)", async () => {
  const t = setup();
  const res = await t.send(purchase({ product_id: "credits_unknown" }));
  assert.equal(res.status, 400);
  assert.equal(res.body.error.code, "product_not_found");
  assert.deepEqual(t.db.writes, []);
  assert.equal(t.db.events.size, 0, "not recorded, so the retry is processed");
  t.db.products.set("credits_unknown", { store: "revenuecat", credits: 5 });
  assert.equal((await t.send(purchase({ product_id: "credits_unknown" }))).status, 200);
  assert.equal(t.db.balanceOf(USER_A), 5);
});

Deno.test("revenuecat: TEST and other events are acknowledged", async () => {
  const t = setup();
  for (const type of ["TEST", "RENEWAL", "EXPIRATION", "TRANSFER"]) {
    assert.equal((await t.send(purchase({ id: crypto.randomUUID(), type }))).status, 200);
  }
  assert.deepEqual(t.db.writes, []);
  assert.equal((await t.send({ type: "TEST" })).status, 400, "an event without id");
});

Deno.test("revenuecat: SANDBOX purchases are credited only when allowed", async () => {
  const t = setup();
  const sandbox = purchase({ environment: "SANDBOX" });
  assert.equal((await t.send(sandbox)).status, 200);
  assert.deepEqual(t.db.writes, []);
  const allowed = setup(SECRET, true);
  assert.equal((await allowed.send(sandbox)).status, 200);
  assert.equal(allowed.db.balanceOf(USER_A), 200);
  assert.equal(allowed.db.purchases.get("revenuecat:rc_txn_1000001")?.environment, "SANDBOX");
});
