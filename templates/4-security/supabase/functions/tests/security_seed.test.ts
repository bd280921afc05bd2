/**
 * supabase/seed.sql creates sample accounts with a known password. It is for
 * `supabase db reset` on a developer's machine only: these checks keep it
 * obviously fake and out of every documented path to production.
 */
import assert from "node:assert/strict";

const read = (path: string) => Deno.readTextFileSync(new URL(path, import.meta.url));
const seed = read("../../seed.sql");

Deno.test("seed: says it is local only and must never be pushed with --include-seed", () => {
  const header = seed.split("\n").filter((l) => l.startsWith("--")).slice(0, 12).join("\n");
  assert.match(header, /LOCAL ONLY/);
  assert.match(header, /never[^.]*--include-seed/i);
});

Deno.test("seed: its accounts are obviously fake and cannot receive mail", () => {
  const emails = [...seed.matchAll(/'([^'\s]+@[^'\s]+)'/g)].map((m) => m[1]);
  assert.ok(emails.length > 0, "the seed has sample accounts");
  for (const email of emails) {
    // RFC 2606: .invalid can never be a real mailbox.
    assert.match(email, /@[a-z0-9.-]+\.invalid$/, `${email} could belong to someone`);
  }
  const ids = [
    ...seed.matchAll(/'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'/g),
  ]
    .map((m) => m[1])
    .filter((id) => id !== "00000000-0000-0000-0000-000000000000"); // instance_id
  assert.ok(ids.length > 0);
  for (const id of ids) assert.match(id, /^5eed0000-/, `${id} does not look like sample data`);
});

Deno.test("seed: no documented command or script pushes it to a hosted project", () => {
  const docs = [read("../../../README.md"), read("../../../package.json")];
  for (const text of docs) {
    for (const line of text.split("\n")) {
      if (!/--include-seed/.test(line)) continue;
      // Mentioned only to say it must not be used.
      assert.match(line, /\b(never|not|don't|do not)\b/i, `a command pushes the seed: ${line}`);
    }
  }
});
