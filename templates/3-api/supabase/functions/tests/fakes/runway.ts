/** A fake Runway API: tasks, result files; checks the version header on every call. */
import { RUNWAY_VERSION, runwayProvider } from "../../_shared/providers/runway.ts";
import {
  failureFor,
  type FinishOptions,
  flakyAnswer,
  type ProviderFake,
  type SubmitMode,
} from "./common.ts";
import { startServer, VIDEO_BYTES } from "./server.ts";

export function startRunwayFake(): ProviderFake {
  const tasks = new Map<
    string,
    { status: "RUNNING" | "SUCCEEDED" | "FAILED"; videoUrl?: string }
  >();
  let submissions = 0;
  const fake = {
    name: "runway",
    submitMode: "accept" as SubmitMode,
    flakyReads: [] as number[],
    rawFailure: "Content moderation flagged frame 12 (model gen4-2025-11, node eu-3)",
  } as ProviderFake;

  const server = startServer(async (req) => {
    if (req.path.startsWith("/files/")) return new Response(VIDEO_BYTES);
    if (
      req.headers.get("x-runway-version") !== RUNWAY_VERSION ||
      req.headers.get("authorization") !== "Bearer test-runway-key"
    ) {
      return Response.json({ error: "bad version or key" }, { status: 400 });
    }
    const task = /^\/v1\/tasks\/([^/]+)$/.exec(req.path);
    if (req.method === "GET" && task) {
      const t = tasks.get(task[1]);
      if (!t) return Response.json({ error: "not found" }, { status: 404 });
      const flaky = flakyAnswer(fake);
      if (flaky) return flaky;
      return Response.json({
        id: task[1],
        status: t.status,
        ...(t.status === "SUCCEEDED"
          ? { output: [t.videoUrl ?? `${server.url}/files/${task[1]}.mp4`] }
          : {}),
        ...(t.status === "FAILED" ? { failure: fake.rawFailure, failureCode: "SAFETY.INPUT" } : {}),
      });
    }
    if (req.method === "POST" && /^\/v1\/(image|text)_to_video$/.test(req.path)) {
      submissions++;
      const failure = await failureFor(fake.submitMode, server, req);
      if (failure) return failure;
      const id = crypto.randomUUID();
      tasks.set(id, { status: "RUNNING" });
      return Response.json({ id });
    }
    return Response.json({ error: "no route" }, { status: 404 });
  });

  Object.assign(fake, {
    server,
    provider: runwayProvider({
      apiKey: "test-runway-key",
      apiUrl: server.url,
      readRetry: { attempts: 3, backoffMs: 1 },
      fetch,
    }),
    submissions: () => submissions,
    finish(id: string, result: "succeeded" | "failed", options: FinishOptions = {}) {
      tasks.set(id, {
        status: result === "succeeded" ? "SUCCEEDED" : "FAILED",
        videoUrl: options.videoUrl,
      });
    },
    close: () => server.close(),
  });
  return fake;
}
