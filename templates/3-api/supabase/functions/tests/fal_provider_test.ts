/** fal adapter: status URLs, COMPLETED that is not success, model input mapping. */
import assert from "node:assert/strict";
import { falProvider } from "../_shared/providers/fal.ts";
import { startFalFake } from "./fakes/fal.ts";
import { startServer } from "./fakes/server.ts";

Deno.test("fal: COMPLETED with an error result is a failure; a video result is success", async () => {
  const fake = await startFalFake();
  try {
    const model = "fal-ai/kling-video/v2.1/standard/image-to-video";
    const input = { prompt: "p", image_url: "https://example.com/i.png", duration: 10 };
    const ok = await fake.provider.submit(model, input, {});
    const bad = await fake.provider.submit(model, input, {});
    assert.ok(ok.statusUrl?.startsWith(`${fake.server.url}/fal-ai/kling-video/requests/`));
    const sent = JSON.parse(fake.server.requests.find((r) => r.method === "POST")!.body);
    assert.deepEqual(sent, { prompt: "p", image_url: "https://example.com/i.png", duration: "10" });

    assert.deepEqual(await fake.provider.status({ modelId: model, providerJobId: ok.id }), {
      state: "processing",
    });
    fake.finish(ok.id, "succeeded");
    fake.finish(bad.id, "failed");
    const done = await fake.provider.status({
      modelId: model,
      providerJobId: ok.id,
      statusUrl: ok.statusUrl,
    });
    assert.deepEqual(done, {
      state: "succeeded",
      videoUrl: `${fake.server.url}/files/${ok.id}.mp4`,
    });
    const failed = await fake.provider.status({ modelId: model, providerJobId: bad.id });
    assert.equal(failed.state, "failed");
  } finally {
    await fake.close();
  }
});

Deno.test("fal: a status URL on another host is not trusted with the API key", async () => {
  const fake = await startFalFake();
  const elsewhere = startServer(() => Response.json({ status: "COMPLETED" }));
  try {
    const model = "fal-ai/minimax/video-01";
    const job = await fake.provider.submit(model, { prompt: "p" }, {});
    await fake.provider.status({
      modelId: model,
      providerJobId: job.id,
      statusUrl: `${elsewhere.url}/fal-ai/minimax/requests/${job.id}/status`,
    });
    assert.equal(elsewhere.requests.length, 0);
  } finally {
    await elsewhere.close();
    await fake.close();
  }
});

Deno.test("fal: veo3 durations and aspect ratios use fal's own formats", async () => {
  const seen: unknown[] = [];
  const server = startServer((req) => {
    seen.push(JSON.parse(req.body));
    return Response.json({ request_id: "r1" });
  });
  try {
    const provider = falProvider({
      apiKey: "k",
      queueUrl: server.url,
      jwksUrl: `${server.url}/jwks`,
      webhookUserId: "fal-user-ours",
      fetch,
      now: () => new Date(),
    });
    await provider.submit("fal-ai/veo3/fast", { prompt: "p", duration: 8, aspect_ratio: "9:16" }, {
      webhookUrl: "https://x.test/fal-webhook?job=1",
    });
    assert.deepEqual(seen[0], { prompt: "p", duration: "8s", aspect_ratio: "9:16" });
    assert.equal(server.requests[0].path, "/fal-ai/veo3/fast");
    assert.equal(server.requests[0].search.get("fal_webhook"), "https://x.test/fal-webhook?job=1");
  } finally {
    await server.close();
  }
});
