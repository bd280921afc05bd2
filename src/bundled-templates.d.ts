/**
 * templates/, precompiled when the package is built (inlined into the
 * generation engine dist/engine.js by engine-build.ts; in tests
 * vitest.config.ts serves the same module made in process).
 */
declare module "virtual:cvb-templates" {
  const bundle: import("./renderer.js").TemplateBundle;
  export default bundle;
}

/** Every endpoint's OpenAPI operation, built with zod at build time (openapi-parts.ts). */
declare module "virtual:cvb-openapi" {
  const parts: import("./openapi-assemble.js").OpenApiParts;
  export default parts;
}

