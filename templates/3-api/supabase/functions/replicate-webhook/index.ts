import { supabaseDb } from "../_shared/db.ts";
import { alertsFromEnv, serve } from "../_shared/observe.ts";
import { providersFromEnv, webhookTokensFromEnv } from "../_shared/providers/registry.ts";
import { supabaseStorage } from "../_shared/storage.ts";
import { adminClient } from "../_shared/supabase.ts";
import { videoFetcherFromEnv } from "../_shared/video_source.ts";
import { replicateWebhookHandler } from "./handler.ts";

const admin = adminClient();

serve(
  "replicate-webhook",
  replicateWebhookHandler({
    db: supabaseDb(admin),
    storage: supabaseStorage(admin),
    fetchVideo: videoFetcherFromEnv(),
    providers: providersFromEnv(),
    tokens: webhookTokensFromEnv(),
    alerts: alertsFromEnv(),
    now: () => new Date(),
  }),
);
