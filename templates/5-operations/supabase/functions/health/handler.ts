/**
 * GET /health: is the database answering, and which integrations are
 * configured. Integrations are reported by name only (true/false), never
 * with their keys, so the endpoint can stay public for uptime monitors.
 */
import { json, requireMethod, respond } from "../_shared/http.ts";
import { logger } from "../_shared/log.ts";

export interface HealthDeps {
  /** Resolves when the database answered a cheap query; rejects otherwise. */
  pingDatabase(): Promise<void>;
  /** Integration name → configured (its secret is set). */
  integrations(): Record<string, boolean>;
  /** How long the database may take before it counts as down. */
  timeoutMs?: number;
}

/** Resolves true when `task` succeeds within `ms`, false when it fails or is late. */
async function answersWithin(task: () => Promise<void>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    const answered = task().then(() => true, (error) => {
      logger().warn("database ping failed", { error });
      return false;
    });
    return await Promise.race([answered, late]);
  } finally {
    clearTimeout(timer);
  }
}

export function healthHandler(deps: HealthDeps): (req: Request) => Promise<Response> {
  return (req) =>
    respond(req, async () => {
      requireMethod(req, "GET", "HEAD");
      const up = await answersWithin(deps.pingDatabase, deps.timeoutMs ?? 3_000);
      const integrations = deps.integrations();
      const headers = { "cache-control": "no-store" };
      if (up) return json({ ok: true, database: "ok", integrations }, 200, headers);
      return json(
        {
          ok: false,
          database: "unavailable",
          integrations,
          error: { code: "database_unavailable", message: "The database did not answer." },
        },
        503,
        headers,
      );
    });
}
