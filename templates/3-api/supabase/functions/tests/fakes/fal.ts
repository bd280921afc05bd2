/** A fake fal.ai: queue API, result files, JWKS and Ed25519-signed webhooks. */
import { sha256Hex, toHex, utf8 } from "../../_shared/crypto.ts";
import { falProvider } from "../../_shared/providers/fal.ts";
import { failureFor, type ProviderFake, type SubmitMode, type WebhookOptions } from "./common.ts";
import { startServer, VIDEO_BYTES } from "./server.ts";

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

export async function startFalFake(): Promise<ProviderFake & { jwksFetches(): number }> {
  const trusted = await ed25519();
  const untrusted = await ed25519();
  const x = base64url(await crypto.subtle.exportKey("raw", trusted.publicKey));
  const jobs = new Map<string, "IN_PROGRESS" | "OK" | "ERROR">();
  let submissions = 0;
  let jwksFetches = 0;

  const fake = {
    name: "fal",
    submitMode: "accept" as SubmitMode,
  } as ProviderFake & { jwksFetches(): number };

  const server = startServer(async (req) => {
    if (req.path === "/.well-known/jwks.json") {
      jwksFetches++;
      return Response.json({ keys: [{ kty: "OKP", crv: "Ed25519", x }] });
    }
    if (req.path.startsWith("/files/")) return new Response(VIDEO_BYTES);
    const request = /^\/([^/]+)\/([^/]+)\/requests\/([^/]+)(\/status)?$/.exec(req.path);
    if (req.method === "GET" && request) {
      const state = jobs.get(request[3]);
      if (!state) return Response.json({ detail: "not found" }, { status: 404 });
      if (request[4]) {
        return Response.json(
          { status: state === "IN_PROGRESS" ? "IN_PROGRESS" : "COMPLETED", request_id: request[3] },
          { status: state === "IN_PROGRESS" ? 202 : 200 },
        );
      }
      if (state === "ERROR") {
        return Response.json({ detail: [{ msg: "generation failed" }] }, { status: 422 });
      }
      return Response.json({ video: { url: `${server.url}/files/${request[3]}.mp4` } });
    }
    if (req.method === "POST") {
      submissions++;
      if (req.headers.get("authorization") !== "Key test-fal-key") {
        return Response.json({ detail: "unauthorized" }, { status: 401 });
      }
      const failure = await failureFor(fake.submitMode, server);
      if (failure) return failure;
      const id = crypto.randomUUID();
      jobs.set(id, "IN_PROGRESS");
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

  Object.assign(fake, {
    server,
    provider: falProvider({
      apiKey: "test-fal-key",
      queueUrl: server.url,
      jwksUrl: `${server.url}/.well-known/jwks.json`,
      fetch,
      now: () => new Date(),
    }),
    submissions: () => submissions,
    jwksFetches: () => jwksFetches,
    finish(id: string, result: "succeeded" | "failed") {
      jobs.set(id, result === "succeeded" ? "OK" : "ERROR");
    },
    async webhook(id: string, result: "succeeded" | "failed", options: WebhookOptions = {}) {
      fake.finish(id, result);
      const payload = result === "succeeded"
        ? {
          request_id: id,
          status: "OK",
          payload: { video: { url: `${server.url}/files/${id}.mp4` } },
        }
        : {
          request_id: id,
          status: "ERROR",
          error: "Invalid status code: 422",
          payload: { detail: [] },
        };
      const body = JSON.stringify(payload);
      const timestamp = String(Math.floor(Date.now() / 1000) - (options.ageSeconds ?? 0));
      const userId = "fal-user-1";
      const message = utf8(`${id}\n${userId}\n${timestamp}\n${await sha256Hex(utf8(body))}`);
      const key = (options.wrongKey ? untrusted : trusted).privateKey;
      const signature = toHex(await crypto.subtle.sign("Ed25519", key, message));
      const sent = options.tamper ? body.replace(id, `${id}-x`) : body;
      const query = options.jobHint ? `?job=${options.jobHint}` : "";
      return new Request(`http://functions.local/fal-webhook${query}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-fal-webhook-request-id": id,
          "x-fal-webhook-user-id": userId,
          "x-fal-webhook-timestamp": timestamp,
          "x-fal-webhook-signature": signature,
        },
        body: sent,
      });
    },
    close: () => server.close(),
  });
  return fake;
}
