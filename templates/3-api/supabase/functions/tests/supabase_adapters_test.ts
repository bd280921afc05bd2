/**
 * The production adapters (auth.getClaims, rpc, Storage) with the real
 * supabase-js, against a fake Supabase API on 127.0.0.1: what reaches the
 * wire, how errors come back, and that only a valid user token is a caller.
 */
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { supabaseAuth } from "../_shared/auth.ts";
import { toBase64 } from "../_shared/crypto.ts";
import { DbError, supabaseDb } from "../_shared/db.ts";
import { supabaseStorage } from "../_shared/storage.ts";
import { startServer, VIDEO_BYTES } from "./fakes/server.ts";

const SERVICE_KEY = "test-service-role-key";

function b64url(data: Uint8Array | ArrayBuffer | string): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : new Uint8Array(data);
  return toBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

async function es256(): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
}

async function jwt(key: CryptoKey, kid: string, claims: Record<string, unknown>): Promise<string> {
  const head = b64url(JSON.stringify({ alg: "ES256", typ: "JWT", kid }));
  const body = b64url(JSON.stringify(claims));
  const signature = await crypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    key,
    new TextEncoder().encode(`${head}.${body}`),
  );
  return `${head}.${body}.${b64url(signature)}`;
}

const client = (url: string) =>
  createClient(url, SERVICE_KEY, { auth: { persistSession: false, autoRefreshToken: false } });

Deno.test("supabaseAuth: only an unexpired user token signed by the project's key is a caller", async () => {
  const project = await es256();
  const attacker = await es256();
  const kid = "project-key-1";
  const jwk = { ...(await crypto.subtle.exportKey("jwk", project.publicKey)), kid, alg: "ES256" };
  const server = startServer((req) => {
    if (req.path === "/auth/v1/.well-known/jwks.json") return Response.json({ keys: [jwk] });
    // Anything else (e.g. /auth/v1/user for symmetric tokens) is refused.
    return Response.json({ msg: "invalid JWT" }, { status: 401 });
  });
  try {
    const auth = supabaseAuth(client(server.url));
    const now = Math.floor(Date.now() / 1000);
    const user = crypto.randomUUID();
    const claims = {
      sub: user,
      role: "authenticated",
      is_anonymous: true,
      iat: now,
      exp: now + 600,
    };

    assert.deepEqual(await auth.verify(await jwt(project.privateKey, kid, claims)), {
      userId: user,
      isAnonymous: true,
    });
    assert.equal(await auth.verify(await jwt(attacker.privateKey, kid, claims)), null);
    assert.equal(
      await auth.verify(await jwt(project.privateKey, kid, { ...claims, exp: now - 10 })),
      null,
    );
    assert.equal(
      await auth.verify(
        await jwt(project.privateKey, kid, { role: "anon", iat: now, exp: now + 600 }),
      ),
      null,
      "an API key is not a user",
    );
    assert.equal(await auth.verify("not-a-jwt"), null);
  } finally {
    await server.close();
  }
});

Deno.test("supabaseDb: rpc goes out as the service role; contract errors become DbError", async () => {
  const server = startServer((req) => {
    if (req.path === "/rest/v1/rpc/create_video_job") {
      return Response.json({
        code: "P0001",
        details: null,
        hint: null,
        message: "insufficient_credits: need 10, have 2",
      }, { status: 400 });
    }
    if (req.path === "/rest/v1/rpc/record_webhook_event") return Response.json(true);
    if (req.path === "/rest/v1/rpc/fail_video_job") {
      return Response.json({ code: "XX000", message: "connection reset" }, { status: 500 });
    }
    return Response.json([]);
  });
  try {
    const db = supabaseDb(client(server.url));
    const error = await db.createVideoJob({
      userId: crypto.randomUUID(),
      modelId: "m",
      idempotencyKey: "key-12345",
      input: { prompt: "p" },
    }).catch((e) => e);
    assert.ok(error instanceof DbError);
    assert.equal(error.code, "insufficient_credits");
    const sent = server.requests.find((r) => r.path === "/rest/v1/rpc/create_video_job")!;
    assert.deepEqual(Object.keys(JSON.parse(sent.body)).sort(), [
      "p_idempotency_key",
      "p_input",
      "p_model_id",
      "p_user_id",
    ]);
    assert.equal(sent.headers.get("authorization"), `Bearer ${SERVICE_KEY}`);

    assert.equal(await db.recordWebhookEvent("submission", "job-1"), true);
    const other = await db.failVideoJob(crypto.randomUUID(), "x").catch((e) => e);
    assert.ok(!(other instanceof DbError), "an unexpected database error stays unexpected");
    assert.equal(await db.getJob(crypto.randomUUID()), null);
  } finally {
    await server.close();
  }
});

Deno.test("supabaseStorage: streams the video into the private bucket, deletes it, signs it", async () => {
  const uploads: { path: string; type: string | null; upsert: string | null; body: string }[] = [];
  const deletes: unknown[] = [];
  const server = startServer((req) => {
    if (req.method === "POST" && req.path.startsWith("/storage/v1/object/sign/")) {
      const path = req.path.slice("/storage/v1/object/sign/".length);
      return Response.json({ signedURL: `/object/sign/${path}?token=t0k3n` });
    }
    if (req.method === "DELETE" && req.path === "/storage/v1/object/videos") {
      deletes.push(JSON.parse(req.body));
      return Response.json([]);
    }
    if (req.method === "POST" && req.path.startsWith("/storage/v1/object/")) {
      uploads.push({
        path: req.path.slice("/storage/v1/object/".length),
        type: req.headers.get("content-type"),
        upsert: req.headers.get("x-upsert"),
        body: req.body,
      });
      return Response.json({ Key: req.path });
    }
    return Response.json({ error: "no route" }, { status: 404 });
  });
  try {
    const storage = supabaseStorage(client(server.url));
    // A body that arrives in pieces, as a download does.
    const chunks = [VIDEO_BYTES.slice(0, 8), VIDEO_BYTES.slice(8)];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    await storage.saveVideo("videos/user-1/job-1.mp4", { body, size: null, failure: () => null });
    assert.equal(uploads.length, 1);
    assert.equal(uploads[0].path, "videos/user-1/job-1.mp4");
    assert.equal(uploads[0].type, "video/mp4");
    assert.equal(uploads[0].upsert, "true", "a retried copy overwrites instead of failing");
    assert.equal(uploads[0].body, new TextDecoder().decode(VIDEO_BYTES), "every byte arrived");

    await storage.removeVideo("videos/user-1/job-1.mp4");
    assert.deepEqual(deletes, [{ prefixes: ["user-1/job-1.mp4"] }]);

    const url = await storage.signedUrl("videos/user-1/job-1.mp4", 3600);
    assert.equal(url, `${server.url}/storage/v1/object/sign/videos/user-1/job-1.mp4?token=t0k3n`);
    const sign = server.requests.find((r) => r.path.startsWith("/storage/v1/object/sign/"))!;
    assert.deepEqual(JSON.parse(sign.body), { expiresIn: 3600 });
  } finally {
    await server.close();
  }
});
