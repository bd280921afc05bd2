import { supabaseAuth } from "../_shared/auth.ts";
import { supabaseDb } from "../_shared/db.ts";
import { envInt } from "../_shared/env.ts";
import { alertsFromEnv, serve } from "../_shared/observe.ts";
import { providersFromEnv } from "../_shared/providers/registry.ts";
import { supabaseStorage } from "../_shared/storage.ts";
import { videoFetcherFromEnv } from "../_shared/video_source.ts";
import { adminClient } from "../_shared/supabase.ts";
import { jobStatusHandler } from "./handler.ts";

const admin = adminClient();

serve(
  "job-status",
  jobStatusHandler({
    auth: supabaseAuth(admin),
    db: supabaseDb(admin),
    storage: supabaseStorage(admin),
    fetchVideo: videoFetcherFromEnv(),
    providers: providersFromEnv(),
    alerts: alertsFromEnv(),
    now: () => new Date(),
    staleAfterS: envInt("STALE_JOB_SECONDS", 120),
    refreshTimeoutMs: 8_000,
    minRefreshIntervalS: 5,
  }),
);
