/**
 * The apps' contract for every option combination: the openapi.json the
 * generator renders is valid OpenAPI 3.1 (the validator verify uses), holds
 * exactly the generated functions (FUNCTIONS in src/plan.ts) with the
 * app-facing ones tagged for apps and the others marked provider-facing, and
 * its examples match their schemas. verify's freshness check then proves, per
 * matrix combination, that the project's own openapi.ts prints the same text.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { withDefaults } from "../../src/options.js";
import { openApiDocumentOf, openApiText, OPENAPI_PATH } from "../../src/openapi.js";
import { buildContext, type RenderContext } from "../../src/plan.js";
import { render } from "../../src/render.js";
import { documentProblems } from "../../src/verify/contract.js";

const AUTHS = [["apple"], ["anonymous"], ["apple", "anonymous"], ["anonymous", "devicecheck"], ["apple", "anonymous", "devicecheck"]];
const subsets = <T>(items: T[]): T[][] => items.reduce<T[][]>((all, item) => [...all, ...all.map((s) => [...s, item])], [[]]);
const IAPS = subsets(["apple", "google", "revenuecat"]);
const PROVIDERS = subsets(["fal", "runway", "replicate"]).filter((p) => p.length > 0);

function contextOf(auth: string[], iap: string[], providers: string[]): RenderContext {
  const options = withDefaults({ auth, iap, providers } as never, {}, "npm");
  return buildContext("my-app", options, { name: "create-video-backend", version: "0.0.0" }, new Date(0));
}

type Operation = { tags: string[]; "x-audience": string; "x-internal"?: boolean; responses: Record<string, unknown> };

/** App-facing: the user endpoints (the gateway checks their JWT) and the public health check. */
const isAppFacing = (f: RenderContext["functions"][number]) => f.verifyJwt || f.name === "health";

describe("openapi.json for every option combination", () => {
  const combos = AUTHS.flatMap((auth) => IAPS.flatMap((iap) => PROVIDERS.map((providers) => ({ auth, iap, providers }))));

  it(`has exactly the generated functions, app-facing ones tagged app (${combos.length} combinations)`, () => {
    for (const { auth, iap, providers } of combos) {
      const ctx = contextOf(auth, iap, providers);
      const doc = openApiDocumentOf(ctx) as { paths: Record<string, Record<string, Operation>> };
      const label = `--auth ${auth} --iap ${iap.join(",") || "none"} --providers ${providers}`;
      expect(Object.keys(doc.paths).sort(), label).toEqual(ctx.functions.map((f) => `/${f.name}`).sort());
      const app = Object.entries(doc.paths)
        .filter(([, item]) => Object.values(item).every((op) => op["x-audience"] === "app" && op.tags.join() === "app" && !op["x-internal"]))
        .map(([p]) => p.slice(1))
        .sort();
      expect(app, label).toEqual(ctx.functions.filter(isAppFacing).map((f) => f.name).sort());
      for (const [p, item] of Object.entries(doc.paths)) {
        if (app.includes(p.slice(1))) continue;
        for (const op of Object.values(item)) {
          expect(op, `${label} ${p}`).toMatchObject({ tags: ["provider-facing"], "x-internal": true });
          expect(["provider", "scheduler"], `${label} ${p}`).toContain(op["x-audience"]);
        }
      }
    }
  });

  it("validates, with every example matching its schema, for each store and provider set", { timeout: 120_000 }, async () => {
    // Every distinct document shape: the stores change verify-purchase, the
    // providers the webhooks and the examples; auth only adds device-check.
    const shapes = [...IAPS.map((iap) => ({ iap, providers: ["fal", "runway", "replicate"] })), ...PROVIDERS.map((providers) => ({ iap: [], providers }))];
    for (const { iap, providers } of shapes) {
      {
        const doc = openApiDocumentOf(contextOf(["apple", "anonymous", "devicecheck"], iap, providers));
        expect(await documentProblems(doc), `--iap ${iap.join(",") || "none"} --providers ${providers}`).toEqual([]);
      }
    }
  });

  it("is rendered into the project as openapi.json", () => {
    const ctx = contextOf(["apple", "anonymous", "devicecheck"], ["apple", "google"], ["fal", "replicate"]);
    const files = render(ctx, new Date(0));
    const rendered = files.find((f) => f.path === OPENAPI_PATH);
    expect(rendered?.content).toBe(openApiText(ctx));
    expect(files.some((f) => f.path === "supabase/functions/openapi.ts")).toBe(true);
  });

  it("declares verify-purchase's bodies by store, with a discriminator when there are two", () => {
    const both = openApiDocumentOf(contextOf(["anonymous"], ["apple", "google"], ["fal"])) as never as {
      paths: Record<string, { post: { requestBody: { content: Record<string, { schema: unknown }> }; responses: Record<string, unknown> } }>;
    };
    const vp = both.paths["/verify-purchase"]!.post;
    expect(vp.requestBody.content["application/json"]!.schema).toMatchObject({
      oneOf: [{ $ref: "#/components/schemas/ApplePurchaseRequest" }, { $ref: "#/components/schemas/GooglePurchaseRequest" }],
      discriminator: { propertyName: "store" },
    });
    expect(Object.keys(vp.responses)).toContain("502");
    const appleOnly = openApiDocumentOf(contextOf(["anonymous"], ["apple"], ["fal"])) as typeof both;
    expect(Object.keys(appleOnly.paths["/verify-purchase"]!.post.responses)).not.toContain("502");
  });
});

describe("the document validator verify uses", () => {
  const good = () => structuredClone(openApiDocumentOf(contextOf(["anonymous"], [], ["fal"]))) as Record<string, any>;

  it("accepts the generated document and refuses broken ones", async () => {
    expect(await documentProblems(good())).toEqual([]);
    const noInfo = good();
    delete noInfo.info;
    expect((await documentProblems(noInfo)).join("\n")).toMatch(/not a valid OpenAPI 3.1 document/);
    const badSchema = good();
    badSchema.components.schemas.Job.type = "thing";
    expect((await documentProblems(badSchema)).join("\n")).toMatch(/components.schemas.Job: not a valid JSON Schema 2020-12/);
    const badExample = good();
    badExample.paths["/job-status"].get.responses["200"].content["application/json"].example.job.secret = 1;
    expect((await documentProblems(badExample)).join("\n")).toMatch(/GET \/job-status response 200: an example does not match the schema: \/job has the undeclared field "secret"/);
  });
});

describe("zod", () => {
  it("is pinned to one version in package.json and every generated import map", () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, "../../package.json"), "utf8"));
    const version = pkg.devDependencies.zod as string;
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    const templates = path.resolve(import.meta.dirname, "../../templates");
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) walk(full);
        else if (e.name === "deno.json.hbs") found.push(full);
      }
    };
    walk(templates);
    expect(found.length).toBeGreaterThan(5);
    for (const file of found) {
      expect(fs.readFileSync(file, "utf8"), file).toContain(`"zod": "npm:zod@${version}"`);
    }
  });
});
