import { supabaseDb } from "../_shared/db.ts";
import { alertsFromEnv, serve } from "../_shared/observe.ts";
import { adminClient } from "../_shared/supabase.ts";
import { googlePackageName, pubSubAuthFromEnv } from "../_shared/google/config.ts";
import { googleNotificationsHandler } from "./handler.ts";

serve(
  "google-notifications",
  googleNotificationsHandler({
    db: supabaseDb(adminClient()),
    verifyPush: pubSubAuthFromEnv(),
    packageName: googlePackageName(),
    alerts: alertsFromEnv(),
  }),
);
