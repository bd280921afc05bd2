/**
 * The modules the build makes instead of reading them from src/: the
 * precompiled templates (`virtual:cvb-templates`, precompile.ts) and the
 * endpoints' OpenAPI parts (`virtual:cvb-openapi`, openapi-parts.ts). The
 * engine build (engine-build.ts) and vitest (vitest.config.ts) both serve
 * them from here, made from templates/ as it is now.
 */
import { openApiPartsModule } from "./openapi-parts.js";
import { bundleModule } from "./precompile.js";

/** Matches the ids of the generated modules. */
export const GENERATED_MODULE = /^virtual:cvb-(templates|openapi)$/;

/** The source of a generated module (an ES module), or undefined for any other id. */
export function generatedModule(id: string, templatesDir: string): string | undefined {
  if (id === "virtual:cvb-templates") return bundleModule(templatesDir);
  if (id === "virtual:cvb-openapi") return openApiPartsModule();
  return undefined;
}
