/** A fake Runway API: tasks, result files; checks the version header on every call. */
import { RUNWAY_VERSION, runwayProvider } from "../../_shared/providers/runway.ts";
import { failureFor, type ProviderFake, type SubmitMode } from "./common.ts";
import { startServer, VIDEO_BYTES } from "./server.ts";

export function startRunwayFake(): ProviderFake {
  const tasks = new Map<string, "RUNNING" | "SUCCEEDED" | "FAILED">();
  let submissions = 0;
  const fake = { name: "runway", submitMode: "accept" as SubmitMode } as ProviderFake;

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
      const status = tasks.get(task[1]);
      if (!status) return Response.json({ error: "not found" }, { status: 404 });
      return Response.json({
        id: task[1],
        status,
        ...(status === "SUCCEEDED" ? { output: [`${server.url}/files/${task[1]}.mp4`] } : {}),
        ...(status === "FAILED"
          ? { failure: "Content moderation", failureCode: "SAFETY.INPUT" }
          : {}),
      });
    }
    if (req.method === "POST" && /^\/v1\/(image|text)_to_video$/.test(req.path)) {
      submissions++;
      const failure = await failureFor(fake.submitMode, server);
      if (failure) return failure;
      const id = crypto.randomUUID();
      tasks.set(id, "RUNNING");
      return Response.json({ id });
    }
    return Response.json({ error: "no route" }, { status: 404 });
  });

  Object.assign(fake, {
    server,
    provider: runwayProvider({ apiKey: "test-runway-key", apiUrl: server.url, fetch }),
    submissions: () => submissions,
    finish(id: string, result: "succeeded" | "failed") {
      tasks.set(id, result === "succeeded" ? "SUCCEEDED" : "FAILED");
    },
    close: () => server.close(),
  });
  return fake;
}
