import { supabaseAuth } from "../_shared/auth.ts";
import { supabaseDb } from "../_shared/db.ts";
import { alertsFromEnv, serve } from "../_shared/observe.ts";
import { supabaseRateLimits } from "../_shared/rate_limit.ts";
import { supabaseSecurityReads } from "../_shared/security/reads.ts";
import { adminClient } from "../_shared/supabase.ts";
import { deviceCheckFromEnv } from "../_shared/devicecheck/config.ts";
import { supabaseLeases } from "../_shared/devicecheck/lease.ts";
import { deviceCheckHandler } from "./handler.ts";

const admin = adminClient();

serve(
  "device-check",
  deviceCheckHandler({
    auth: supabaseAuth(admin),
    db: { ...supabaseDb(admin), ...supabaseSecurityReads(admin), ...supabaseLeases(admin) },
    deviceCheck: deviceCheckFromEnv(),
    alerts: alertsFromEnv(),
    limits: supabaseRateLimits(admin),
  }),
);
