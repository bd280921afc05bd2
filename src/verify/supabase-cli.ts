/**
 * The real Supabase CLI against our server: `db push` applies the migrations
 * exactly as in production, `db advisors` runs Supabase's own linter.
 */
import { execa } from "execa";
import { fail, type Outcome, pass } from "./report.js";

const CLI_ENV = { NO_COLOR: "1", DO_NOT_TRACK: "1" };

async function supabase(bin: string, cwd: string, args: string[]) {
  return execa(bin, args, { cwd, reject: false, stdin: "ignore", env: CLI_ENV, timeout: 300_000, all: true });
}

export async function dbPush(bin: string, projectDir: string, url: string, migrations: number): Promise<Outcome> {
  const r = await supabase(bin, projectDir, ["db", "push", "--db-url", url, "--yes", "--include-seed"]);
  if (r.exitCode === 0) return pass(`${migrations} migration${migrations === 1 ? "" : "s"} applied`);
  return fail(explainPushFailure(r.all ?? ""));
}

/** Names the migration that failed and keeps the SQL error, without CLI chatter. */
export function explainPushFailure(output: string): string {
  const lines = output.split("\n");
  const applying = [...output.matchAll(/Applying migration (\S+?)\.\.\./g)].pop()?.[1];
  const seeding = /Seeding data from (\S+?)\.\.\./.exec(output)?.[1];
  const errorAt = lines.findIndex((l) => /^(ERROR|FATAL|failed to)/i.test(l.trim()));
  const error = lines
    .slice(errorAt < 0 ? 0 : errorAt)
    .filter((l) => l.trim() && !/^Try rerunning the command/.test(l.trim()))
    .slice(0, 20)
    .join("\n");
  const where = seeding && (!applying || output.lastIndexOf(seeding) > output.lastIndexOf(applying))
    ? `seed ${seeding}`
    : applying
      ? `supabase/migrations/${applying}`
      : "db push";
  return `${where}: ${error || output.trim()}`;
}

export interface Advisory {
  name: string;
  level: string;
  detail?: string;
  title?: string;
}

export async function dbAdvisors(bin: string, projectDir: string, url: string): Promise<Outcome> {
  const r = await supabase(bin, projectDir, [
    "db", "advisors", "--db-url", url, "--type", "all", "--level", "warn", "--fail-on", "warn", "-o", "json",
  ]);
  let issues: Advisory[] | undefined;
  try {
    const text = r.stdout.trim();
    issues = text ? (JSON.parse(text) as Advisory[]) : [];
  } catch {
    issues = undefined;
  }
  if (r.exitCode === 0 && issues && issues.length === 0) return pass("no issues at level WARN or above");
  if (issues && issues.length > 0) {
    return fail(issues.map((i) => `${i.name} (${i.level}): ${i.detail ?? i.title ?? ""}`).join("\n"));
  }
  return fail(`supabase db advisors exited ${r.exitCode}: ${(r.stderr || r.stdout).trim()}`);
}
