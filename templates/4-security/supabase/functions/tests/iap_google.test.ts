/**
 * verify-purchase with {store: "google"} and google-notifications, against
 * local fakes of Google's token endpoint, Play Developer API and JWKS.
 */
import assert from "node:assert/strict";
import { createRemoteJWKSet } from "jose";
import { playApi } from "../_shared/google/play.ts";
import { pubSubAuth } from "../_shared/google/pubsub.ts";
import { parseServiceAccount, serviceAccountTokens } from "../_shared/google/service_account.ts";
import { googleNotificationsHandler } from "../google-notifications/handler.ts";
import { verifyPurchaseHandler } from "./contract.ts";
import { googleStore } from "../verify-purchase/google.ts";
import { AUDIENCE, type FakeGoogle, fakeGoogle, PACKAGE, PUSH_ACCOUNT } from "./iap_google_fake.ts";
import {
  asUser,
  fakeAuth,
  FakeLedger,
  post,
  RecordingAlerts,
  unlimited,
  USER_A,
  USER_B,
} from "./security_fakes.ts";

const TOKEN = "opaque-token-up-to-150-characters.AO-J1Oy2kLm3nOp4qRs5tUv6wXy7z";
const ORDER = "GPA.3312-4455-6677-88990";

function purchase(overrides: Record<string, unknown> = {}) {
  return {
    productId: "credits_50",
    purchaseTimeMillis: String(Date.now() - 60_000),
    purchaseState: 0,
    consumptionState: 0,
    acknowledgementState: 0,
    orderId: ORDER,
    quantity: 1,
    regionCode: "US",
    // Bought by USER_A: the app calls setObfuscatedAccountId(userId).
    obfuscatedExternalAccountId: USER_A,
    ...overrides,
  };
}

function setup(
  google: FakeGoogle,
  allowTestPurchases = false,
  allowUnboundPurchases = false,
  db = new FakeLedger(),
) {
  db.products.set("credits_50", { store: "google", credits: 50 });
  const alerts = new RecordingAlerts();
  const play = playApi({
    baseUrl: google.url,
    packageName: PACKAGE,
    tokens: serviceAccountTokens({
      account: parseServiceAccount(google.serviceAccountJson),
      tokenUrl: `${google.url}/token`,
      scope: "https://www.googleapis.com/auth/androidpublisher",
    }),
  });
  const handler = verifyPurchaseHandler({
    auth: fakeAuth,
    limits: unlimited,
    stores: {
      google: googleStore({ play, allowTestPurchases, allowUnboundPurchases, db, alerts }),
    },
  });
  const verify = async (user = USER_A, token = TOKEN, productId = "credits_50") => {
    const res = await handler(
      post(
        "verify-purchase",
        { store: "google", product_id: productId, purchase_token: token },
        asUser(user),
      ),
    );
    return { status: res.status, body: await res.json() };
  };
  return { db, alerts, verify };
}

Deno.test("google: a purchase credits once, is consumed after the credit, replays add 0", async () => {
  const google = await fakeGoogle();
  try {
    google.purchases.set(TOKEN, purchase());
    const t = setup(google);
    const first = await t.verify();
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(first.body, { credits_added: 50, balance: 50 });
    assert.equal(google.purchases.get(TOKEN)?.consumptionState, 1, "consumed");
    const stored = t.db.purchases.get(`google:${TOKEN}`);
    assert.equal(stored?.originalTransactionId, ORDER);
    assert.equal(stored?.environment, "Production");

    const replay = await t.verify();
    assert.deepEqual(replay.body, { credits_added: 0, balance: 50 });

    const other = await t.verify(USER_B);
    assert.equal(other.status, 403, "the purchase names USER_A as its account");
    assert.equal(other.body.error.code, "purchase_account_mismatch");
    assert.equal(t.db.balanceOf(USER_B), 0);
    assert.equal(google.tokensIssued, 1, "the access token is cached");
  } finally {
    await google.close();
  }
});

Deno.test("google: without an account id, a purchase is refused unless unbound purchases are allowed", async () => {
  const google = await fakeGoogle();
  try {
    google.purchases.set(TOKEN, purchase({ obfuscatedExternalAccountId: undefined }));
    // Whoever holds an unbound purchase token would get the credits.
    const bound = setup(google);
    const res = await bound.verify(USER_B);
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error.code, "purchase_not_bound");
    assert.match(res.body.error.message, /setObfuscatedAccountId/);
    assert.deepEqual(bound.db.writes, []);
    assert.equal(google.purchases.get(TOKEN)?.consumptionState, 0, "not consumed either");
  } finally {
    await google.close();
  }
});

Deno.test("google: without an account id (allowed), another user's replay is 409", async () => {
  const google = await fakeGoogle();
  try {
    google.purchases.set(TOKEN, purchase({ obfuscatedExternalAccountId: undefined }));
    const t = setup(google, false, true);
    assert.equal((await t.verify(USER_A)).status, 200);
    const other = await t.verify(USER_B);
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, "transaction_already_claimed");
    assert.equal(t.db.balanceOf(USER_B), 0);
  } finally {
    await google.close();
  }
});

Deno.test("google: pending, canceled, test, multi-quantity, unknown or consumed-elsewhere purchases credit nothing", async () => {
  const google = await fakeGoogle();
  try {
    for (
      const bad of [
        { purchaseState: 2 },
        { purchaseState: 1 },
        { purchaseType: 0 },
        { quantity: 2 },
        { consumptionState: 1 },
      ]
    ) {
      google.purchases.set(TOKEN, purchase(bad));
      const t = setup(google);
      const res = await t.verify();
      assert.equal(res.status, 400, `${JSON.stringify(bad)} → ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, "invalid_purchase");
      assert.deepEqual(t.db.writes, []);
      assert.equal(google.purchases.get(TOKEN)?.consumptionState, bad.consumptionState ?? 0);
    }
    const t = setup(google);
    assert.equal((await t.verify(USER_A, "unknown-token-1234567890")).status, 400);
    google.purchases.set(TOKEN, purchase());
    assert.equal((await t.verify(USER_A, TOKEN, "credits_other")).status, 400);
    assert.deepEqual(t.db.writes, []);
  } finally {
    await google.close();
  }
});

Deno.test("google: test purchases are credited only when allowed, and marked Test", async () => {
  const google = await fakeGoogle();
  try {
    google.purchases.set(TOKEN, purchase({ purchaseType: 0 }));
    const t = setup(google, true);
    assert.equal((await t.verify()).status, 200);
    assert.equal(t.db.purchases.get(`google:${TOKEN}`)?.environment, "Test");
  } finally {
    await google.close();
  }
});

Deno.test("google: a failed consume keeps the credit; the retry consumes and adds 0", async () => {
  const google = await fakeGoogle();
  try {
    google.purchases.set(TOKEN, purchase());
    google.consumeFailures = 1;
    const t = setup(google);
    const first = await t.verify();
    assert.equal(first.status, 200);
    assert.deepEqual(first.body, { credits_added: 50, balance: 50 });
    assert.equal(google.purchases.get(TOKEN)?.consumptionState, 0);
    assert.deepEqual(t.alerts.keys(), ["google_consume_failed"]);

    const retry = await t.verify();
    assert.deepEqual(retry.body, { credits_added: 0, balance: 50 });
    assert.equal(google.purchases.get(TOKEN)?.consumptionState, 1);
  } finally {
    await google.close();
  }
});

Deno.test("google: Play API outages are 502 and credit nothing", async () => {
  const google = await fakeGoogle();
  try {
    google.purchases.set(TOKEN, purchase());
    google.getFailure = 500;
    const t = setup(google);
    const res = await t.verify();
    assert.equal(res.status, 502);
    assert.equal(res.body.error.code, "store_unavailable");
    assert.deepEqual(t.db.writes, []);
  } finally {
    await google.close();
  }
});

/** The notifications handler, after user A bought credits_50 on Google Play (db.writes starts empty). */
async function rtdnSetup(google: FakeGoogle) {
  const db = new FakeLedger();
  db.products.set("credits_50", { store: "google", credits: 50 });
  await db.creditPurchase({
    userId: USER_A,
    store: "google",
    transactionId: TOKEN,
    productId: "credits_50",
  });
  db.writes.length = 0;
  const alerts = new RecordingAlerts();
  const handler = googleNotificationsHandler({
    db,
    alerts,
    packageName: PACKAGE,
    verifyPush: pubSubAuth({
      keys: createRemoteJWKSet(new URL(`${google.url}/certs`)),
      audience: AUDIENCE,
      serviceAccountEmail: PUSH_ACCOUNT,
    }),
  });
  const push = async (
    notification: Record<string, unknown>,
    token: string | null,
    messageId = "1234567890",
  ) => {
    const data = btoa(
      JSON.stringify({
        version: "1.0",
        packageName: PACKAGE,
        eventTimeMillis: String(Date.now()),
        ...notification,
      }),
    );
    const res = await handler(
      post("google-notifications", {
        message: { data, messageId, publishTime: new Date().toISOString() },
        subscription: "projects/example/subscriptions/play-rtdn",
      }, token ? { authorization: `Bearer ${token}` } : {}),
    );
    return { status: res.status, body: await res.json() };
  };
  return { db, alerts, push };
}

const voided = {
  voidedPurchaseNotification: {
    purchaseToken: TOKEN,
    orderId: ORDER,
    productType: 2,
    refundType: 1,
  },
};

Deno.test("google notifications: a voided purchase takes the credits back once", async () => {
  const google = await fakeGoogle();
  try {
    const t = await rtdnSetup(google);
    const token = await google.oidcToken();

    const first = await t.push(voided, token);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(t.db.balanceOf(USER_A), 0);
    assert.deepEqual(t.alerts.keys(), ["iap_revoked:google"]);

    // A redelivery of the same message changes nothing and does not alert again.
    assert.equal((await t.push(voided, token)).status, 200);
    assert.deepEqual(t.alerts.keys(), ["iap_revoked:google"]);
    // Another message about the same purchase: the credits are still taken once.
    assert.equal((await t.push(voided, token, "another-message")).status, 200);
    assert.deepEqual(t.db.writes, [`revoke:google:${TOKEN}`]);
    assert.equal(t.db.balanceOf(USER_A), 0);
  } finally {
    await google.close();
  }
});

Deno.test("google notifications: a purchase voided before it was verified is never credited (409)", async () => {
  const google = await fakeGoogle();
  try {
    const t = await rtdnSetup(google);
    const early = "voided-before-verify-token.AO-J1Oy2kLm3nOp4qRs5tUv6wXy7z";
    const notification = {
      voidedPurchaseNotification: { ...voided.voidedPurchaseNotification, purchaseToken: early },
    };
    assert.equal((await t.push(notification, await google.oidcToken())).status, 200);
    assert.deepEqual(t.alerts.keys(), [], "nothing was taken back");

    // The app sends the purchase afterwards; Play still reports it as paid.
    google.purchases.set(early, purchase());
    const res = await setup(google, false, false, t.db).verify(USER_A, early);
    assert.equal(res.status, 409, JSON.stringify(res.body));
    assert.equal(res.body.error.code, "transaction_revoked");
    assert.equal(t.db.balanceOf(USER_A), 50, "only the earlier purchase");
  } finally {
    await google.close();
  }
});

Deno.test("google notifications: a missing or forged OIDC token is 401 and changes nothing", async () => {
  const google = await fakeGoogle();
  try {
    const t = await rtdnSetup(google);
    for (
      const token of [
        null,
        "not-a-jwt",
        await google.oidcToken({}, { stranger: true }),
        await google.oidcToken({ aud: "https://attacker.example" }),
        await google.oidcToken({ iss: "https://evil.example" }),
        await google.oidcToken({ email: "someone@attacker.iam.gserviceaccount.com" }),
        await google.oidcToken({ email_verified: false }),
        await google.oidcToken({ exp: Math.floor(Date.now() / 1000) - 600 }),
      ]
    ) {
      const res = await t.push(voided, token);
      assert.equal(res.status, 401, String(token));
    }
    assert.deepEqual(t.db.writes, []);
    assert.equal(t.db.balanceOf(USER_A), 50);
    assert.equal(t.db.events.size, 0);
  } finally {
    await google.close();
  }
});

Deno.test("google notifications: other packages, subscriptions and tests change nothing", async () => {
  const google = await fakeGoogle();
  try {
    const t = await rtdnSetup(google);
    const token = await google.oidcToken();
    for (
      const notification of [
        { ...voided, packageName: "com.other.app" },
        { voidedPurchaseNotification: { ...voided.voidedPurchaseNotification, productType: 1 } },
        { testNotification: { version: "1.0" } },
        {
          oneTimeProductNotification: {
            version: "1.0",
            notificationType: 1,
            purchaseToken: TOKEN,
            sku: "credits_50",
          },
        },
      ]
    ) {
      assert.equal((await t.push(notification, token, crypto.randomUUID())).status, 200);
    }
    assert.deepEqual(t.db.writes, []);
    assert.equal(t.db.balanceOf(USER_A), 50);
  } finally {
    await google.close();
  }
});
