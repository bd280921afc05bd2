/**
 * openapi.json at generation time without zod: the build (openapi-parts.ts)
 * turns every endpoint contract into its finished OpenAPI operation, and this
 * module only puts the chosen ones together. openapi.ts computes the same
 * document from the contracts directly; a unit test holds the two equal, byte
 * for byte, for every combination of choices that changes the document.
 *
 * Why: loading zod and the contract modules and converting the schemas took
 * more time than rendering every template of the project.
 */
import type { Has, RenderContext } from "./plan.js";

export const OPENAPI_PATH = "supabase/functions/openapi.json";
/** The project's script that prints the document (templates/3-api/supabase/functions/openapi.ts.hbs). */
export const OPENAPI_SCRIPT = "supabase/functions/openapi.ts";

/** Stands for the project's name in the build-time skeleton's `info`. */
export const PROJECT_NAME_TOKEN = "__create_video_backend_project_name__";

type Json = Record<string, unknown>;

/** One endpoint's part of the document, for one variant of its contract. */
export interface OperationPart {
  /** The path key, `/<function name>`. */
  path: string;
  /** The path item (`{ "post": { … } }`). */
  item: Json;
  /** Names of the security schemes and component schemas it uses. */
  securitySchemes: string[];
  schemas: string[];
}

export interface OpenApiParts {
  /** The document with no endpoint: key order, servers, tags, and `info` with PROJECT_NAME_TOKEN. */
  skeleton: Json;
  /** function name → variant (openApiVariant) → its part. */
  operations: Record<string, Record<string, OperationPart>>;
  securitySchemes: Record<string, Json>;
  schemas: Record<string, Json>;
}

/**
 * Which variant of a function's contract a project gets. Only two depend on
 * the choices: the example model of generate-video and job-status (the first
 * chosen provider's), and the stores verify-purchase accepts.
 */
export function openApiVariant(name: string, has: Has): string {
  switch (name) {
    case "generate-video":
    case "job-status":
      return has.fal ? "fal" : has.runway ? "runway" : "replicate";
    case "verify-purchase":
      return `${has.appleIap ? "apple" : ""}+${has.googleIap ? "google" : ""}`;
    default:
      return "";
  }
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function withName(value: unknown, name: string): unknown {
  if (typeof value === "string") return value.replaceAll(PROJECT_NAME_TOKEN, name);
  if (Array.isArray(value)) return value.map((v) => withName(v, name));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withName(v, name)]));
  }
  return value;
}

/** The project's openapi.json, as `deno run openapi.ts` in it prints it. */
export function assembleOpenApi(ctx: RenderContext, parts: OpenApiParts): string {
  const chosen = ctx.functions.map((f) => {
    const part = parts.operations[f.name]?.[openApiVariant(f.name, ctx.has)];
    if (!part) throw new Error(`no OpenAPI operation was built for ${f.name} (${openApiVariant(f.name, ctx.has)})`);
    return part;
  });
  chosen.sort((a, b) => byName(a.path, b.path));
  const schemes = [...new Set(chosen.flatMap((p) => p.securitySchemes))].sort(byName);
  const schemas = [...new Set(chosen.flatMap((p) => p.schemas))].sort(byName);
  const doc = withName(parts.skeleton, ctx.projectName) as Json;
  doc.paths = Object.fromEntries(chosen.map((p) => [p.path, p.item]));
  doc.components = {
    ...(doc.components as Json),
    securitySchemes: Object.fromEntries(schemes.map((s) => [s, parts.securitySchemes[s]])),
    schemas: Object.fromEntries(schemas.map((s) => [s, parts.schemas[s]])),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
