/**
 * device-check against a local fake of Apple's DeviceCheck API. The fake keys
 * bits by device (tokens look like "<device>_<nonce>", as several tokens from
 * one iPhone map to one device at Apple) and checks our ES256 JWT.
 */
import assert from "node:assert/strict";
import { exportPKCS8, importSPKI, jwtVerify } from "jose";
import { deviceCheckClient } from "../_shared/devicecheck/client.ts";
import { deviceCheckHandler } from "./contract.ts";
import {
  asUser,
  fakeAuth,
  FakeLedger,
  post,
  RecordingAlerts,
  serveLocal,
  unlimited,
  USER_A,
  USER_B,
} from "./security_fakes.ts";

const TEAM_ID = "TEAM123456";
const KEY_ID = "KEY7654321";

interface FakeApple {
  url: string;
  bits: Map<string, { bit0: boolean; bit1: boolean }>;
  calls: string[];
  /** Answer this status (and text) to the next calls of a path. */
  failures: Map<string, { status: number; text: string }>;
  /** The plain-text answer Apple gives for a device never set. */
  notFoundText: string;
  close: () => Promise<void>;
}

async function fakeApple(): Promise<{ apple: FakeApple; privateKeyPem: string }> {
  const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  const publicKey = await importSPKI(
    `-----BEGIN PUBLIC KEY-----\n${btoa(String.fromCharCode(...spki))}\n-----END PUBLIC KEY-----`,
    "ES256",
  );
  const state = {
    bits: new Map<string, { bit0: boolean; bit1: boolean }>(),
    calls: [] as string[],
    failures: new Map<string, { status: number; text: string }>(),
    notFoundText: "Bit State Not Found",
  };
  const server = serveLocal(async (req) => {
    const path = new URL(req.url).pathname;
    state.calls.push(path);
    const failure = state.failures.get(path);
    if (failure) return new Response(failure.text, { status: failure.status });
    const jwt = (req.headers.get("authorization") ?? "").replace(/^Bearer /, "");
    try {
      const { payload, protectedHeader } = await jwtVerify(jwt, publicKey, { issuer: TEAM_ID });
      assert.equal(protectedHeader.kid, KEY_ID);
      assert.equal(typeof payload.iat, "number");
    } catch {
      return new Response("Missing or incorrectly formatted authentication token", { status: 401 });
    }
    const body = await req.json();
    if (
      typeof body.device_token !== "string" || typeof body.transaction_id !== "string" ||
      typeof body.timestamp !== "number" || Math.abs(body.timestamp - Date.now()) > 60_000
    ) {
      return new Response("Missing or badly formatted request body", { status: 400 });
    }
    const device = body.device_token.split("_")[0];
    if (device === "bad") {
      return new Response("Missing or incorrectly formatted device token payload", { status: 400 });
    }
    if (path === "/v1/query_two_bits") {
      const bits = state.bits.get(device);
      return bits
        ? Response.json({ ...bits, last_update_time: "2026-06" })
        : new Response(state.notFoundText, { status: 200 });
    }
    if (path === "/v1/update_two_bits") {
      const current = state.bits.get(device) ?? { bit0: false, bit1: false };
      state.bits.set(device, {
        bit0: body.bit0 ?? current.bit0,
        bit1: body.bit1 ?? current.bit1,
      });
      return new Response(null, { status: 200 });
    }
    return new Response("not found", { status: 404 });
  });
  return {
    apple: { ...state, url: server.url, close: server.close },
    privateKeyPem: await exportPKCS8(keys.privateKey),
  };
}

async function setup() {
  const { apple, privateKeyPem } = await fakeApple();
  const db = new FakeLedger();
  const alerts = new RecordingAlerts();
  const handler = deviceCheckHandler({
    auth: fakeAuth,
    db,
    alerts,
    limits: unlimited,
    deviceCheck: deviceCheckClient({
      baseUrl: apple.url,
      teamId: TEAM_ID,
      keyId: KEY_ID,
      privateKeyPem,
    }),
  });
  const claim = async (user: string, token: string) => {
    const res = await handler(post("device-check", { device_token: token }, asUser(user)));
    return { status: res.status, body: await res.json() };
  };
  return { apple, db, alerts, claim };
}

const token = (device: string) => `${device}_${crypto.randomUUID().replaceAll("-", "")}`;

Deno.test("device-check: the first guest on a device gets the trial, the second gets nothing", async () => {
  const t = await setup();
  try {
    const first = await t.claim(USER_A, token("iphone1"));
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(first.body, { granted: true, credits: 10 });
    assert.deepEqual(t.apple.bits.get("iphone1"), { bit0: true, bit1: false });

    const second = await t.claim(USER_B, token("iphone1"));
    assert.deepEqual(second.body, { granted: false, credits: 0 });
    assert.equal(t.db.balanceOf(USER_B), 0);
    assert.deepEqual(t.db.writes, [`trial:${USER_A}`]);
  } finally {
    await t.apple.close();
  }
});

Deno.test("device-check: a user already granted never spends another device's bit", async () => {
  const t = await setup();
  try {
    await t.claim(USER_A, token("iphone1"));
    const calls = t.apple.calls.length;
    const again = await t.claim(USER_A, token("iphone2"));
    assert.deepEqual(again.body, { granted: false, credits: 10 });
    assert.equal(t.apple.calls.length, calls, "Apple is not even asked");
    assert.equal(t.apple.bits.get("iphone2"), undefined);
  } finally {
    await t.apple.close();
  }
});

Deno.test("device-check: Apple's other 'never set' text is understood", async () => {
  const t = await setup();
  try {
    t.apple.notFoundText = "Failed to find bit state";
    assert.deepEqual((await t.claim(USER_A, token("ipad"))).body, { granted: true, credits: 10 });
  } finally {
    await t.apple.close();
  }
});

Deno.test("device-check: Apple errors are 502 and grant nothing", async () => {
  const t = await setup();
  try {
    t.apple.failures.set("/v1/query_two_bits", { status: 500, text: "Internal error" });
    const queryDown = await t.claim(USER_A, token("iphone1"));
    assert.equal(queryDown.status, 502);
    assert.equal(queryDown.body.error.code, "devicecheck_unavailable");
    assert.equal(t.apple.calls.includes("/v1/update_two_bits"), false);

    t.apple.failures.clear();
    t.apple.failures.set("/v1/update_two_bits", { status: 503, text: "Service Unavailable" });
    const updateDown = await t.claim(USER_A, token("iphone1"));
    assert.equal(updateDown.status, 502);

    t.apple.failures.clear();
    t.apple.failures.set("/v1/query_two_bits", {
      status: 401,
      text: "Unable to verify authorization token",
    });
    assert.equal((await t.claim(USER_A, token("iphone1"))).status, 502);

    assert.deepEqual(t.db.writes, [], "nothing granted");
    assert.equal(t.db.balanceOf(USER_A), 0);

    // Once Apple is back, the same user gets the trial.
    t.apple.failures.clear();
    assert.deepEqual((await t.claim(USER_A, token("iphone1"))).body, {
      granted: true,
      credits: 10,
    });
  } finally {
    await t.apple.close();
  }
});

Deno.test("device-check: a token Apple rejects is 400; no session is 401", async () => {
  const t = await setup();
  try {
    const bad = await t.claim(USER_A, token("bad"));
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, "invalid_device_token");
    const missing = await t.claim(USER_A, "");
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.code, "invalid_request");
    const anonymous = await t.claim("not-a-session", token("iphone1"));
    assert.equal(anonymous.status, 401);
    assert.deepEqual(t.db.writes, []);
  } finally {
    await t.apple.close();
  }
});

Deno.test("device-check: a grant failing after the device was marked alerts the operator", async () => {
  const t = await setup();
  try {
    t.db.failTrialGrant = true;
    await assert.rejects(t.claim(USER_A, token("iphone1")));
    assert.deepEqual(t.apple.bits.get("iphone1"), { bit0: true, bit1: false });
    assert.deepEqual(t.alerts.keys(), ["trial_grant_failed"]);
    assert.match(t.alerts.sent[0].text, new RegExp(USER_A));
  } finally {
    await t.apple.close();
  }
});

Deno.test("device-check: with trial credits set to 0, nothing is granted (and the answer says so)", async () => {
  const t = await setup();
  try {
    t.db.trialCredits = 0;
    assert.deepEqual((await t.claim(USER_A, token("iphone1"))).body, {
      granted: false,
      credits: 0,
    });
  } finally {
    await t.apple.close();
  }
});
