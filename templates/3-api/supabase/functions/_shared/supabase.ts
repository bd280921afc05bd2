/** Production clients and URLs, read from the variables Supabase sets for every function. */
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import type { Database } from "./database.types.ts";
import { baseUrl, env } from "./env.ts";

/**
 * The service-role client: the credit procedures are granted to this role
 * only. Never hand it, or anything it returns unfiltered, to a caller.
 */
export function adminClient(): SupabaseClient<Database> {
  return createClient<Database>(env("SUPABASE_URL"), env("SUPABASE_SERVICE_ROLE_KEY"), {
    auth: { persistSession: false, autoRefreshToken: false },
  });
}

/**
 * Where providers call our webhooks. Locally SUPABASE_URL is an internal
 * address providers cannot reach: set PUBLIC_FUNCTIONS_URL to a tunnel.
 */
export function functionsUrl(): string {
  return baseUrl("PUBLIC_FUNCTIONS_URL", `${env("SUPABASE_URL").replace(/\/+$/, "")}/functions/v1`);
}
