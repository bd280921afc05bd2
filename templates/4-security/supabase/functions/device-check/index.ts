import { supabaseAuth } from "../_shared/auth.ts";
import { supabaseDb } from "../_shared/db.ts";
import { alertsFromEnv, serve } from "../_shared/observe.ts";
import { supabaseSecurityReads } from "../_shared/security/reads.ts";
import { adminClient } from "../_shared/supabase.ts";
import { deviceCheckFromEnv } from "../_shared/devicecheck/config.ts";
import { deviceCheckHandler } from "./handler.ts";

const admin = adminClient();

serve(
  "device-check",
  deviceCheckHandler({
    auth: supabaseAuth(admin),
    db: { ...supabaseDb(admin), ...supabaseSecurityReads(admin) },
    deviceCheck: deviceCheckFromEnv(),
    alerts: alertsFromEnv(),
  }),
);
