/** --help, derived from the option registry. Loads nothing else. */
import { CHOICES, choiceOf, DRY_RUN_FORMATS, FORMAT_FLAG, SETTINGS, SWITCHES } from "./options.js";

export function helpText(version: string): string {
  const rows: Array<[string, string]> = [];
  for (const c of CHOICES) {
    const values = [...c.values.map((v) => v.value), ...(c.none ? [c.none] : [])].join("|");
    rows.push([`--${c.flag} <${values}>`, `${c.prompt} (comma list; default ${c.default.join(",")})`]);
    for (const v of c.values) rows.push([`    ${v.value}`, `${v.label}: ${v.hint}`]);
  }
  for (const s of SETTINGS) {
    const only = s.relevantWith ? `; only with ${s.relevantWith.map((r) => `--${choiceOf(r.key).flag} ${r.value}`).join(" or ")}` : "";
    rows.push([`--${s.flag} <value>`, `${s.description} (default ${s.defaultText}${only})`]);
  }
  for (const s of SWITCHES) {
    const name = s.negatable ? `--no-${s.flag}` : `--${s.flag}`;
    rows.push([s.short ? `-${s.short}, ${name}` : name, s.description]);
    if (s.key === "dryRun") rows.push([`--${FORMAT_FLAG.flag} <${DRY_RUN_FORMATS.join("|")}>`, FORMAT_FLAG.description]);
  }
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  const flags = rows.map(([l, r]) => `  ${l.padEnd(width)}${r}`).join("\n");
  return `create-video-backend ${version}
Scaffold a Supabase backend for a credit-based AI video app, layer by layer:
database → credit procedures → API → security → operations.

Usage
  npm create video-backend@latest [dir] -- [flags]
  create-video-backend [dir] [flags]
  create-video-backend verify [dir] [--database-url URL]   Docker-free proof of a generated project
  create-video-backend doctor [dir]                        are the secrets in .env present and well-formed?
  create-video-backend deploy [dir] [--project-ref REF] [--dry-run] [--from STEP] [--db-url URL]
      go live with the Supabase CLI: doctor, link, config, db, vault, secrets, functions, smoke
  create-video-backend add <feature…> [dir] [--dry-run] [--json] [--force] [--allow-destructive]
      add runway · add iap google · add monitoring telegram · add auth devicecheck
  create-video-backend upgrade [dir] [--from TARBALL] [--dry-run] [--json] [--force] [--allow-destructive]
      re-render with this version: 3-way merge of your edits, one proven schema migration

Flags
${flags}

Non-interactive use
  Prompts appear only when stdin and stdout are both terminals. Otherwise give
  every choice as a flag, or --yes to take the defaults for the rest:
    npx create-video-backend my-app --yes --providers fal,runway --iap apple,google

Exit codes
  0 success, 1 failure (target not empty, I/O; add/upgrade: conflict markers to resolve), 2 usage error, 130 cancelled
`;
}
