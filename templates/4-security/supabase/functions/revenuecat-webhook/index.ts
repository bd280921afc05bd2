import { env, envOr } from "../_shared/env.ts";
import { supabaseDb } from "../_shared/db.ts";
import { alertsFromEnv, serve } from "../_shared/observe.ts";
import { adminClient } from "../_shared/supabase.ts";
import { revenueCatHandler } from "./handler.ts";

serve(
  "revenuecat-webhook",
  revenueCatHandler({
    db: supabaseDb(adminClient()),
    secret: env("REVENUECAT_WEBHOOK_AUTH"),
    allowSandbox: envOr("REVENUECAT_ALLOW_SANDBOX", "false") === "true",
    alerts: alertsFromEnv(),
  }),
);
