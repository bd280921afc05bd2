/**
 * Every answer of an app-facing endpoint that a test produces must reach
 * verify's contract check, so tests build those handlers from contract.ts
 * (which records their answers), never from the function's handler.ts.
 * The app-facing endpoints are read from openapi.json (x-audience: app).
 */
import assert from "node:assert/strict";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), ".."));

function appEndpoints(): string[] {
  const document = JSON.parse(Deno.readTextFileSync(join(ROOT, "openapi.json"))) as {
    paths: Record<string, Record<string, { "x-audience"?: string }>>;
  };
  return Object.entries(document.paths)
    .filter(([, item]) => Object.values(item).some((op) => op["x-audience"] === "app"))
    .map(([path]) => path.slice(1));
}

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...testFiles(path));
    else if (entry.name.endsWith(".ts") && entry.name !== "contract.ts") out.push(path);
  }
  return out;
}

Deno.test("tests build app-facing handlers through tests/contract.ts (recorded)", () => {
  const app = new Set(appEndpoints());
  assert.ok(app.has("generate-video"), "openapi.json lists generate-video as app-facing");
  const bypasses: string[] = [];
  for (const file of testFiles(join(ROOT, "tests"))) {
    const source = Deno.readTextFileSync(file);
    for (
      const [, names, spec] of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*["']([^"']+)["']/g)
    ) {
      const target = normalize(join(dirname(file), spec));
      const fn = /([^/]+)\/handler\.ts$/.exec(target)?.[1];
      if (!fn || !app.has(fn)) continue;
      const handlers = names.split(",").map((n) => n.trim())
        .filter((n) => !n.startsWith("type ") && /Handler\b/.test(n));
      for (const name of handlers) bypasses.push(`${file.slice(ROOT.length + 1)}: ${name} (${fn})`);
    }
  }
  assert.deepEqual(
    bypasses,
    [],
    "import these from tests/contract.ts, so their answers are checked against openapi.json",
  );
});
