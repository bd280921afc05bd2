/**
 * verify-purchase with {store: "apple"}: StoreKit 2 signed transactions from
 * a certificate chain generated here, verified against that chain's root.
 * Every forgery must answer 400 invalid_purchase and credit nothing.
 */
import assert from "node:assert/strict";
import { appleJwsVerifier } from "../_shared/apple/jws.ts";
import type { AppleAppConfig } from "../_shared/apple/transaction.ts";
import { verifyPurchaseHandler } from "./contract.ts";
import { appleStore } from "../verify-purchase/apple.ts";
import { makeChain, type TestChain } from "./iap_apple_chain.ts";
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

const NOW = new Date("2026-06-01T12:00:00Z");
const CONFIG: AppleAppConfig = {
  bundleId: "com.example.videoapp",
  environment: "Production",
  allowSandbox: false,
};

function transaction(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    transactionId: "2000000123456789",
    originalTransactionId: "2000000123456789",
    bundleId: CONFIG.bundleId,
    productId: "credits_100",
    type: "Consumable",
    environment: "Production",
    quantity: 1,
    // Bought by USER_A: the app passes .appAccountToken(userId) to purchase().
    appAccountToken: USER_A,
    purchaseDate: NOW.getTime() - 60_000,
    signedDate: NOW.getTime() - 30_000,
    ...overrides,
  };
}

function setup(chain: TestChain, config: AppleAppConfig = CONFIG, trusted?: string[]) {
  const db = new FakeLedger();
  db.products.set("credits_100", { store: "apple", credits: 100 });
  const alerts = new RecordingAlerts();
  const verifier = appleJwsVerifier({ trustedRoots: trusted ?? [chain.rootPem], now: () => NOW });
  const handler = verifyPurchaseHandler({
    auth: fakeAuth,
    limits: unlimited,
    stores: { apple: appleStore({ verifier, config, db, alerts }) },
  });
  const verify = async (signed: string, user = USER_A) => {
    const res = await handler(
      post("verify-purchase", { store: "apple", signed_transaction: signed }, asUser(user)),
    );
    return { status: res.status, body: await res.json() };
  };
  return { db, alerts, verify };
}

async function assertRejected(
  signed: string,
  t: ReturnType<typeof setup>,
): Promise<void> {
  const { status, body } = await t.verify(signed);
  assert.equal(status, 400, JSON.stringify(body));
  assert.equal(body.error.code, "invalid_purchase");
  assert.deepEqual(t.db.writes, [], "nothing may be credited");
  assert.equal(t.db.balanceOf(USER_A), 0);
}

Deno.test("apple: a valid transaction credits once; the same user's replay adds 0", async () => {
  const chain = await makeChain({ now: NOW });
  const t = setup(chain);
  const signed = await chain.sign(transaction({ appAccountToken: USER_A }));

  const first = await t.verify(signed);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.deepEqual(first.body, { credits_added: 100, balance: 100 });

  const replay = await t.verify(signed);
  assert.equal(replay.status, 200);
  assert.deepEqual(replay.body, { credits_added: 0, balance: 100 });
  assert.equal(t.db.balanceOf(USER_A), 100);
  const stored = t.db.purchases.get("apple:2000000123456789");
  assert.equal(stored?.environment, "Production");
  assert.equal(stored?.originalTransactionId, "2000000123456789");
});

Deno.test("apple: the same transaction from another account is refused and credits nothing", async () => {
  const chain = await makeChain({ now: NOW });
  const t = setup(chain);
  const signed = await chain.sign(transaction());
  assert.equal((await t.verify(signed, USER_A)).status, 200);
  const other = await t.verify(signed, USER_B);
  assert.equal(other.status, 403, "the transaction is bound to USER_A");
  assert.equal(other.body.error.code, "purchase_account_mismatch");
  assert.equal(t.db.balanceOf(USER_B), 0);
  assert.equal(t.db.balanceOf(USER_A), 100);

  // Unbound transactions (allowed explicitly): the first claimer keeps it.
  const unbound = setup(chain, { ...CONFIG, allowUnboundPurchases: true });
  const loose = await chain.sign(transaction({ appAccountToken: undefined }));
  assert.equal((await unbound.verify(loose, USER_A)).status, 200);
  const late = await unbound.verify(loose, USER_B);
  assert.equal(late.status, 409);
  assert.equal(late.body.error.code, "transaction_already_claimed");
  assert.equal(unbound.db.balanceOf(USER_B), 0);
});

Deno.test("apple: appAccountToken of another user is 403 purchase_account_mismatch", async () => {
  const chain = await makeChain({ now: NOW });
  const t = setup(chain);
  const res = await t.verify(await chain.sign(transaction({ appAccountToken: USER_B })));
  assert.equal(res.status, 403, JSON.stringify(res.body));
  assert.equal(res.body.error.code, "purchase_account_mismatch");
  assert.deepEqual(t.db.writes, [], "nothing may be credited");
});

Deno.test("apple: a transaction without appAccountToken is refused unless unbound purchases are allowed", async () => {
  const chain = await makeChain({ now: NOW });
  const signed = await chain.sign(transaction({ appAccountToken: undefined }));
  // Whoever holds an unbound JWS (a leaked receipt) would get the credits.
  const bound = setup(chain, { ...CONFIG, allowUnboundPurchases: false });
  const res = await bound.verify(signed, USER_B);
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.error.code, "purchase_not_bound");
  assert.match(res.body.error.message, /appAccountToken/);
  assert.deepEqual(bound.db.writes, [], "nothing may be credited");

  const allowed = setup(chain, { ...CONFIG, allowUnboundPurchases: true });
  assert.equal((await allowed.verify(signed, USER_B)).status, 200);
  assert.equal(allowed.db.balanceOf(USER_B), 100);
});

Deno.test("apple: a revoked transaction is 409 transaction_revoked, and its earlier JWS is never credited", async () => {
  const chain = await makeChain({ now: NOW });
  const t = setup(chain);
  const beforeRefund = await chain.sign(transaction());
  const afterRefund = await chain.sign(transaction({ revocationDate: NOW.getTime() - 1000 }));
  const revoked = await t.verify(afterRefund);
  assert.equal(revoked.status, 409, JSON.stringify(revoked.body));
  assert.equal(revoked.body.error.code, "transaction_revoked");
  const replay = await t.verify(beforeRefund);
  assert.equal(replay.status, 409, JSON.stringify(replay.body));
  assert.equal(replay.body.error.code, "transaction_revoked");
  assert.deepEqual(t.db.writes, [], "nothing may be credited");
});

Deno.test("apple: wrong bundle id, environment, type or quantity credit nothing", async () => {
  const chain = await makeChain({ now: NOW });
  for (
    const bad of [
      { bundleId: "com.attacker.app" },
      { environment: "Sandbox" },
      { environment: "Xcode" },
      { type: "Non-Consumable" },
      { type: "Auto-Renewable Subscription" },
      { quantity: 3 },
      { transactionId: undefined },
    ]
  ) {
    await assertRejected(await chain.sign(transaction(bad)), setup(chain));
  }
});

Deno.test("apple: Sandbox is accepted only when the deployment allows it, and recorded as Sandbox", async () => {
  const chain = await makeChain({ now: NOW });
  const t = setup(chain, { ...CONFIG, allowSandbox: true });
  const res = await t.verify(await chain.sign(transaction({ environment: "Sandbox" })));
  assert.equal(res.status, 200);
  assert.equal(t.db.purchases.get("apple:2000000123456789")?.environment, "Sandbox");

  const sandboxOnly = setup(chain, { ...CONFIG, environment: "Sandbox" });
  await assertRejected(await chain.sign(transaction({ environment: "Production" })), sandboxOnly);
});

Deno.test("apple: an expired leaf or intermediate is refused", async () => {
  const expiredLeaf = await makeChain({ now: NOW, leafNotAfter: new Date(NOW.getTime() - 1000) });
  await assertRejected(await expiredLeaf.sign(transaction()), setup(expiredLeaf));
  const expiredIntermediate = await makeChain({
    now: NOW,
    intermediateNotAfter: new Date(NOW.getTime() - 1000),
  });
  await assertRejected(await expiredIntermediate.sign(transaction()), setup(expiredIntermediate));
});

Deno.test("apple: a chain to another root is refused, whatever x5c[2] says", async () => {
  const trusted = await makeChain({ now: NOW });
  const attacker = await makeChain({ now: NOW });
  const t = setup(attacker, CONFIG, [trusted.rootPem]);
  await assertRejected(await attacker.sign(transaction()), t);
  assert.ok(t.alerts.keys().includes("forged_request:apple_purchase"));

  // The attacker's chain with OUR root pasted in as x5c[2] changes nothing.
  const spliced = await attacker.sign(transaction(), {
    x5c: [attacker.x5c[0], attacker.x5c[1], trusted.x5c[2]],
  });
  await assertRejected(spliced, setup(attacker, CONFIG, [trusted.rootPem]));
});

Deno.test("apple: the embedded Apple root refuses a chain generated here", async () => {
  const chain = await makeChain({ now: NOW });
  const db = new FakeLedger();
  db.products.set("credits_100", { store: "apple", credits: 100 });
  const verifier = appleJwsVerifier({ now: () => NOW });
  const alerts = new RecordingAlerts();
  const handler = verifyPurchaseHandler({
    auth: fakeAuth,
    limits: unlimited,
    stores: { apple: appleStore({ verifier, config: CONFIG, db, alerts }) },
  });
  const res = await handler(
    post("verify-purchase", {
      store: "apple",
      signed_transaction: await chain.sign(transaction()),
    }, asUser(USER_A)),
  );
  assert.equal(res.status, 400);
  assert.deepEqual(db.writes, []);
});

Deno.test("apple: missing Apple OIDs, a non-CA intermediate or a broken link are refused", async () => {
  for (
    const options of [
      { leafOid: false },
      { intermediateOid: false },
      { intermediateIsCa: false },
      { leafSignedByStranger: true },
    ]
  ) {
    const chain = await makeChain({ now: NOW, ...options });
    await assertRejected(await chain.sign(transaction()), setup(chain));
  }
});

Deno.test("apple: a tampered payload, a wrong alg or a short x5c is refused", async () => {
  const chain = await makeChain({ now: NOW });
  const signed = await chain.sign(transaction());
  const [header, , signature] = signed.split(".");
  const forgedPayload = btoa(
    JSON.stringify(transaction({ productId: "credits_100", transactionId: "1" })),
  )
    .replace(/=+$/, "").replaceAll("+", "-").replaceAll("/", "_");
  await assertRejected(`${header}.${forgedPayload}.${signature}`, setup(chain));
  await assertRejected(
    await chain.sign(transaction(), { x5c: chain.x5c.slice(0, 2) }),
    setup(chain),
  );
  const hs = btoa(JSON.stringify({ alg: "none", x5c: chain.x5c })).replace(/=+$/, "");
  await assertRejected(`${hs}.${forgedPayload}.`, setup(chain));
  await assertRejected("not-a-jws", setup(chain));
});

Deno.test("apple: no session is 401; an unknown product is 400 with an operator alert", async () => {
  const chain = await makeChain({ now: NOW });
  const t = setup(chain);
  const signed = await chain.sign(transaction({ productId: "credits_unknown" }));
  await assertRejected(signed, t);
  assert.ok(t.alerts.keys().includes("iap_unknown_product:apple"));

  const handler = verifyPurchaseHandler({
    auth: fakeAuth,
    limits: unlimited,
    stores: {
      apple: appleStore({
        verifier: appleJwsVerifier({ now: () => NOW }),
        config: CONFIG,
        db: t.db,
        alerts: t.alerts,
      }),
    },
  });
  const res = await handler(
    post("verify-purchase", { store: "apple", signed_transaction: signed }),
  );
  assert.equal(res.status, 401);
  assert.equal((await res.json()).error.code, "unauthorized");
});
