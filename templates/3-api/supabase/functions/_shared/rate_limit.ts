/**
 * Per-user rate limits, counted in the database (`check_rate_limit`), so
 * every worker of every function shares one count. A request over the limit
 * is answered 429 `rate_limited` with `Retry-After` (seconds) before it does
 * any other work.
 *
 * The limits are rows of `private.settings` (`rate_limit:<endpoint>` →
 * `{"limit": n, "window_seconds": s}`), changed with SQL, no redeploy; see
 * the migration `*_rate_limits.sql`. The check is a call of its own rather
 * than part of `create_video_job`, so the credit procedures stay as fast as
 * they are.
 */
import type { SupabaseClient } from "@supabase/supabase-js";
import type { Database } from "./database.types.ts";
import { HttpError } from "./http.ts";

/** The endpoints with a limit row (the names are the functions' names). */
export type LimitedEndpoint = "generate-video" | "verify-purchase" | "device-check";

export interface RateLimits {
  /** Counts one request; 0 when allowed, else the seconds until it would be. */
  checkRateLimit(userId: string, endpoint: LimitedEndpoint): Promise<number>;
}

/** Throws 429 `rate_limited` (with `Retry-After`) when `userId` is over the limit. */
export async function enforceRateLimit(
  limits: RateLimits,
  userId: string,
  endpoint: LimitedEndpoint,
): Promise<void> {
  const wait = await limits.checkRateLimit(userId, endpoint);
  if (wait > 0) {
    throw new HttpError(
      429,
      "rate_limited",
      `Too many requests to ${endpoint}; retry in ${wait} s.`,
      { "Retry-After": String(wait) },
    );
  }
}

/** `client` must use the service role key. */
export function supabaseRateLimits(client: SupabaseClient<Database>): RateLimits {
  return {
    async checkRateLimit(userId, endpoint) {
      const { data, error } = await client.rpc("check_rate_limit", {
        p_user_id: userId,
        p_endpoint: endpoint,
      });
      if (error) throw new Error(`check_rate_limit: ${error.message}`);
      return data ?? 0;
    },
  };
}
