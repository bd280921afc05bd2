/**
 * apple-notifications: App Store Server Notifications V2 signed by a chain
 * generated here. A refund takes the credits back once; a redelivery changes
 * nothing; anything not signed by the trusted root is 401 and changes nothing.
 */
import assert from "node:assert/strict";
import { appleJwsVerifier } from "../_shared/apple/jws.ts";
import type { AppleAppConfig } from "../_shared/apple/transaction.ts";
import { appleNotificationsHandler } from "../apple-notifications/handler.ts";
import { makeChain, type TestChain } from "./iap_apple_chain.ts";
import { FakeLedger, post, RecordingAlerts, USER_A } from "./security_fakes.ts";

const NOW = new Date("2026-06-01T12:00:00Z");
const CONFIG: AppleAppConfig = {
  bundleId: "com.example.videoapp",
  environment: "Production",
  allowSandbox: false,
};
const TX = "2000000999000111";

function setup(trustedRoot: string, config: AppleAppConfig = CONFIG) {
  const db = new FakeLedger();
  db.products.set("credits_100", { store: "apple", credits: 100 });
  const alerts = new RecordingAlerts();
  const handler = appleNotificationsHandler({
    db,
    verifier: appleJwsVerifier({ trustedRoots: [trustedRoot], now: () => NOW }),
    config,
    alerts,
  });
  const send = async (signedPayload: unknown) => {
    const res = await handler(post("apple-notifications", { signedPayload }));
    return { status: res.status, body: await res.json() };
  };
  return { db, alerts, send };
}

/** USER_A bought the pack and spent nothing yet. */
async function credited(db: FakeLedger): Promise<void> {
  await db.creditPurchase({
    userId: USER_A,
    store: "apple",
    transactionId: TX,
    productId: "credits_100",
  });
  db.writes.length = 0;
}

async function notification(
  chain: TestChain,
  type: string,
  overrides: { uuid?: string; data?: Record<string, unknown>; txChain?: TestChain } = {},
): Promise<string> {
  const signedTransactionInfo = await (overrides.txChain ?? chain).sign({
    transactionId: TX,
    originalTransactionId: TX,
    bundleId: CONFIG.bundleId,
    productId: "credits_100",
    type: "Consumable",
    environment: "Production",
    revocationDate: NOW.getTime() - 5_000,
    revocationReason: 0,
  });
  return await chain.sign({
    notificationType: type,
    notificationUUID: overrides.uuid ?? crypto.randomUUID(),
    version: "2.0",
    signedDate: NOW.getTime(),
    data: {
      bundleId: CONFIG.bundleId,
      environment: "Production",
      signedTransactionInfo,
      ...overrides.data,
    },
  });
}

Deno.test("apple notifications: REFUND takes the credits back once; a redelivery changes nothing", async () => {
  const chain = await makeChain({ now: NOW });
  const t = setup(chain.rootPem);
  await credited(t.db);
  const refund = await notification(chain, "REFUND", { uuid: "uuid-1" });

  const first = await t.send(refund);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(t.db.balanceOf(USER_A), 0);
  assert.equal(t.db.purchases.get(`apple:${TX}`)?.status, "revoked");
  assert.deepEqual(t.alerts.keys(), ["iap_revoked:apple"]);

  const again = await t.send(refund);
  assert.equal(again.status, 200);
  assert.deepEqual(t.db.writes, [`revoke:apple:${TX}`], "revoked exactly once");
  assert.deepEqual(t.alerts.keys(), ["iap_revoked:apple"], "the duplicate does not alert again");

  // A second, distinct REFUND notification for the same transaction: still once.
  assert.equal((await t.send(await notification(chain, "REFUND"))).status, 200);
  assert.deepEqual(t.db.writes, [`revoke:apple:${TX}`]);
});

Deno.test("apple notifications: REVOKE also takes credits back; never below zero", async () => {
  const chain = await makeChain({ now: NOW });
  const t = setup(chain.rootPem);
  await credited(t.db);
  t.db.balances.set(USER_A, 30); // 70 of the 100 were already spent
  assert.equal((await t.send(await notification(chain, "REVOKE"))).status, 200);
  assert.equal(t.db.balanceOf(USER_A), 0);
});

Deno.test("apple notifications: forged payloads are 401 and change nothing", async () => {
  const trusted = await makeChain({ now: NOW });
  const attacker = await makeChain({ now: NOW });
  const t = setup(trusted.rootPem);
  await credited(t.db);

  const forged = await t.send(await notification(attacker, "REFUND"));
  assert.equal(forged.status, 401);
  assert.equal(forged.body.error.code, "invalid_signature");

  // A genuine outer notification wrapping a forged transaction.
  const nested = await t.send(await notification(trusted, "REFUND", { txChain: attacker }));
  assert.equal(nested.status, 401);

  const [h, p] = (await notification(trusted, "REFUND")).split(".");
  assert.equal((await t.send(`${h}.${p}.AAAA`)).status, 401);
  assert.equal((await t.send("garbage")).status, 401);

  assert.deepEqual(t.db.writes, []);
  assert.equal(t.db.balanceOf(USER_A), 100);
  assert.equal(t.db.events.size, 0, "forged notifications are not even recorded");
  assert.ok(t.alerts.keys().every((k) => k === "forged_request:apple_notification"));
});

Deno.test("apple notifications: another app, another environment or other types change nothing", async () => {
  const chain = await makeChain({ now: NOW });
  const t = setup(chain.rootPem);
  await credited(t.db);
  for (
    const signed of [
      await notification(chain, "REFUND", { data: { bundleId: "com.other.app" } }),
      await notification(chain, "REFUND", { data: { environment: "Sandbox" } }),
      await notification(chain, "CONSUMPTION_REQUEST"),
      await notification(chain, "TEST", { data: { signedTransactionInfo: undefined } }),
    ]
  ) {
    const res = await t.send(signed);
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
  assert.deepEqual(t.db.writes, []);
  assert.equal(t.db.balanceOf(USER_A), 100);
});

Deno.test("apple notifications: a refund of an unknown transaction is acknowledged", async () => {
  const chain = await makeChain({ now: NOW });
  const t = setup(chain.rootPem);
  const res = await t.send(await notification(chain, "REFUND"));
  assert.equal(res.status, 200);
  assert.deepEqual(t.db.writes, []);
  assert.deepEqual(t.alerts.keys(), []);
});

Deno.test("apple notifications: with APPLE_APP_APPLE_ID set, a Production notification for another app id changes nothing", async () => {
  const chain = await makeChain({ now: NOW });
  const t = setup(chain.rootPem, { ...CONFIG, appAppleId: 1234567890 });
  await credited(t.db);
  // Signed by Apple, right bundle id, but another app's Apple ID (or none):
  // Apple's SignedDataVerifier refuses these in Production, and so do we.
  for (const appAppleId of [987654321, undefined, "1234567890"]) {
    const res = await t.send(await notification(chain, "REFUND", { data: { appAppleId } }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.match(String(res.body.ignored), /appAppleId/);
  }
  assert.deepEqual(t.db.writes, [], "no refund was applied");
  assert.equal(t.db.balanceOf(USER_A), 100);

  const ours = await t.send(
    await notification(chain, "REFUND", { data: { appAppleId: 1234567890 } }),
  );
  assert.equal(ours.status, 200);
  assert.equal(t.db.balanceOf(USER_A), 0, "this app's refund is applied");
});

Deno.test("apple notifications: Sandbox notifications and deployments without APPLE_APP_APPLE_ID skip the app id check", async () => {
  const chain = await makeChain({ now: NOW });
  const sandbox = setup(chain.rootPem, {
    ...CONFIG,
    environment: "Sandbox",
    appAppleId: 1234567890,
  });
  await credited(sandbox.db);
  const res = await sandbox.send(
    await notification(chain, "REFUND", { data: { environment: "Sandbox" } }),
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(sandbox.db.balanceOf(USER_A), 0);

  const unset = setup(chain.rootPem);
  await credited(unset.db);
  await unset.send(await notification(chain, "REFUND", { data: { appAppleId: 42 } }));
  assert.equal(unset.db.balanceOf(USER_A), 0);
});

Deno.test("apple notifications: a refund before the purchase was verified is remembered; the old JWS is never credited", async () => {
  const chain = await makeChain({ now: NOW });
  const t = setup(chain.rootPem);
  assert.equal((await t.send(await notification(chain, "REFUND"))).status, 200);
  await assert.rejects(
    t.db.creditPurchase({
      userId: USER_A,
      store: "apple",
      transactionId: TX,
      productId: "credits_100",
    }),
    /transaction_revoked/,
  );
  assert.equal(t.db.balanceOf(USER_A), 0);
});
