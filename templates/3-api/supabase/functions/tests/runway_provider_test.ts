/** Runway adapter: endpoints per input, pixel ratios, version header, task states. */
import assert from "node:assert/strict";
import { startRunwayFake } from "./fakes/runway.ts";

Deno.test("runway: image → image_to_video, text → text_to_video, ratios in pixels", async () => {
  const fake = startRunwayFake();
  try {
    await fake.provider.submit("gen4_turbo", {
      prompt: "p",
      image_url: "https://example.com/i.png",
      aspect_ratio: "9:16",
    }, {});
    await fake.provider.submit("veo3.1_fast", { prompt: "p", duration: 4 }, {});
    const [i2v, t2v] = fake.server.requests;
    assert.equal(i2v.path, "/v1/image_to_video");
    assert.deepEqual(JSON.parse(i2v.body), {
      model: "gen4_turbo",
      promptText: "p",
      ratio: "720:1280",
      duration: 5,
      promptImage: "https://example.com/i.png",
    });
    assert.equal(t2v.path, "/v1/text_to_video");
    assert.deepEqual(JSON.parse(t2v.body), {
      model: "veo3.1_fast",
      promptText: "p",
      ratio: "1280:720",
      duration: 4,
    });
    assert.equal(i2v.headers.get("x-runway-version"), "2024-11-06");
  } finally {
    await fake.close();
  }
});

Deno.test("runway: FAILED carries the failure code; RUNNING is pending", async () => {
  const fake = startRunwayFake();
  try {
    const task = await fake.provider.submit("veo3.1_fast", { prompt: "p" }, {});
    const ref = { modelId: "veo3.1_fast", providerJobId: task.id };
    assert.deepEqual(await fake.provider.status(ref), { state: "processing" });
    fake.finish(task.id, "failed");
    assert.deepEqual(await fake.provider.status(ref), {
      state: "failed",
      error: `runway: ${fake.rawFailure} (SAFETY.INPUT)`,
    });
  } finally {
    await fake.close();
  }
});
