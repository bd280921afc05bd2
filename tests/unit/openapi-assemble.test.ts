/**
 * The CLI writes openapi.json by assembling operations built ahead of time
 * (no zod at generation time); openapi.ts computes it from the contracts. They
 * must agree byte for byte for every combination of choices that changes which
 * endpoints exist or what they say: providers × stores × DeviceCheck.
 */
import parts from "virtual:cvb-openapi";
import { describe, expect, it } from "vitest";
import { withDefaults } from "../../src/options.js";
import { CHOICES, type ListChoice } from "../../src/options.js";
import { openApiText } from "../../src/openapi.js";
import { assembleOpenApi } from "../../src/openapi-assemble.js";
import { buildOpenApiParts } from "../../src/openapi-parts.js";
import { buildContext } from "../../src/plan.js";

function subsets(choice: ListChoice): string[][] {
  const values = choice.values.map((v) => v.value);
  return Array.from({ length: 1 << values.length }, (_, mask) => values.filter((_, i) => mask & (1 << i)));
}
const choice = (key: string) => CHOICES.find((c) => c.key === key)!;

describe("openapi.json assembled from build-time parts", () => {
  it("is what openapi.ts computes, for every providers × stores × DeviceCheck combination", () => {
    let compared = 0;
    for (const providers of subsets(choice("providers")).filter((p) => p.length > 0)) {
      for (const iap of subsets(choice("iap"))) {
        for (const auth of [["apple"], ["anonymous", "devicecheck"]]) {
          const options = withDefaults({ auth, iap, providers }, {}, "npm");
          const ctx = buildContext("contract-app", options, { name: "create-video-backend", version: "0.0.0" }, new Date(0));
          expect(assembleOpenApi(ctx, parts), JSON.stringify({ providers, iap, auth })).toBe(openApiText(ctx));
          compared++;
        }
      }
    }
    expect(compared).toBe(7 * 8 * 2);
  });

  it("does not depend on sign-in or monitoring (every combination, all stores and providers)", () => {
    for (const auth of subsets(choice("auth")).filter((a) => a.length > 0 && (!a.includes("devicecheck") || a.includes("anonymous")))) {
      for (const monitoring of subsets(choice("monitoring"))) {
        const options = withDefaults({
          auth,
          monitoring,
          iap: ["apple", "google", "revenuecat"],
          providers: ["fal", "runway", "replicate"],
        }, {}, "npm");
        const ctx = buildContext("contract-app", options, { name: "create-video-backend", version: "0.0.0" }, new Date(0));
        expect(assembleOpenApi(ctx, parts), JSON.stringify({ auth, monitoring })).toBe(openApiText(ctx));
      }
    }
  });

  it("the module served to tests is the one the build makes", () => {
    expect(parts).toEqual(JSON.parse(JSON.stringify(buildOpenApiParts())));
  });

  it("a project name with JSON-special characters is kept exactly", () => {
    const ctx = buildContext("a-b_c.d", withDefaults({}, {}, "npm"), { name: "create-video-backend", version: "0.0.0" }, new Date(0));
    expect(assembleOpenApi(ctx, parts)).toBe(openApiText(ctx));
  });
});
