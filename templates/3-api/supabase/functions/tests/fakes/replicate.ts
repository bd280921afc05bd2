/** A fake Replicate: predictions, result files and Standard Webhooks signatures. */
import { toBase64, utf8 } from "../../_shared/crypto.ts";
import { replicateProvider } from "../../_shared/providers/replicate.ts";
import { failureFor, type ProviderFake, type SubmitMode, type WebhookOptions } from "./common.ts";
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
  const predictions = new Map<string, "processing" | "succeeded" | "failed">();
  let submissions = 0;
  const fake = { name: "replicate", submitMode: "accept" as SubmitMode } as ProviderFake;

  const prediction = (id: string) => {
    const status = predictions.get(id) ?? "processing";
    return {
      id,
      status,
      output: status === "succeeded" ? `${server.url}/files/${id}.mp4` : null,
      error: status === "failed" ? "NSFW content detected" : null,
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
      return Response.json(prediction(get[1]));
    }
    if (req.method === "POST" && /^\/(models\/[^/]+\/[^/]+\/)?predictions$/.test(req.path)) {
      submissions++;
      const failure = await failureFor(fake.submitMode, server);
      if (failure) return failure;
      const id = crypto.randomUUID().replaceAll("-", "").slice(0, 26);
      predictions.set(id, "processing");
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
      fetch,
      now: () => new Date(),
    }),
    submissions: () => submissions,
    finish(id: string, result: "succeeded" | "failed") {
      predictions.set(id, result);
    },
    async webhook(id: string, result: "succeeded" | "failed", options: WebhookOptions = {}) {
      fake.finish(id, result);
      const body = JSON.stringify(prediction(id));
      const webhookId = `msg_${crypto.randomUUID()}`;
      const timestamp = String(Math.floor(Date.now() / 1000) - (options.ageSeconds ?? 0));
      const signature = await sign(
        options.wrongKey ? newSecret() : secret,
        webhookId,
        timestamp,
        body,
      );
      const query = options.jobHint ? `?job=${options.jobHint}` : "";
      return new Request(`http://functions.local/replicate-webhook${query}`, {
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
