import { createClient } from "@supabase/supabase-js";
import { env } from "../_shared/env.ts";
import { alertsFromEnv, serve } from "../_shared/observe.ts";
import { carriesKey, healthHandler } from "./handler.ts";
import { configuredIntegrations } from "./integrations.ts";

// Built on first use, so a missing setting shows up as database "unavailable"
// (and in the logs) instead of a function that cannot boot.
let client: ReturnType<typeof createClient> | undefined;

async function pingDatabase(): Promise<void> {
  client ??= createClient(env("SUPABASE_URL"), env("SUPABASE_SERVICE_ROLE_KEY"), {
    auth: { persistSession: false, autoRefreshToken: false },
  });
  // The cheapest round trip through PostgREST to Postgres: no rows transferred.
  const { error } = await client.from("models").select("id", { head: true }).limit(1)
    .abortSignal(AbortSignal.timeout(3_000));
  if (error) throw new Error(`health query failed: ${error.message}`);
}

serve(
  "health",
  healthHandler({
    pingDatabase,
    integrations: configuredIntegrations,
    alerts: alertsFromEnv(),
    isOperator: carriesKey(Deno.env.get("SUPABASE_SERVICE_ROLE_KEY") ?? ""),
  }),
);
