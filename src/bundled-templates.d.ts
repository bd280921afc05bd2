/**
 * templates/, precompiled when the package is built (tsup.config.ts writes it
 * with precompile.ts; in tests vitest.config.ts loads templates/ in process).
 */
declare module "virtual:cvb-templates" {
  const bundle: import("./renderer.js").TemplateBundle;
  export default bundle;
}
