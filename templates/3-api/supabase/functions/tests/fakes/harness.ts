/** Wires the layer-3 handlers to fakes: one provider fake, memory db, storage, auth, alerts. */
import type { Alerts } from "../../_shared/alerts.ts";
import type { Db } from "../../_shared/db.ts";
import { SubmissionHealth } from "../../_shared/jobs.ts";
import type { Registry } from "../../_shared/providers/registry.ts";
import { generateVideoHandler } from "../../generate-video/handler.ts";
import { jobStatusHandler } from "../../job-status/handler.ts";
import { pollJobsHandler } from "../../poll-jobs/handler.ts";
import { FakeAuth } from "./auth.ts";
import type { ProviderFake } from "./common.ts";
import { MemoryDb } from "./memory_db.ts";
import type { ProviderCase } from "./providers.ts";
import { MemoryStorage } from "./storage.ts";

export class RecordingAlerts implements Alerts {
  readonly sent: { key: string; text: string }[] = [];
  alert(key: string, text: string): void {
    this.sent.push({ key, text });
  }
  keys(): string[] {
    return this.sent.map((a) => a.key);
  }
}

export const CRON_SECRET = "test-cron-secret-0123456789";
export const FUNCTIONS_URL = "https://project.functions.test/functions/v1";

export interface Harness {
  fake: ProviderFake;
  db: Db;
  storage: MemoryStorage;
  auth: FakeAuth;
  alerts: RecordingAlerts;
  providers: Registry;
  generate: (req: Request) => Promise<Response>;
  jobStatus: (req: Request) => Promise<Response>;
  pollJobs: (req: Request) => Promise<Response>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  db?: Db;
  submitTimeoutMs?: number;
  staleAfterS?: number;
  /** Replaces the fake's adapter (e.g. one pointed at a refused port). */
  provider?: ProviderFake["provider"];
}

export async function startHarness(
  c: ProviderCase,
  options: HarnessOptions = {},
): Promise<Harness> {
  const fake = await c.start();
  const db = options.db ?? new MemoryDb();
  const storage = new MemoryStorage();
  const auth = new FakeAuth();
  const alerts = new RecordingAlerts();
  const providers: Registry = { [c.name]: options.provider ?? fake.provider };
  const now = () => new Date();
  const common = { db, storage, alerts, providers, now };
  return {
    fake,
    db,
    storage,
    auth,
    alerts,
    providers,
    generate: generateVideoHandler({
      ...common,
      auth,
      functionsUrl: FUNCTIONS_URL,
      submit: {
        timeoutMs: options.submitTimeoutMs ?? 5_000,
        attempts: 3,
        backoffMs: 1,
      },
      health: new SubmissionHealth(alerts, now),
    }),
    jobStatus: jobStatusHandler({
      ...common,
      auth,
      staleAfterS: options.staleAfterS ?? 120,
      refreshTimeoutMs: 5_000,
    }),
    pollJobs: pollJobsHandler({
      ...common,
      cronSecret: CRON_SECRET,
      staleAfterS: options.staleAfterS ?? 120,
      batchSize: 25,
      concurrency: 5,
      refreshTimeoutMs: 5_000,
    }),
    close: () => fake.close(),
  };
}

export function generateRequest(
  token: string | null,
  body: unknown,
  key: string | null = crypto.randomUUID(),
): Request {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (key !== null) headers["idempotency-key"] = key;
  return new Request(`${FUNCTIONS_URL}/generate-video`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export function statusRequest(token: string | null, id: string): Request {
  return new Request(`${FUNCTIONS_URL}/job-status?id=${encodeURIComponent(id)}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

export function pollRequest(secret: string | null = CRON_SECRET): Request {
  return new Request(`${FUNCTIONS_URL}/poll-jobs`, {
    method: "POST",
    headers: secret === null ? {} : { authorization: `Bearer ${secret}` },
  });
}

/** The response body, for assertions. */
// deno-lint-ignore no-explicit-any
export async function body(res: Response): Promise<any> {
  return await res.json();
}
