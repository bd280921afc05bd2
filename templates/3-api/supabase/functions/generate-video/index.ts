import { supabaseAuth } from "../_shared/auth.ts";
import { envInt } from "../_shared/env.ts";
import { alertsFromEnv, serve } from "../_shared/observe.ts";
import { SubmissionHealth } from "../_shared/jobs.ts";
import { providersFromEnv, webhookTokensFromEnv } from "../_shared/providers/registry.ts";
import { adminClient, functionsUrl } from "../_shared/supabase.ts";
import { supabaseDb } from "../_shared/db.ts";
import { supabaseStorage } from "../_shared/storage.ts";
import { videoFetcherFromEnv } from "../_shared/video_source.ts";
import { supabaseRateLimits } from "../_shared/rate_limit.ts";
import { generateVideoHandler } from "./handler.ts";

const admin = adminClient();
const alerts = alertsFromEnv();
const now = () => new Date();

serve(
  "generate-video",
  generateVideoHandler({
    auth: supabaseAuth(admin),
    db: supabaseDb(admin),
    storage: supabaseStorage(admin),
    fetchVideo: videoFetcherFromEnv(),
    providers: providersFromEnv(),
    alerts,
    now,
    functionsUrl: functionsUrl(),
    webhookTokens: webhookTokensFromEnv(),
    submit: {
      timeoutMs: envInt("PROVIDER_SUBMIT_TIMEOUT_MS", 20_000),
      attempts: 3,
      backoffMs: 300,
    },
    health: new SubmissionHealth(alerts, now),
    limits: supabaseRateLimits(admin),
  }),
);
