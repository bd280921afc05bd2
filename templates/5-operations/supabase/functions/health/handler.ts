/**
 * GET /health: is the database answering, and which integrations are
 * configured. Integrations are reported by name only (true/false), never
 * with their keys, so the endpoint can stay public for uptime monitors.
 */
import { alertOf, type Alerts } from "../_shared/alerts.ts";
import { json, requireMethod, respond } from "../_shared/http.ts";
import { logger } from "../_shared/log.ts";

export interface HealthDeps {
  /** Resolves when the database answered a cheap query; rejects otherwise. */
  pingDatabase(): Promise<void>;
  /** Integration name → configured (its secret is set). */
  integrations(): Record<string, boolean>;
  /** Told when the database is down, so the operator hears it first. */
  alerts: Alerts;
  /** How long the database may take before it counts as down. */
  timeoutMs?: number;
}

/** Why the database counts as down, or null when it answered within `ms`. */
async function downReason(ping: () => Promise<void>, ms: number): Promise<string | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${ms} ms`), ms);
  });
  try {
    const answered = ping().then(() => null, (error) => {
      logger().warn("database ping failed", { error });
      return error instanceof Error ? error.message : String(error);
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
      const down = await downReason(deps.pingDatabase, deps.timeoutMs ?? 3_000);
      const integrations = deps.integrations();
      const headers = { "cache-control": "no-store" };
      if (down === null) return json({ ok: true, database: "ok", integrations }, 200, headers);
      deps.alerts.alert(...alertOf.databaseUnavailable(down));
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
