/**
 * verify's "fresh" check: when video-backend.json says this generator version
 * produced the project's generated migrations (create, or a later add or
 * upgrade by this version), the migrations on disk must give exactly the
 * database a fresh project with the recorded options gets: same schema,
 * grants, policies, catalog rows and cron schedules. The user's own
 * migrations (files the manifest does not list) are applied on both sides.
 * It catches an edited generated migration, a lost delta, and a delta that
 * drifted from the templates.
 */
import fs from "node:fs";
import path from "node:path";
import openApiParts from "virtual:cvb-openapi";
import templates from "virtual:cvb-templates";
import { assembleOpenApi } from "../openapi-assemble.js";
import { renderTemplates } from "../renderer.js";
import { VERSION } from "../version.js";
import { fail, missing, type Outcome, pass } from "../verify/report.js";
import { findBin } from "../verify/project.js";
import { TOOLS } from "../tools.js";
import { renderInMemory } from "./base.js";
import { deltaOnServer, deltaSides } from "./delta.js";
import { recordedOptions } from "./engine.js";
import { MANIFEST, projectNameOf, readManifest } from "./manifest.js";

/** Whether the check applies: a manifest by this version that lists its migrations. */
export function freshCheckApplies(projectDir: string): boolean {
  try {
    if (!fs.existsSync(path.join(projectDir, MANIFEST))) return false;
    const m = readManifest(projectDir);
    return m.version === VERSION && Array.isArray(m.migrations);
  } catch {
    return false;
  }
}

export async function checkFresh(projectDir: string, superuserUrl: string): Promise<Outcome> {
  const migra = findBin("migra", projectDir);
  if (!migra) return missing(`install the schema diff tool: npm install -D @pgkit/migra@${TOOLS.migra}`);
  const manifest = readManifest(projectDir);
  const options = recordedOptions(manifest);
  const files = renderInMemory(
    (ctx, base) => renderTemplates(ctx, base, templates, (c) => assembleOpenApi(c, openApiParts)),
    projectNameOf(manifest, projectDir),
    options,
    VERSION,
    manifest.createdAt,
  );
  const owned = manifest.migrations ?? [];
  const { from, fresh, mine, to } = deltaSides(projectDir, files, owned);
  const onDisk = from.map((f) => f.name);
  const missingOwned = owned.filter((n) => !onDisk.includes(n));
  if (missingOwned.length) return fail(`generated migrations listed in ${MANIFEST} are missing: ${missingOwned.join(", ")}`);
  // The same files in the same order give the same database: no need to build two.
  if (mine.length === 0 && fresh.length === onDisk.length && fresh.every((f, i) => f.name === from[i]!.name && f.content === from[i]!.content)) {
    return pass(`the ${onDisk.length} migrations are byte for byte a fresh project's`);
  }
  const d = await deltaOnServer(superuserUrl, from, to, migra, { prove: false });
  if (d.statements.length === 0) {
    return pass(
      `the ${onDisk.length} migrations on disk give the same database as a fresh project's ${fresh.length}${mine.length ? ` (+ ${mine.length} of yours on both sides)` : ""}`,
    );
  }
  return fail(
    `the migrations on disk differ from a fresh project with the recorded options; to match, a migration would need:\n${d.statements.slice(0, 20).join("\n")}`,
  );
}
