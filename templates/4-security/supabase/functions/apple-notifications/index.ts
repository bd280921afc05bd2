import { supabaseDb } from "../_shared/db.ts";
import { alertsFromEnv, serve } from "../_shared/observe.ts";
import { adminClient } from "../_shared/supabase.ts";
import { appleJwsVerifier } from "../_shared/apple/jws.ts";
import { appleConfigFromEnv } from "../_shared/apple/config.ts";
import { appleNotificationsHandler } from "./handler.ts";

serve(
  "apple-notifications",
  appleNotificationsHandler({
    db: supabaseDb(adminClient()),
    verifier: appleJwsVerifier(),
    config: appleConfigFromEnv(),
    alerts: alertsFromEnv(),
  }),
);
