/** Replicate adapter: model and version endpoints, webhook filter, prediction states. */
import assert from "node:assert/strict";
import { startReplicateFake } from "./fakes/replicate.ts";

Deno.test("replicate: official models and pinned versions use their own endpoints", async () => {
  const fake = startReplicateFake();
  try {
    await fake.provider.submit("kwaivgi/kling-v2.1", {
      prompt: "p",
      image_url: "https://example.com/i.png",
      duration: 10,
    }, { webhookUrl: "https://x.test/replicate-webhook?job=1" });
    await fake.provider.submit("owner/model:abc123", { prompt: "p" }, {});
    const [official, pinned] = fake.server.requests;
    assert.equal(official.path, "/models/kwaivgi/kling-v2.1/predictions");
    assert.deepEqual(JSON.parse(official.body), {
      input: { prompt: "p", start_image: "https://example.com/i.png", duration: 10 },
      webhook: "https://x.test/replicate-webhook?job=1",
      webhook_events_filter: ["completed"],
    });
    assert.equal(pinned.path, "/predictions");
    assert.deepEqual(JSON.parse(pinned.body), { version: "abc123", input: { prompt: "p" } });
  } finally {
    await fake.close();
  }
});

Deno.test("replicate: a failed prediction carries its error", async () => {
  const fake = startReplicateFake();
  try {
    const job = await fake.provider.submit("minimax/video-01", { prompt: "p" }, {});
    const ref = { modelId: "minimax/video-01", providerJobId: job.id };
    assert.deepEqual(await fake.provider.status(ref), { state: "processing" });
    fake.finish(job.id, "failed");
    assert.deepEqual(await fake.provider.status(ref), {
      state: "failed",
      error: `replicate: ${fake.rawFailure}`,
    });
  } finally {
    await fake.close();
  }
});
