/**
 * device-check against the real database (DATABASE_URL, migrated) and a fake
 * of Apple's DeviceCheck API on 127.0.0.1 that models the two bits per
 * device: several tokens map to one device ("<device>_<nonce>", as every
 * DCDevice.generateToken() call returns a fresh token for the same iPhone),
 * and each call takes a little time, as Apple's do, so racing claims really
 * interleave. Skipped without DATABASE_URL.
 */
import assert from "node:assert/strict";
import { exportPKCS8 } from "jose";
import { deviceCheckClient } from "../_shared/devicecheck/client.ts";
import { deviceCheckHandler } from "./contract.ts";
import { type PgDb, pgDb } from "./pg_db.ts";
import {
  asUser,
  fakeAuth,
  post,
  RecordingAlerts,
  serveLocal,
  unlimited,
} from "./security_fakes.ts";

const DATABASE_URL = Deno.env.get("DATABASE_URL");
/** Apple's answer time in the fake: long enough for racing claims to overlap. */
const APPLE_LATENCY_MS = 15;

interface FakeDeviceCheck {
  url: string;
  bits: Map<string, { bit0: boolean; bit1: boolean }>;
  calls: string[];
  close: () => Promise<void>;
}

function fakeDeviceCheck(): FakeDeviceCheck {
  const bits = new Map<string, { bit0: boolean; bit1: boolean }>();
  const calls: string[] = [];
  const server = serveLocal(async (req) => {
    const path = new URL(req.url).pathname;
    calls.push(path);
    if (!(req.headers.get("authorization") ?? "").startsWith("Bearer ")) {
      return new Response("Missing or incorrectly formatted authentication token", {
        status: 401,
      });
    }
    const body = await req.json();
    const device = String(body.device_token).split("_")[0];
    await new Promise((r) => setTimeout(r, APPLE_LATENCY_MS));
    if (path === "/v1/query_two_bits") {
      const current = bits.get(device);
      return current
        ? Response.json({ ...current, last_update_time: "2026-06" })
        : new Response("Bit State Not Found", { status: 200 });
    }
    if (path === "/v1/update_two_bits") {
      const current = bits.get(device) ?? { bit0: false, bit1: false };
      bits.set(device, { bit0: body.bit0 ?? current.bit0, bit1: body.bit1 ?? current.bit1 });
      return new Response(null, { status: 200 });
    }
    return new Response("not found", { status: 404 });
  });
  return { url: server.url, bits, calls, close: server.close };
}

async function newUser(db: PgDb): Promise<string> {
  const id = crypto.randomUUID();
  await db.admin(
    `insert into auth.users (id, aud, role, is_anonymous, created_at, updated_at)
     values ($1, 'authenticated', 'authenticated', true, now(), now())`,
    [id],
  );
  return id;
}

/** The reads device-check needs, over the same connection (tests only). */
function reads(db: PgDb) {
  return {
    async balance(userId: string) {
      const [row] = await db.admin<{ credits: number }>(
        "select credits from public.users where id = $1",
        [userId],
      );
      return row?.credits ?? null;
    },
    async hasTrialGrant(userId: string) {
      const rows = await db.admin(
        "select 1 from public.quota_log where user_id = $1 and reason = 'trial'",
        [userId],
      );
      return rows.length > 0;
    },
  };
}

async function trialsOf(db: PgDb, users: string[]): Promise<number> {
  const [{ n }] = await db.admin<{ n: number }>(
    "select count(*)::int as n from public.quota_log where reason = 'trial' and user_id = any($1)",
    [users],
  );
  return n;
}

async function setup(lease?: { ttlSeconds: number; maxWaitMs: number }) {
  const db = pgDb(DATABASE_URL!);
  const apple = fakeDeviceCheck();
  const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const alerts = new RecordingAlerts();
  const handler = deviceCheckHandler({
    auth: fakeAuth,
    db: { ...db, ...reads(db) },
    deviceCheck: deviceCheckClient({
      baseUrl: apple.url,
      teamId: "TEAM123456",
      keyId: "KEY7654321",
      privateKeyPem: await exportPKCS8(keys.privateKey),
    }),
    alerts,
    limits: unlimited,
    lease,
  });
  const claim = async (user: string, token: string) => {
    const res = await handler(post("device-check", { device_token: token }, asUser(user)));
    return { status: res.status, body: await res.json(), headers: res.headers };
  };
  // Trial credits must be on for "exactly one trial" to mean anything.
  const [{ value }] = await db.admin<{ value: unknown }>(
    "select value from private.settings where key = 'trial_credits'",
  );
  await db.admin("update private.settings set value = '10' where key = 'trial_credits'");
  const close = async () => {
    await db.admin("update private.settings set value = $1 where key = 'trial_credits'", [
      JSON.stringify(value),
    ]);
    await apple.close();
    await db.close();
  };
  return { db, apple, alerts, claim, close };
}

const device = () => crypto.randomUUID().replaceAll("-", "");
const tokenOf = (dev: string) => `${dev}_${crypto.randomUUID().replaceAll("-", "")}`;

Deno.test({
  name: "pg device-check: 20 guests racing with one device token get exactly one trial",
  ignore: !DATABASE_URL,
  async fn() {
    const t = await setup();
    try {
      const users = await Promise.all(Array.from({ length: 20 }, () => newUser(t.db)));
      const token = tokenOf(device());
      const answers = await Promise.all(users.map((u) => t.claim(u, token)));
      assert.deepEqual(
        answers.map((a) => a.status),
        Array(20).fill(200),
        JSON.stringify(answers.map((a) => a.body)),
      );
      assert.equal(answers.filter((a) => a.body.granted === true).length, 1, "one granted answer");
      assert.equal(await trialsOf(t.db, users), 1, "exactly one trial in the ledger");
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "pg device-check: 20 guests racing from one device with fresh tokens get exactly one trial",
  ignore: !DATABASE_URL,
  async fn() {
    const t = await setup();
    try {
      const users = await Promise.all(Array.from({ length: 20 }, () => newUser(t.db)));
      const dev = device();
      const answers = await Promise.all(users.map((u) => t.claim(u, tokenOf(dev))));
      assert.ok(answers.every((a) => a.status === 200), JSON.stringify(answers.map((a) => a.body)));
      assert.equal(await trialsOf(t.db, users), 1, "exactly one trial in the ledger");
      // Other devices are not held back by the lease: each gets its trial.
      const others = await Promise.all(Array.from({ length: 3 }, () => newUser(t.db)));
      const more = await Promise.all(others.map((u) => t.claim(u, tokenOf(device()))));
      assert.deepEqual(more.map((a) => a.body.granted), [true, true, true]);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "pg device-check: a deleted user's token is 401 and never burns the device's trial",
  ignore: !DATABASE_URL,
  async fn() {
    const t = await setup();
    try {
      const ghost = await newUser(t.db);
      await t.db.admin("delete from auth.users where id = $1", [ghost]);
      const dev = device();
      const res = await t.claim(ghost, tokenOf(dev)).catch((error) => ({
        status: 500,
        body: { error: String(error) },
        headers: new Headers(),
      }));
      assert.deepEqual(t.apple.calls, [], "Apple is not even asked");
      assert.equal(t.apple.bits.get(dev), undefined, "the device keeps its trial");
      assert.equal(res.status, 401, JSON.stringify(res.body));
      assert.equal(res.body.error.code, "user_not_found");
      // The device's real owner still gets the trial.
      const owner = await newUser(t.db);
      assert.deepEqual((await t.claim(owner, tokenOf(dev))).body, { granted: true, credits: 10 });
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "pg device-check: a claim waits for the trial lease; a crashed holder's lease expires",
  ignore: !DATABASE_URL,
  async fn() {
    const t = await setup({ ttlSeconds: 30, maxWaitMs: 300 });
    const crashed = crypto.randomUUID();
    try {
      // A worker took the lease and died: claims wait, then answer 503 busy.
      assert.equal(await t.db.acquireLease("device_check_trial", crashed, 30), true);
      const user = await newUser(t.db);
      const dev = device();
      const blocked = await t.claim(user, tokenOf(dev));
      assert.equal(blocked.status, 503, JSON.stringify(blocked.body));
      assert.equal(blocked.body.error.code, "busy");
      assert.equal(blocked.headers.get("retry-after"), "2");
      assert.deepEqual(t.apple.calls, [], "nothing was asked of Apple without the lease");

      // Once its time to live has passed, the next claim takes it over.
      await t.db.admin(
        "update private.leases set expires_at = clock_timestamp() - interval '1 second' where name = 'device_check_trial'",
      );
      assert.deepEqual((await t.claim(user, tokenOf(dev))).body, { granted: true, credits: 10 });
      const [lease] = await t.db.admin(
        "select 1 from private.leases where name = 'device_check_trial'",
      );
      assert.equal(lease, undefined, "the lease is released after the claim");
    } finally {
      await t.db.releaseLease("device_check_trial", crashed).catch(() => false);
      await t.close();
    }
  },
});
