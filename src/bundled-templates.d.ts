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

/**
 * Handlebars' runtime, imported with its file extension so that Node's own ESM
 * resolution finds it too (the build runs renderer.ts in Node to make the code
 * cache). Its types are those of the full package, as for `handlebars/runtime`.
 */
declare module "handlebars/runtime.js" {
  import Handlebars from "handlebars";
  export default Handlebars;
}
