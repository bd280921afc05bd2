/**
 * `supabase functions deploy` bundles each function with the deno.json in its
 * own folder, while the tests and checks here use the root deno.json. This
 * keeps them in step: every bare import reachable from a function's index.ts
 * must be in that function's map, pinned exactly as in the root map.
 */
import assert from "node:assert/strict";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), ".."));

function imports(file: string): string[] {
  const map = JSON.parse(
    Deno.readTextFileSync(file).replace(/^\s*\/\/.*$/gm, ""),
  ) as { imports?: Record<string, string> };
  return Object.entries(map.imports ?? {}).map(([k, v]) => `${k}=${v}`);
}

/** Bare specifiers used by `entry` and every local module it reaches. */
function bareImports(entry: string): Set<string> {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = Deno.readTextFileSync(file);
    for (const [, spec] of source.matchAll(/(?:import|export)[^"']*?from\s+["']([^"']+)["']/g)) {
      if (spec.startsWith(".")) visit(normalize(join(dirname(file), spec)));
      else if (!spec.startsWith("node:") && !spec.startsWith("npm:")) bare.add(spec);
    }
  };
  visit(entry);
  return bare;
}

const functions = [...Deno.readDirSync(ROOT)]
  .filter((e) => e.isDirectory && !e.name.startsWith("_") && e.name !== "tests")
  .map((e) => e.name)
  .filter((name) => {
    try {
      return Deno.statSync(join(ROOT, name, "index.ts")).isFile;
    } catch {
      return false;
    }
  });

Deno.test("every function has a deno.json that resolves all its imports as the root does", () => {
  assert.ok(functions.length > 0);
  const root = new Set(imports(join(ROOT, "deno.json")));
  const rootKeys = new Map([...root].map((e) => [e.split("=")[0], e]));
  for (const name of functions) {
    const own = imports(join(ROOT, name, "deno.json"));
    for (const entry of own) {
      assert.ok(root.has(entry), `${name}/deno.json: ${entry} differs from the root deno.json`);
    }
    const ownKeys = new Set(own.map((e) => e.split("=")[0]));
    for (const spec of bareImports(join(ROOT, name, "index.ts"))) {
      const key = [...rootKeys.keys()].find((k) => spec === k || spec.startsWith(`${k}/`));
      assert.ok(key, `${name}: "${spec}" is in no import map`);
      assert.ok(ownKeys.has(key), `${name}/deno.json lacks "${key}" (used via ${spec})`);
    }
  }
});
