/**
 * The generation engine: everything `create` runs once the command line is
 * parsed, and the template bundle (templates and OpenAPI parts, precompiled).
 *
 * The published CLI does not import this module: the build bundles it into
 * dist/engine.js, a script loaded with a V8 compile cache (engine-build.ts,
 * engine-load.ts), so that creating a project compiles almost none of the
 * code it runs once a first run has saved that cache. Tests import it like
 * any module.
 */
import openApi from "virtual:cvb-openapi";
import templates from "virtual:cvb-templates";

export { create, formatPlan } from "./create.js";
export { templates, openApi };
