/**
 * A fake Replicate: predictions, result files and Standard Webhooks
 * signatures, delivered to the webhook URL each prediction was created with.
 */
import { toBase64, utf8 } from "../../_shared/crypto.ts";
import { replicateProvider } from "../../_shared/providers/replicate.ts";
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

function newSecret(): string {
  return `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(24)))}`;
}

async function sign(secret: string, id: string, timestamp: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    Uint8Array.from(atob(secret.slice("whsec_".length)), (c) => c.charCodeAt(0)),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return toBase64(await crypto.subtle.sign("HMAC", key, utf8(`${id}.${timestamp}.${body}`)));
}

export function startReplicateFake(): ProviderFake {
  const secret = newSecret();
  const predictions = new Map<
    string,
    { status: "processing" | "succeeded" | "failed"; videoUrl?: string }
  >();
  const callbacks = new Map<string, string>();
  let submissions = 0;
  const fake = {
    name: "replicate",
    submitMode: "accept" as SubmitMode,
    flakyReads: [] as number[],
    rawFailure: "NSFW content detected (safety checker v3 on a100-node-12)",
  } as ProviderFake;

  const prediction = (id: string) => {
    const p = predictions.get(id) ?? { status: "processing" };
    return {
      id,
      status: p.status,
      output: p.status === "succeeded" ? (p.videoUrl ?? `${server.url}/files/${id}.mp4`) : null,
      error: p.status === "failed" ? fake.rawFailure : null,
    };
  };

  const server = startServer(async (req) => {
    if (req.path.startsWith("/files/")) return new Response(VIDEO_BYTES);
    if (req.headers.get("authorization") !== "Bearer test-replicate-token") {
      return Response.json({ detail: "unauthenticated" }, { status: 401 });
    }
    const get = /^\/predictions\/([^/]+)$/.exec(req.path);
    if (req.method === "GET" && get) {
      if (!predictions.has(get[1])) return Response.json({ detail: "not found" }, { status: 404 });
      return flakyAnswer(fake) ?? Response.json(prediction(get[1]));
    }
    if (req.method === "POST" && /^\/(models\/[^/]+\/[^/]+\/)?predictions$/.test(req.path)) {
      submissions++;
      const failure = await failureFor(fake.submitMode, server, req);
      if (failure) return failure;
      const id = crypto.randomUUID().replaceAll("-", "").slice(0, 26);
      predictions.set(id, { status: "processing" });
      const webhook = JSON.parse(req.body).webhook;
      if (typeof webhook === "string") callbacks.set(id, webhook);
      return Response.json({ ...prediction(id), status: "starting" }, { status: 201 });
    }
    return Response.json({ detail: "no route" }, { status: 404 });
  });

  Object.assign(fake, {
    server,
    provider: replicateProvider({
      apiToken: "test-replicate-token",
      webhookSecret: secret,
      apiUrl: server.url,
      readRetry: { attempts: 3, backoffMs: 1 },
      fetch,
      now: () => new Date(),
    }),
    submissions: () => submissions,
    callbackOf: (id: string) => callbacks.get(id),
    finish(id: string, result: "succeeded" | "failed", options: FinishOptions = {}) {
      predictions.set(id, { status: result, videoUrl: options.videoUrl });
    },
    async webhook(id: string, result: "succeeded" | "failed", options: WebhookOptions = {}) {
      fake.finish(id, result, { videoUrl: options.videoUrl });
      const body = JSON.stringify(prediction(id));
      const webhookId = `msg_${crypto.randomUUID()}`;
      const timestamp = String(Math.floor(Date.now() / 1000) - (options.ageSeconds ?? 0));
      const signature = await sign(
        options.wrongKey ? newSecret() : secret,
        webhookId,
        timestamp,
        body,
      );
      return new Request(deliveryUrl("replicate", callbacks.get(id), options), {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "webhook-id": webhookId,
          "webhook-timestamp": timestamp,
          "webhook-signature": `v1,${signature}`,
        },
        body: options.tamper ? body.replace(result, "succeeded ") : body,
      });
    },
    close: () => server.close(),
  });
  return fake;
}
