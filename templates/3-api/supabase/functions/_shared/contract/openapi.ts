/**
 * The OpenAPI 3.1 document of the generated endpoints, built from their
 * contracts (schema.ts): JSON Schema 2020-12 straight from zod
 * (`z.toJSONSchema`), named schemas (`.meta({id})`) as components, every
 * error status with exactly its codes. Endpoints that apps must not call
 * (provider webhooks, store notifications, the scheduler) carry the tag
 * `provider-facing`, `x-audience` and `x-internal: true`, so client
 * generators leave them out.
 *
 * Pure and deterministic: the same contracts give the same document, byte
 * for byte (openapi.ts prints it; verify compares it with openapi.json).
 */
import {
  type Answer,
  type EndpointContract,
  errorBody,
  type HeaderSpec,
  SECURITY_SCHEMES,
  type SecurityScheme,
  z,
} from "./schema.ts";

type Json = Record<string, unknown>;

export interface DocumentInfo {
  title: string;
  version: string;
  description: string;
}

export const APP_TAG = "app";
export const PROVIDER_TAG = "provider-facing";

export function openApiDocument(info: DocumentInfo, contracts: EndpointContract[]): Json {
  const components = new Components();
  const paths: Json = {};
  const schemes = new Set<SecurityScheme>();
  for (const c of [...contracts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    for (const s of c.security) if (s) schemes.add(s);
    paths[`/${c.name}`] = { [c.method]: operation(c, components) };
  }
  return {
    openapi: "3.1.1",
    info: { title: info.title, version: info.version, description: info.description },
    servers: [
      {
        url: "https://{projectRef}.supabase.co/functions/v1",
        description: "The Supabase project",
        variables: {
          projectRef: { default: "your-project-ref", description: "The project's reference id." },
        },
      },
      { url: "http://127.0.0.1:54321/functions/v1", description: "supabase start (local)" },
    ],
    tags: [
      { name: APP_TAG, description: "Endpoints for the iOS and Android apps." },
      {
        name: PROVIDER_TAG,
        description:
          "Called by video providers, app stores and the scheduler, never by apps (x-internal: " +
          "no client is generated for them).",
      },
    ],
    paths,
    components: {
      securitySchemes: Object.fromEntries(
        [...schemes].sort().map((s) => [s, SECURITY_SCHEMES[s]]),
      ),
      schemas: components.sorted(),
    },
  };
}

function operation(c: EndpointContract, components: Components): Json {
  const app = c.audience === "app";
  const op: Json = {
    operationId: c.operationId,
    summary: c.summary,
    description: c.head ? `${c.description} Also answers HEAD (no body).` : c.description,
    tags: [app ? APP_TAG : PROVIDER_TAG],
    "x-audience": c.audience,
    ...(app ? {} : { "x-internal": true }),
    security: c.security.map((s) => (s ? { [s]: [] } : {})),
  };
  const parameters = [
    ...params(c.headers, "header", components),
    ...params(c.query, "query", components),
  ];
  if (parameters.length) op.parameters = parameters;
  if (c.body) {
    op.requestBody = {
      required: true,
      description: c.body.description,
      content: {
        "application/json": {
          schema: components.schema(c.body.schema, "input"),
          example: c.body.example,
        },
      },
    };
  }
  const responses: Json = {};
  for (const [status, answer] of Object.entries(c.responses)) {
    responses[status] = success(answer, components);
  }
  for (const [status, codes] of Object.entries(c.errors)) {
    responses[status] = failure(codes, c.errorHeaders?.[Number(status)], components);
  }
  op.responses = responses;
  return op;
}

function params(shape: z.ZodObject | undefined, where: "header" | "query", components: Components) {
  if (!shape) return [];
  return Object.entries(shape.shape).map(([name, field]) => {
    const schema = components.schema(field as z.ZodType, "input");
    const { description, ...rest } = schema;
    return {
      name,
      in: where,
      required: !(field as z.ZodType).safeParse(undefined).success,
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

function headers(specs: Record<string, HeaderSpec> | undefined, components: Components) {
  if (!specs) return {};
  return {
    headers: Object.fromEntries(
      Object.entries(specs).map(([name, h]) => [
        name,
        {
          description: h.description,
          ...(h.required ? { required: true } : {}),
          schema: components.schema(h.schema, "output"),
        },
      ]),
    ),
  };
}

function success(answer: Answer, components: Components): Json {
  return {
    description: answer.description,
    ...headers(answer.headers, components),
    content: {
      "application/json": {
        schema: components.schema(answer.body, "output"),
        example: answer.example,
      },
    },
  };
}

function failure(
  codes: Record<string, string>,
  extra: Record<string, HeaderSpec> | undefined,
  components: Components,
): Json {
  const names = Object.keys(codes);
  return {
    description: names.map((code) => `\`${code}\``).join(", "),
    ...headers(extra, components),
    content: {
      "application/json": {
        schema: components.schema(errorBody(names), "output"),
        examples: Object.fromEntries(
          names.map((code) => [
            code,
            { summary: code, value: { error: { code, message: codes[code] } } },
          ]),
        ),
      },
    },
  };
}

/** Named schemas found while converting, kept once each as `#/components/schemas/<id>`. */
class Components {
  private readonly named = new Map<string, Json>();

  schema(schema: z.ZodType, io: "input" | "output"): Json {
    const converted = z.toJSONSchema(schema, {
      target: "draft-2020-12",
      io,
      unrepresentable: "throw",
    }) as Json;
    const defs = (converted.$defs ?? {}) as Record<string, Json>;
    delete converted.$defs;
    delete converted.$schema;
    for (const [id, def] of Object.entries(defs)) {
      const ours = relink(def) as Json;
      const known = this.named.get(id);
      if (known && JSON.stringify(known) !== JSON.stringify(ours)) {
        throw new Error(`two different schemas are named ${id}`);
      }
      this.named.set(id, ours);
    }
    return relink(converted) as Json;
  }

  sorted(): Json {
    return Object.fromEntries(
      [...this.named.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  }
}

/** `#/$defs/<id>` (zod's) → `#/components/schemas/<id>` (the document's). */
function relink(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relink);
  if (value === null || typeof value !== "object") return value;
  const out: Json = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = key === "$ref" && typeof item === "string"
      ? item.replace(/^#\/\$defs\//, "#/components/schemas/")
      : relink(item);
  }
  return out;
}
