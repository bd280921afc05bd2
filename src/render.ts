/**
 * Renders a templates folder into memory, for tests and tools that work on
 * templates/ directly. The published CLI renders the bundle precompiled at
 * build time instead (create.ts); both go through renderer.ts with specs made
 * by precompile.ts, so they produce the same files.
 */
import { fileURLToPath } from "node:url";
import { openApiText } from "./openapi.js";
import type { RenderContext } from "./plan.js";
import { loadTemplateBundle } from "./precompile.js";
import { type RenderedFile, renderTemplates } from "./renderer.js";

export { migrationVersion, type RenderedFile } from "./renderer.js";

export const TEMPLATES_DIR = fileURLToPath(new URL("../templates/", import.meta.url));

export function render(ctx: RenderContext, base: Date, templatesDir = TEMPLATES_DIR): RenderedFile[] {
  return renderTemplates(ctx, base, loadTemplateBundle(templatesDir), openApiText);
}
