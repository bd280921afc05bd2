/**
 * A fake fal.ai: queue API, result files, a JWKS of two keys (fal signs every
 * account's deliveries with its one key set) and Ed25519-signed webhooks,
 * delivered to the callback URL each request was submitted with.
 */
import { sha256Hex, toHex, utf8 } from "../../_shared/crypto.ts";
import { falProvider } from "../../_shared/providers/fal.ts";
import {
  deliveryUrl,
  failureFor,
  type FinishOptions,
  flakyAnswer,
  type ProviderFake,
  type SubmitMode,
  type WebhookOptions,
} from "./common.ts";
import { startServer, VIDEO_BYTES } from "./server.ts";

/** The fal user id of this project's account (FAL_WEBHOOK_USER_ID in the tests). */
export const OUR_FAL_USER = "fal-user-ours";

function base64url(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

async function ed25519(): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
}

/** A delivery exactly as fal would sign it, for any account and request. */
export interface FalDelivery {
  url: string;
  requestId: string;
  /** The signed fal user id (default: ours). */
  userId?: string;
  /** Which key signs: fal's current one, the other entry of its key set, or a stranger's. */
  key?: "current" | "other" | "untrusted";
  status: "OK" | "ERROR";
  videoUrl?: string;
  ageSeconds?: number;
  tamper?: boolean;
}

export type FalFake = ProviderFake & {
  jwksFetches(): number;
  deliver(delivery: FalDelivery): Promise<Request>;
};

export async function startFalFake(): Promise<FalFake> {
  const keys = { current: await ed25519(), other: await ed25519(), untrusted: await ed25519() };
  const jwk = async (pair: CryptoKeyPair) => ({
    kty: "OKP",
    crv: "Ed25519",
    x: base64url(await crypto.subtle.exportKey("raw", pair.publicKey)),
  });
  const jwks = { keys: [await jwk(keys.current), await jwk(keys.other)] };
  const jobs = new Map<string, { state: "IN_PROGRESS" | "OK" | "ERROR"; videoUrl?: string }>();
  const callbacks = new Map<string, string>();
  let submissions = 0;
  let jwksFetches = 0;

  const fake = {
    name: "fal",
    submitMode: "accept" as SubmitMode,
    flakyReads: [] as number[],
    rawFailure: "Invalid status code: 422 (gpu-worker-7 out of memory)",
  } as FalFake;

  const server = startServer(async (req) => {
    if (req.path === "/.well-known/jwks.json") {
      jwksFetches++;
      return Response.json(jwks);
    }
    if (req.path.startsWith("/files/")) return new Response(VIDEO_BYTES);
    const request = /^\/([^/]+)\/([^/]+)\/requests\/([^/]+)(\/status)?$/.exec(req.path);
    if (req.method === "GET" && request) {
      const job = jobs.get(request[3]);
      if (!job) return Response.json({ detail: "not found" }, { status: 404 });
      if (request[4]) {
        return Response.json(
          {
            status: job.state === "IN_PROGRESS" ? "IN_PROGRESS" : "COMPLETED",
            request_id: request[3],
          },
          { status: job.state === "IN_PROGRESS" ? 202 : 200 },
        );
      }
      const flaky = flakyAnswer(fake);
      if (flaky) return flaky;
      if (job.state === "ERROR") {
        return Response.json({ detail: [{ msg: fake.rawFailure }] }, { status: 422 });
      }
      return Response.json({
        video: { url: job.videoUrl ?? `${server.url}/files/${request[3]}.mp4` },
      });
    }
    if (req.method === "POST") {
      submissions++;
      if (req.headers.get("authorization") !== "Key test-fal-key") {
        return Response.json({ detail: "unauthorized" }, { status: 401 });
      }
      const failure = await failureFor(fake.submitMode, server, req);
      if (failure) return failure;
      const id = crypto.randomUUID();
      jobs.set(id, { state: "IN_PROGRESS" });
      const callback = req.search.get("fal_webhook");
      if (callback) callbacks.set(id, callback);
      const [owner, app] = req.path.slice(1).split("/");
      const base = `${server.url}/${owner}/${app}/requests/${id}`;
      return Response.json({
        status: "IN_QUEUE",
        request_id: id,
        status_url: `${base}/status`,
        response_url: base,
        cancel_url: `${base}/cancel`,
      });
    }
    return Response.json({ detail: "no route" }, { status: 404 });
  });

  async function deliver(d: FalDelivery): Promise<Request> {
    const payload = d.status === "OK"
      ? {
        request_id: d.requestId,
        status: "OK",
        payload: { video: { url: d.videoUrl ?? `${server.url}/files/${d.requestId}.mp4` } },
      }
      : {
        request_id: d.requestId,
        status: "ERROR",
        error: fake.rawFailure,
        payload: { detail: [{ msg: fake.rawFailure }] },
      };
    const body = JSON.stringify(payload);
    const timestamp = String(Math.floor(Date.now() / 1000) - (d.ageSeconds ?? 0));
    const userId = d.userId ?? OUR_FAL_USER;
    const message = utf8(`${d.requestId}\n${userId}\n${timestamp}\n${await sha256Hex(utf8(body))}`);
    const signer = keys[d.key ?? "current"].privateKey;
    const signature = toHex(await crypto.subtle.sign("Ed25519", signer, message));
    return new Request(d.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-fal-webhook-request-id": d.requestId,
        "x-fal-webhook-user-id": userId,
        "x-fal-webhook-timestamp": timestamp,
        "x-fal-webhook-signature": signature,
      },
      body: d.tamper ? body.replace(d.requestId, `${d.requestId}-x`) : body,
    });
  }

  Object.assign(fake, {
    server,
    provider: falProvider({
      apiKey: "test-fal-key",
      queueUrl: server.url,
      jwksUrl: `${server.url}/.well-known/jwks.json`,
      webhookUserId: OUR_FAL_USER,
      readRetry: { attempts: 3, backoffMs: 1 },
      fetch,
      now: () => new Date(),
    }),
    submissions: () => submissions,
    jwksFetches: () => jwksFetches,
    callbackOf: (id: string) => callbacks.get(id),
    finish(id: string, result: "succeeded" | "failed", options: FinishOptions = {}) {
      jobs.set(id, { state: result === "succeeded" ? "OK" : "ERROR", videoUrl: options.videoUrl });
    },
    deliver,
    async webhook(id: string, result: "succeeded" | "failed", options: WebhookOptions = {}) {
      fake.finish(id, result, { videoUrl: options.videoUrl });
      return await deliver({
        url: deliveryUrl("fal", callbacks.get(id), options),
        requestId: id,
        key: options.wrongKey ? "untrusted" : "current",
        status: result === "succeeded" ? "OK" : "ERROR",
        videoUrl: options.videoUrl,
        ageSeconds: options.ageSeconds,
        tamper: options.tamper,
      });
    },
    close: () => server.close(),
  });
  return fake;
}
