/**
 * The apps' contract, proven (issue 15). Two checks:
 *
 * - `openapi`: supabase/functions/openapi.json is a valid OpenAPI 3.1
 *   document (@seriousme/openapi-schema-validator, the OAI's own JSON
 *   Schema), every schema in it is valid JSON Schema 2020-12, every example
 *   matches its schema, and it is fresh: exactly what the project's
 *   `openapi.ts` prints from the endpoints' contracts (their zod schemas).
 * - `contract`: every answer the Deno tests got from an app-facing handler
 *   (recorded by tests/contract.ts into the file CONTRACT_RECORD names) is
 *   declared: the operation exists (or the method is refused with 405), the
 *   status is one of its responses, the body matches that response's schema
 *   (ajv, draft 2020-12, formats on; response schemas are strict and error
 *   codes are enums per status), and required headers are present. Every
 *   app-facing operation must have been exercised at least once.
 *
 * A project without openapi.json and openapi.ts (made before the contract
 * existed) gets neither check.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { execa } from "execa";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { Validator } from "@seriousme/openapi-schema-validator";
import openApi31Schema from "@seriousme/openapi-schema-validator/schemas/v3.1/schema.json" with { type: "json" };
import { denoDir, tidyOutput } from "./deno.js";
import { fail, type Outcome, pass } from "./report.js";

// ajv-formats is CommonJS: its function is the default export's default.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as unknown as (ajv: Ajv2020) => Ajv2020;

export const OPENAPI_JSON = "openapi.json";
export const OPENAPI_SCRIPT = "openapi.ts";
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

type Json = Record<string, unknown>;

/** Whether the project has a contract to check (see the module comment). */
export function hasContract(functionsDir: string): boolean {
  return [OPENAPI_JSON, OPENAPI_SCRIPT].some((f) => fs.existsSync(path.join(functionsDir, f)));
}

/** The command that rewrites openapi.json, in the project's package manager. */
export function refreshCommand(projectDir: string): string {
  let pm = "npm";
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(projectDir, "video-backend.json"), "utf8"));
    if (typeof manifest?.options?.pm === "string") pm = manifest.options.pm;
  } catch {
    // No manifest: npm.
  }
  return pm === "npm" || pm === "bun" ? `${pm} run openapi` : `${pm} openapi`;
}

let validator31: Validator | undefined;

/** OpenAPI 3.1's schema, compiled once from the bundled JSON (the package would read it from disk). */
function openApiValidator(): Validator {
  if (validator31) return validator31;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat("media-range", true);
  const validator = new Validator();
  (validator as unknown as { ajvValidators: Record<string, unknown> }).ajvValidators["3.1"] = ajv.compile(openApi31Schema);
  validator31 = validator;
  return validator;
}

function schemaAjv(document: Json): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document, "openapi.json", undefined, false);
  return ajv;
}

/** JSON pointer of a path segment. */
const seg = (s: string) => s.replaceAll("~", "~0").replaceAll("/", "~1");

/** Every JSON Schema in the document, with where it is and an example to hold against it. */
function schemasOf(document: Json): Array<{ at: string; pointer: string; schema: unknown; examples: unknown[] }> {
  const out: Array<{ at: string; pointer: string; schema: unknown; examples: unknown[] }> = [];
  const components = ((document.components as Json | undefined)?.schemas ?? {}) as Json;
  for (const [name, schema] of Object.entries(components)) {
    out.push({ at: `components.schemas.${name}`, pointer: `/components/schemas/${seg(name)}`, schema, examples: [] });
  }
  for (const [p, item] of Object.entries((document.paths ?? {}) as Record<string, Json>)) {
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const base = `/paths/${seg(p)}/${method}`;
      ((op.parameters ?? []) as Json[]).forEach((param, i) => {
        out.push({ at: `${method.toUpperCase()} ${p} parameter ${String(param.name)}`, pointer: `${base}/parameters/${i}/schema`, schema: param.schema, examples: [] });
      });
      const media = (where: string, pointer: string, content: Json | undefined) => {
        for (const [type, m] of Object.entries(content ?? {})) {
          const mt = m as Json;
          const examples = [
            ...("example" in mt ? [mt.example] : []),
            ...Object.values((mt.examples ?? {}) as Record<string, Json>).map((e) => e.value),
          ];
          out.push({ at: `${method.toUpperCase()} ${p} ${where}`, pointer: `${pointer}/content/${seg(type)}/schema`, schema: mt.schema, examples });
        }
      };
      media("request body", `${base}/requestBody`, (op.requestBody as Json | undefined)?.content as Json | undefined);
      for (const [status, r] of Object.entries((op.responses ?? {}) as Record<string, Json>)) {
        media(`response ${status}`, `${base}/responses/${status}`, r.content as Json | undefined);
      }
    }
  }
  return out;
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 3)
    .map((e) => {
      const where = e.instancePath || "(body)";
      const extra = (e.params as { additionalProperty?: string; allowedValues?: unknown[] });
      if (extra.additionalProperty) return `${where} has the undeclared field "${extra.additionalProperty}"`;
      if (extra.allowedValues) return `${where} ${e.message}: ${extra.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
      return `${where} ${e.message}`;
    })
    .join("; ");
}

export interface OpenApiRun {
  projectDir: string;
  functionsDir: string;
  deno: string;
}

/**
 * What is wrong with `document`: not valid OpenAPI 3.1, a schema that is not
 * valid JSON Schema 2020-12, an example that does not match its schema.
 */
export async function documentProblems(document: Json): Promise<string[]> {
  const problems: string[] = [];
  const valid = await openApiValidator().validate(structuredClone(document));
  if (!valid.valid) {
    const errors = typeof valid.errors === "string" ? [valid.errors] : (valid.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || "/"} ${e.message}`);
    problems.push(`not a valid OpenAPI 3.1 document:\n${errors.map((e) => `  ${e}`).join("\n")}`);
  } else {
    const ajv = schemaAjv(document);
    for (const s of schemasOf(document)) {
      if (!ajv.validateSchema(s.schema as Json)) {
        problems.push(`${s.at}: not a valid JSON Schema 2020-12: ${ajv.errorsText(ajv.errors)}`);
        continue;
      }
      let validate: ValidateFunction | undefined;
      try {
        validate = ajv.getSchema(`openapi.json#${s.pointer}`);
      } catch (err) {
        problems.push(`${s.at}: the schema cannot be compiled: ${(err as Error).message}`);
        continue;
      }
      if (!validate) {
        problems.push(`${s.at}: the schema cannot be compiled`);
        continue;
      }
      for (const example of s.examples) {
        if (!validate(example)) problems.push(`${s.at}: an example does not match the schema: ${describeErrors(validate.errors)}`);
      }
    }
  }

  return problems;
}

/** The `openapi` check: valid, schemas and examples sound, fresh. */
export async function checkOpenApi(run: OpenApiRun): Promise<Outcome> {
  const file = path.join(run.functionsDir, OPENAPI_JSON);
  const refresh = refreshCommand(run.projectDir);
  if (!fs.existsSync(file)) return fail(`supabase/functions/${OPENAPI_JSON} is missing: run \`${refresh}\``);
  const text = fs.readFileSync(file, "utf8");
  let document: Json;
  try {
    document = JSON.parse(text) as Json;
  } catch (err) {
    return fail(`supabase/functions/${OPENAPI_JSON} is not JSON (${(err as Error).message}): run \`${refresh}\``);
  }
  // Freshness runs Deno; start it while the document is validated here.
  const printed = fs.existsSync(path.join(run.functionsDir, OPENAPI_SCRIPT))
    ? execa(run.deno, ["run", ...(fs.existsSync(path.join(run.functionsDir, "deno.lock")) ? [] : ["--no-lock"]), OPENAPI_SCRIPT], {
        cwd: run.functionsDir,
        reject: false,
        stdin: "ignore",
        timeout: 300_000,
        env: { DENO_DIR: denoDir(), NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      })
    : undefined;
  printed?.catch(() => undefined);

  const problems = await documentProblems(document);

  if (!printed) {
    problems.push(`supabase/functions/${OPENAPI_SCRIPT} is missing, so openapi.json cannot be proven fresh`);
  } else {
    const r = await printed;
    if (r.exitCode !== 0) {
      problems.push(`deno run ${OPENAPI_SCRIPT} failed:\n${tidyOutput(String(r.stderr ?? ""), run.functionsDir, 20)}`);
    } else if (r.stdout + "\n" !== text && r.stdout !== text) {
      problems.push(
        `supabase/functions/${OPENAPI_JSON} is stale: it is not what the contracts (each function's contract.ts) say now. ` +
          `Run \`${refresh}\` and commit the result.${firstDifference(text, r.stdout + "\n")}`,
      );
    }
  }
  if (problems.length) return fail(problems.join("\n"));
  const paths = Object.keys((document.paths ?? {}) as Json).length;
  return pass(`OpenAPI 3.1, ${paths} paths, fresh`);
}

function firstDifference(committed: string, fresh: string): string {
  const a = committed.split("\n");
  const b = fresh.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `\n  first difference at line ${i + 1}:\n  - ${(a[i] ?? "").trim()}\n  + ${(b[i] ?? "").trim()}`;
  }
  return "";
}

/** Where the Deno tests record app-facing answers (CONTRACT_RECORD); removed by `dispose`. */
export function recordFile(): { file: string; dispose: () => void } {
  const file = path.join(os.tmpdir(), `cvb-contract-${randomUUID()}.jsonl`);
  return { file, dispose: () => fs.rmSync(file, { force: true }) };
}

interface Recorded {
  endpoint: string;
  method: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  test?: string;
}

/**
 * The `contract` check over the answers recorded in `file`; `complete`: the
 * tests all ran, so every app-facing operation must have been exercised.
 */
export function checkContract(functionsDir: string, file: string, { complete = true } = {}): Outcome {
  let document: Json;
  try {
    document = JSON.parse(fs.readFileSync(path.join(functionsDir, OPENAPI_JSON), "utf8")) as Json;
  } catch {
    return fail(`supabase/functions/${OPENAPI_JSON} cannot be read (see the openapi check)`);
  }
  const lines = fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim()) : [];
  const records = lines.map((l) => JSON.parse(l) as Recorded);
  const paths = (document.paths ?? {}) as Record<string, Json>;
  const ajv = schemaAjv(document);
  const compiled = new Map<string, ValidateFunction | undefined>();
  const validator = (pointer: string) => {
    if (!compiled.has(pointer)) {
      let validate: ValidateFunction | undefined;
      try {
        validate = ajv.getSchema(`openapi.json#${pointer}`);
      } catch {
        validate = undefined;
      }
      compiled.set(pointer, validate);
    }
    return compiled.get(pointer);
  };

  const problems = new Map<string, { count: number; test?: string }>();
  const problem = (r: Recorded, text: string) => {
    const key = `${r.endpoint} ${r.method} answered ${r.status}: ${text}`;
    const seen = problems.get(key);
    if (seen) seen.count++;
    else problems.set(key, { count: 1, ...(r.test ? { test: r.test } : {}) });
  };
  const exercised = new Set<string>();
  const statuses = new Set<string>();

  for (const r of records) {
    if (r.method === "OPTIONS") continue; // CORS preflight: answered by every function, no contract.
    const pathKey = `/${r.endpoint}`;
    const item = paths[pathKey];
    if (!item) {
      problem(r, `openapi.json has no path ${pathKey}`);
      continue;
    }
    const method = r.method.toLowerCase();
    const opMethod = method === "head" && !item.head ? "get" : method;
    const op = item[opMethod] as Json | undefined;
    if (!op) {
      const refused = r.status === 405 && safeJson(r.body)?.error?.code === "method_not_allowed";
      if (!refused) problem(r, `${r.method} is not an operation of ${pathKey} in openapi.json, and the answer is not 405 method_not_allowed`);
      continue;
    }
    exercised.add(`${opMethod.toUpperCase()} ${pathKey}`);
    const responses = (op.responses ?? {}) as Record<string, Json>;
    const response = responses[String(r.status)];
    if (!response) {
      problem(r, `status ${r.status} is not declared for ${opMethod.toUpperCase()} ${pathKey} (declared: ${Object.keys(responses).join(", ")})`);
      continue;
    }
    statuses.add(`${opMethod.toUpperCase()} ${pathKey} ${r.status}`);
    const base = `/paths/${seg(pathKey)}/${opMethod}/responses/${r.status}`;
    for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
      if (header.required && r.headers[name.toLowerCase()] === undefined) problem(r, `the required header ${name} is missing`);
    }
    const content = (response.content ?? {}) as Json;
    if (method === "head" || !content["application/json"]) continue;
    const body = safeJson(r.body);
    if (body === undefined) {
      problem(r, "the body is not JSON");
      continue;
    }
    const validate = validator(`${base}/content/application~1json/schema`);
    if (!validate) {
      problem(r, "openapi.json's schema for this answer cannot be compiled");
      continue;
    }
    if (!validate(body)) problem(r, `the body does not match openapi.json: ${describeErrors(validate.errors)}`);
  }

  const unexercised: string[] = [];
  for (const [p, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (op?.["x-audience"] === "app" && !exercised.has(`${method.toUpperCase()} ${p}`)) unexercised.push(`${method.toUpperCase()} ${p}`);
    }
  }

  const out: string[] = [];
  for (const [text, { count, test }] of problems) {
    out.push(`${text}${count > 1 ? ` (×${count})` : ""}${test ? `\n    at ${test}` : ""}`);
  }
  if (complete && unexercised.length) {
    out.push(
      `no test exercised ${unexercised.join(", ")}: build app-facing handlers from tests/contract.ts (it records their answers)`,
    );
  }
  if (out.length) {
    const shown = out.slice(0, 20);
    if (out.length > shown.length) shown.push(`… ${out.length - shown.length} more`);
    return fail(shown.join("\n"));
  }
  const partial = complete ? "" : " (deno test failed: only the answers recorded before)";
  return pass(`${records.length} answers of ${exercised.size} app operations conform (${statuses.size} statuses)${partial}`);
}

// deno-style any for a parsed body.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function safeJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
