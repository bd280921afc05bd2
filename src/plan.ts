/**
 * Options → the layer plan: which layers, which Edge Functions, and the
 * render context every template sees. Pure data, no I/O.
 */
import { type Options, reproduceCommand } from "./options.js";
import { ENV_VARS, type EnvVar } from "./secrets.js";
import { TOOLS } from "./tools.js";

/** The five layers, in the order a careful backend lead builds them. */
export const LAYERS = [
  { id: 1, dir: "1-database", title: "database", protects: "every user's data from every other user" },
  { id: 2, dir: "2-credits", title: "credit procedures", protects: "the money: no overdraft, no double charge, refund on every failure" },
  { id: 3, dir: "3-api", title: "API", protects: "the app's requests, retried safely" },
  { id: 4, dir: "4-security", title: "security", protects: "the business from fraud and replay" },
  { id: 5, dir: "5-operations", title: "operations", protects: "the operator, who hears about trouble first" },
] as const;

/** Feature switches derived from the options; templates branch on these only. */
export interface Has {
  appleAuth: boolean;
  anonymous: boolean;
  deviceCheck: boolean;
  iap: boolean;
  appleIap: boolean;
  googleIap: boolean;
  revenuecat: boolean;
  fal: boolean;
  runway: boolean;
  replicate: boolean;
  /** At least one chosen provider calls us back (fal, Replicate). */
  webhooks: boolean;
  sentry: boolean;
  telegram: boolean;
  monitoring: boolean;
}

export function featuresOf(o: Options): Has {
  return {
    appleAuth: o.auth.includes("apple"),
    anonymous: o.auth.includes("anonymous"),
    deviceCheck: o.auth.includes("devicecheck"),
    iap: o.iap.length > 0,
    appleIap: o.iap.includes("apple"),
    googleIap: o.iap.includes("google"),
    revenuecat: o.iap.includes("revenuecat"),
    fal: o.providers.includes("fal"),
    runway: o.providers.includes("runway"),
    replicate: o.providers.includes("replicate"),
    webhooks: o.providers.includes("fal") || o.providers.includes("replicate"),
    sentry: o.monitoring.includes("sentry"),
    telegram: o.monitoring.includes("telegram"),
    monitoring: o.monitoring.length > 0,
  };
}

export type HasKey = keyof Has;

/** Every Edge Function the generator can write, with when it is written. */
export interface FunctionSpec {
  name: string;
  layer: 3 | 4 | 5;
  /** Whether the Supabase gateway checks a user JWT before our code runs. */
  verifyJwt: boolean;
  /** Written when every listed feature is on (empty = always). */
  when: HasKey[];
  summary: string;
}

export const FUNCTIONS: readonly FunctionSpec[] = [
  { name: "generate-video", layer: 3, verifyJwt: true, when: [], summary: "charge credits and start a generation" },
  { name: "job-status", layer: 3, verifyJwt: true, when: [], summary: "the caller's job, refreshed from the provider when stale" },
  { name: "poll-jobs", layer: 3, verifyJwt: false, when: [], summary: "scheduler: poll in-flight jobs and reap stuck ones (cron secret)" },
  { name: "fal-webhook", layer: 3, verifyJwt: false, when: ["fal"], summary: "fal.ai completion webhook (Ed25519 signature)" },
  { name: "replicate-webhook", layer: 3, verifyJwt: false, when: ["replicate"], summary: "Replicate webhook (Standard Webhooks HMAC)" },
  { name: "device-check", layer: 4, verifyJwt: true, when: ["deviceCheck"], summary: "trial credits once per device (Apple DeviceCheck)" },
  { name: "verify-purchase", layer: 4, verifyJwt: true, when: ["iap"], summary: "verify a store purchase and credit it once" },
  { name: "apple-notifications", layer: 4, verifyJwt: false, when: ["appleIap"], summary: "App Store Server Notifications V2 (refunds)" },
  { name: "google-notifications", layer: 4, verifyJwt: false, when: ["googleIap"], summary: "Google Play real-time notifications (voided purchases)" },
  { name: "revenuecat-webhook", layer: 4, verifyJwt: false, when: ["revenuecat"], summary: "RevenueCat webhook (purchases and refunds)" },
  { name: "health", layer: 5, verifyJwt: false, when: [], summary: "database check and configured integrations" },
];

export function enabled(when: readonly HasKey[], has: Has): boolean {
  return when.every((k) => has[k]);
}

/** Everything a template can read. */
export interface RenderContext {
  projectName: string;
  options: Options;
  has: Has;
  functions: FunctionSpec[];
  generator: { name: string; version: string };
  /** ISO timestamp: SOURCE_DATE_EPOCH when set, so output is reproducible. */
  createdAt: string;
  reproduce: string;
  /** Commands in the user's package manager. */
  pm: { name: string; install: string; run: string; exec: string };
  layers: typeof LAYERS;
  /** Environment variables the generated functions read (README, .env.example). */
  envVars: EnvVar[];
  /** Pinned versions of the verification tools. */
  tools: typeof TOOLS;
}

export function pmCommands(pm: Options["pm"]) {
  switch (pm) {
    case "npm":
      return { name: pm, install: "npm install", run: "npm run", exec: "npx" };
    case "pnpm":
      return { name: pm, install: "pnpm install", run: "pnpm", exec: "pnpm exec" };
    case "yarn":
      return { name: pm, install: "yarn", run: "yarn", exec: "yarn" };
    case "bun":
      return { name: pm, install: "bun install", run: "bun run", exec: "bunx" };
  }
}

export function buildContext(
  projectName: string,
  options: Options,
  generator: { name: string; version: string },
  now: Date,
): RenderContext {
  const has = featuresOf(options);
  return {
    projectName,
    options,
    has,
    functions: FUNCTIONS.filter((f) => enabled(f.when, has)),
    generator,
    createdAt: now.toISOString().replace(/\.\d{3}Z$/, "Z"),
    reproduce: reproduceCommand(projectName, options),
    pm: pmCommands(options.pm),
    layers: LAYERS,
    envVars: ENV_VARS.filter((v) => enabled(v.when, has)).map((v) => withOptionExample(v, options)),
    tools: TOOLS,
  };
}

/** Ids given at generation (bundle id, Android package) are prefilled in .env.example. */
function withOptionExample(v: EnvVar, options: Options): EnvVar {
  return v.check?.kind === "option" ? { ...v, example: String(options[v.check.option]) } : v;
}

/** The clock the generator writes: SOURCE_DATE_EPOCH (seconds) when set, else now. */
export function generationTime(env = process.env): Date {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw !== undefined && /^\d+$/.test(raw)) return new Date(Number(raw) * 1000);
  return new Date();
}
