/**
 * GET /health: is the database answering.
 *
 * The endpoint is public (uptime monitors call it without a key), so the
 * public answer is only `{ok: true}` (200) or `{ok: false}` (503). The
 * details (database state, which integrations are configured, by name and
 * true/false only) are shown to callers that present the service role key
 * (`Authorization: Bearer <key>` or `apikey: <key>`).
 *
 * A database outage alerts the operator, but at most once per
 * `alertIntervalMs` per worker, whoever calls: anyone can call /health, and
 * an anonymous caller must not be able to page the operator on every request.
 */
import { alertOf, type Alerts } from "../_shared/alerts.ts";
import { bearerToken } from "../_shared/auth.ts";
import { json, requireMethod, respond } from "../_shared/http.ts";
import { logger } from "../_shared/log.ts";
import type { Healthy, Unhealthy } from "./contract.ts";

export interface HealthDeps {
  /** Resolves when the database answered a cheap query; rejects otherwise. */
  pingDatabase(): Promise<void>;
  /** Integration name → configured (its secret is set). */
  integrations(): Record<string, boolean>;
  /** Told when the database is down, so the operator hears it first. */
  alerts: Alerts;
  /** Whether the request may see the details (it carries the service role key). */
  isOperator(req: Request): Promise<boolean>;
  /** How long the database may take before it counts as down. */
  timeoutMs?: number;
  /** At most one database alert per this many ms (per worker); default 5 minutes. */
  alertIntervalMs?: number;
  now?: () => number;
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

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/**
 * `isOperator` for production: the request carries `key` (the service role
 * key) as a bearer token or `apikey` header. Compared through SHA-256 digests,
 * so the time taken says nothing about the key.
 */
export function carriesKey(key: string): (req: Request) => Promise<boolean> {
  const expected = key === "" ? undefined : sha256(key);
  return async (req) => {
    if (!expected) return false;
    const want = await expected;
    for (const given of [bearerToken(req), req.headers.get("apikey")]) {
      if (!given) continue;
      const got = await sha256(given);
      let diff = 0;
      for (let i = 0; i < got.length; i++) diff |= got[i] ^ want[i];
      if (diff === 0) return true;
    }
    return false;
  };
}

export function healthHandler(deps: HealthDeps): (req: Request) => Promise<Response> {
  const now = deps.now ?? Date.now;
  const alertIntervalMs = deps.alertIntervalMs ?? 5 * 60_000;
  let lastAlertAt = -Infinity;
  return (req) =>
    respond(req, async () => {
      requireMethod(req, "GET", "HEAD");
      const down = await downReason(deps.pingDatabase, deps.timeoutMs ?? 3_000);
      const headers = { "cache-control": "no-store" };
      if (down !== null && now() - lastAlertAt >= alertIntervalMs) {
        lastAlertAt = now();
        deps.alerts.alert(...alertOf.databaseUnavailable(down));
      }
      const status = down === null ? 200 : 503;
      const answer = (body: Healthy | Unhealthy) => json(body, status, headers);
      if (!(await deps.isOperator(req))) {
        return answer(down === null ? { ok: true } : { ok: false });
      }
      const integrations = deps.integrations();
      if (down === null) return answer({ ok: true, database: "ok", integrations });
      return answer({
        ok: false,
        database: "unavailable",
        integrations,
        error: { code: "database_unavailable", message: "The database did not answer." },
      });
    });
}
