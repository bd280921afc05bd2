/**
 * templates/, precompiled when the package is built (tsup.config.ts writes it
 * with precompile.ts; in tests vitest.config.ts loads templates/ in process).
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
