/**
 * A stand-in for the Supabase Management API (api.supabase.com) and for the
 * deployed project's functions gateway, served on 127.0.0.1.
 *
 * The real Supabase CLI is pointed at it with a CLI profile (`SUPABASE_PROFILE`
 * = a YAML file with `api_url` = this server), so `link`, `config push`,
 * `secrets list/set` and `functions deploy --use-api` run for real and their
 * requests land here. It answers with the shapes of the Management API's
 * OpenAPI description (supabase/cli packages/api/src/generated/openapi.json),
 * keeps state (secrets, functions, auth config) so a second deploy sees what
 * the first one wrote, and records every call so tests can assert on them.
 *
 * `/functions/v1/<slug>` answers like the hosted gateway for what was
 * deployed: 404 for an unknown function, 401 without a JWT for a function
 * deployed with verify_jwt, and `health` answers `{ ok: true }`.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { freshAuthConfig } from "./auth-config.js";

export interface Call {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body, or for multipart uploads `{ metadata, files }`. */
  body?: unknown;
}

export interface DeployedFunction {
  id: string;
  slug: string;
  name: string;
  status: "ACTIVE";
  version: number;
  created_at: number;
  updated_at: number;
  verify_jwt: boolean;
  import_map: boolean;
  entrypoint_path: string;
  import_map_path?: string;
  /** Paths of the files uploaded with the last deploy (not returned by the API). */
  files: string[];
}

export interface StandIn {
  /** http://127.0.0.1:<port> */
  url: string;
  ref: string;
  calls: Call[];
  /** Secret values as set (the API itself only ever returns their SHA-256). */
  secrets: Map<string, string>;
  functions: Map<string, DeployedFunction>;
  authConfig: Record<string, unknown>;
  /** Answer 500 to every call this matches (until cleared with `undefined`). */
  failWhen?: (call: Call) => boolean;
  /** The functions gateway answers 503 while true. */
  gatewayDown: boolean;
  /** Calls that change state (anything but GET, and not the read-only probes). */
  writes(): Call[];
  close(): Promise<void>;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(body === undefined ? "" : JSON.stringify(body));
}

function sha256(value: string): string {
  return crypto.createHash("sha256").update(value).digest("hex");
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function parseBody(req: http.IncomingMessage, raw: Buffer): Promise<unknown> {
  const type = req.headers["content-type"] ?? "";
  if (type.startsWith("multipart/form-data")) {
    const form = await new Request("http://x/", { method: "POST", headers: { "content-type": type }, body: new Uint8Array(raw) }).formData();
    const metadata = JSON.parse(String(form.get("metadata") ?? "{}")) as Record<string, unknown>;
    const files = form.getAll("file").map((f) => (typeof f === "string" ? f : f.name));
    return { metadata, files };
  }
  if (raw.length === 0) return undefined;
  const text = raw.toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function startStandIn(opts: { ref?: string; pgVersion?: string } = {}): Promise<StandIn> {
  const ref = opts.ref ?? "abcdefghijklmnopqrst";
  const calls: Call[] = [];
  const secrets = new Map<string, string>();
  const functions = new Map<string, DeployedFunction>();
  let authConfig = freshAuthConfig();
  let apiConfig: Record<string, unknown> = { db_schema: "public,graphql_public", db_extra_search_path: "public,extensions", max_rows: 1000, db_pool_acquisition_timeout: 10, db_pool: null };
  let postgresSettings: Record<string, unknown> = {};
  let storageConfig: Record<string, unknown> = {
    file_size_limit: 52428800,
    features: {
      image_transformation: { enabled: true },
      s3_protocol: { enabled: true },
      purge_cache: { enabled: true },
      iceberg_catalog: { enabled: false, max_namespaces: 0, max_tables: 0, max_catalogs: 0 },
      vector_buckets: { enabled: false, max_buckets: 0, max_indexes: 0 },
    },
    capabilities: { list_v2: true, iceberg_catalog: false },
    upstream_target: "main",
    migration_version: "stand-in",
    database_pool_mode: "recycled",
  };
  let clock = 1_700_000_000_000;
  const state = { failWhen: undefined as StandIn["failWhen"], gatewayDown: false };

  const project = () => ({
    id: ref,
    ref,
    organization_id: "org-stand-in",
    organization_slug: "stand-in",
    name: "stand-in",
    region: "us-east-1",
    created_at: "2026-01-01T00:00:00Z",
    status: "ACTIVE_HEALTHY",
    database: { host: `db.${ref}.supabase.co`, version: opts.pgVersion ?? "17.4.1.054", postgres_engine: "17", release_channel: "ga" },
  });

  /** Bundle-only uploads wait here until the bulk update (PUT /functions) makes them live. */
  const staged = new Map<string, DeployedFunction>();
  const deploy = (slug: string, metadata: Record<string, unknown>, files: string[], bundleOnly: boolean): DeployedFunction => {
    const old = functions.get(slug);
    clock += 1000;
    const fn: DeployedFunction = {
      id: old?.id ?? crypto.randomUUID(),
      slug,
      name: String(metadata.name ?? slug),
      status: "ACTIVE",
      version: (old?.version ?? 0) + 1,
      created_at: old?.created_at ?? clock,
      updated_at: clock,
      verify_jwt: metadata.verify_jwt !== false,
      import_map: typeof metadata.import_map_path === "string",
      entrypoint_path: String(metadata.entrypoint_path ?? ""),
      ...(typeof metadata.import_map_path === "string" ? { import_map_path: metadata.import_map_path } : {}),
      files,
    };
    if (bundleOnly) staged.set(slug, fn);
    else functions.set(slug, fn);
    return fn;
  };
  const publicFn = (fn: DeployedFunction) => {
    const { files: _files, ...rest } = fn;
    return rest;
  };

  /** GET /v2/projects/{ref}/config: every service's effective config in one document. */
  const v2Config = () => ({
    data: {
      type: "project_config",
      id: ref,
      attributes: {
        database: {
          major_version: Number((opts.pgVersion ?? "17").split(".")[0]),
          ssl_enforced: false,
          network_restrictions: { entitlement: "allowed", status: "applied", allowed_cidrs: [{ address: "0.0.0.0/0", type: "v4" }, { address: "::/0", type: "v6" }] },
          postgres_settings: postgresSettings,
        },
        pooler: { pool_mode: "transaction", ignore_startup_parameters: "", server_idle_timeout: 600, server_lifetime: 3600, query_wait_timeout: 120, reserve_pool_size: 0, default_pool_size: 20, max_client_conn: 200 },
        auth: authConfig,
        api: apiConfig,
        realtime: { private_only: false, max_concurrent_users: 200, max_events_per_second: 100, max_bytes_per_second: 100000, max_channels_per_client: 100, max_joins_per_second: 100, max_presence_events_per_second: 100, max_payload_size_in_kb: 100, presence_enabled: true, suspend: false, connection_pool: 2, postgres_changes_pool: null },
        storage: storageConfig,
      },
    },
  });

  const api = (call: Call, res: http.ServerResponse): void => {
    if (call.method === "GET" && call.path === `/v2/projects/${ref}/config`) return json(res, 200, v2Config());
    const base = `/v1/projects/${ref}`;
    const { method, path } = call;
    if (!path.startsWith(base)) return json(res, 404, { message: `no project at ${path}` });
    const sub = path.slice(base.length) || "/";
    const route = `${method} ${sub}`;
    switch (route) {
      case "GET /":
        return json(res, 200, project());
      case "GET /api-keys":
        return json(res, 200, [
          { name: "anon", api_key: "stand-in-anon-key", type: "legacy" },
          { name: "service_role", api_key: "stand-in-service-role-key", type: "legacy" },
        ]);
      case "GET /config/database/postgres":
        return json(res, 200, postgresSettings);
      case "PUT /config/database/postgres":
        postgresSettings = { ...postgresSettings, ...(call.body as Record<string, unknown>) };
        return json(res, 200, postgresSettings);
      case "PATCH /postgrest":
        apiConfig = { ...apiConfig, ...(call.body as Record<string, unknown>) };
        return json(res, 200, apiConfig);
      case "PATCH /config/storage":
        storageConfig = { ...storageConfig, ...(call.body as Record<string, unknown>) };
        return json(res, 200, storageConfig);
      case "GET /network-restrictions":
        return json(res, 200, { entitlement: "allowed", config: { dbAllowedCidrs: ["0.0.0.0/0"], dbAllowedCidrsV6: ["::/0"] }, status: "applied" });
      case "GET /postgrest":
        return json(res, 200, { ...apiConfig, jwt_secret: "stand-in" });
      case "GET /config/storage":
        return json(res, 200, {
          fileSizeLimit: 52428800,
          features: {
            imageTransformation: { enabled: true },
            s3Protocol: { enabled: true },
            icebergCatalog: { enabled: false, maxNamespaces: 0, maxTables: 0, maxCatalogs: 0 },
            vectorBuckets: { enabled: false, maxBuckets: 0, maxIndexes: 0 },
          },
          capabilities: { list_v2: true, iceberg_catalog: false },
          external: { upstreamTarget: "main" },
          migrationVersion: "stand-in",
          databasePoolMode: "recycled",
        });
      case "GET /config/database/pooler":
        return json(res, 200, []);
      case "GET /billing/addons":
        return json(res, 200, { selected_addons: [], available_addons: [] });
      case "GET /config/auth":
        return json(res, 200, authConfig);
      case "PATCH /config/auth":
        authConfig = { ...authConfig, ...(call.body as Record<string, unknown>) };
        return json(res, 200, authConfig);
      case "GET /secrets":
        return json(res, 200, [...secrets].map(([name, value]) => ({ name, value: sha256(value), updated_at: "2026-01-01T00:00:00Z" })));
      case "POST /secrets": {
        const body = call.body as Array<{ name: string; value: string }>;
        if (!Array.isArray(body)) return json(res, 400, { message: "expected an array" });
        for (const s of body) {
          if (/^SUPABASE_/i.test(s.name)) return json(res, 400, { message: "Secret name must not start with the SUPABASE_ prefix." });
        }
        for (const s of body) secrets.set(s.name, s.value);
        return json(res, 201, undefined);
      }
      case "GET /functions":
        return json(res, 200, [...functions.values()].map(publicFn));
      case "POST /functions/deploy": {
        const slug = call.query.slug;
        const { metadata, files } = call.body as { metadata: Record<string, unknown>; files: string[] };
        if (!slug) return json(res, 400, { message: "slug is required" });
        return json(res, 201, publicFn(deploy(slug, metadata, files, call.query.bundleOnly === "true")));
      }
      case "PUT /functions": {
        // The bulk update after bundle-only uploads makes them live.
        const body = call.body as Array<{ slug: string }>;
        const missing = body.filter((f) => !staged.has(f.slug) && !functions.has(f.slug)).map((f) => f.slug);
        if (missing.length) return json(res, 404, { message: `no uploaded bundle for ${missing.join(", ")}` });
        for (const f of body) {
          const fn = staged.get(f.slug);
          if (fn) functions.set(f.slug, fn);
          staged.delete(f.slug);
        }
        return json(res, 200, { functions: body.map((f) => publicFn(functions.get(f.slug)!)) });
      }
    }
    const fnMatch = /^GET \/functions\/([^/]+)$/.exec(route);
    if (fnMatch) {
      const fn = functions.get(fnMatch[1]!);
      return fn ? json(res, 200, publicFn(fn)) : json(res, 404, { message: "Function not found" });
    }
    return json(res, 404, { message: `stand-in: no route for ${route}` });
  };

  /** The deployed project's gateway: /functions/v1/<slug>. */
  const gateway = (req: http.IncomingMessage, slug: string, res: http.ServerResponse): void => {
    if (state.gatewayDown) return json(res, 503, { message: "stand-in: gateway down" });
    const fn = functions.get(slug);
    if (!fn) return json(res, 404, { code: "NOT_FOUND", message: "Requested function was not found" });
    if (fn.verify_jwt && !/^Bearer \S+/.test(req.headers.authorization ?? "")) {
      return json(res, 401, { code: 401, message: "Missing authorization header" });
    }
    if (slug === "health") return json(res, 200, { ok: true });
    return json(res, 400, { error: { code: "invalid_request", message: "stand-in function" } });
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const raw = await readBody(req);
      const gw = /^\/functions\/v1\/([^/?]+)/.exec(url.pathname);
      if (gw) return gateway(req, gw[1]!, res);
      const call: Call = {
        method: req.method ?? "GET",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body: await parseBody(req, raw),
      };
      calls.push(call);
      // Like an API that echoes what it refused: the request (secrets included) comes back in the error.
      if (state.failWhen?.(call)) return json(res, 500, { message: "stand-in: injected failure", request: call.body ?? null });
      api(call, res);
    })().catch((err) => json(res, 500, { message: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    ref,
    calls,
    secrets,
    functions,
    get authConfig() {
      return authConfig;
    },
    get failWhen() {
      return state.failWhen;
    },
    set failWhen(f) {
      state.failWhen = f;
    },
    get gatewayDown() {
      return state.gatewayDown;
    },
    set gatewayDown(v) {
      state.gatewayDown = v;
    },
    writes: () => calls.filter((c) => c.method !== "GET"),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A Supabase CLI profile (YAML) that sends the CLI's Management API calls to the stand-in. */
export function profileYaml(standIn: { url: string }): string {
  return [
    "name: stand-in",
    `api_url: ${standIn.url}`,
    `dashboard_url: ${standIn.url}/dashboard`,
    "project_host: 127.0.0.1",
    "",
  ].join("\n");
}
