import { supabaseDb } from "../_shared/db.ts";
import { envInt, envOr } from "../_shared/env.ts";
import { alertsFromEnv, serve } from "../_shared/observe.ts";
import { providersFromEnv } from "../_shared/providers/registry.ts";
import { supabaseStorage } from "../_shared/storage.ts";
import { videoFetcherFromEnv } from "../_shared/video_source.ts";
import { adminClient } from "../_shared/supabase.ts";
import { pollJobsHandler } from "./handler.ts";

const admin = adminClient();

serve(
  "poll-jobs",
  pollJobsHandler({
    db: supabaseDb(admin),
    storage: supabaseStorage(admin),
    fetchVideo: videoFetcherFromEnv(),
    providers: providersFromEnv(),
    alerts: alertsFromEnv(),
    now: () => new Date(),
    cronSecret: envOr("CRON_SECRET", ""),
    staleAfterS: envInt("STALE_JOB_SECONDS", 120),
    batchSize: 25,
    concurrency: 5,
    refreshTimeoutMs: 10_000,
  }),
);
