/**
 * The delta migration through Supabase's Postgres Language Server
 * (`postgrestools check`, npm @postgrestools/postgrestools) plus our own
 * check for statements that lose data. The delta starts with
 * `set lock_timeout`, which honestly answers the server's lockTimeoutWarning
 * (a busy table makes the migration fail fast instead of stalling the app);
 * anything still reported — a dropped column or table, a rewrite, a lock
 * without a timeout — is blocking: it needs --allow-destructive.
 */
import fs from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { tmpDir } from "./delta.js";
import { ensureTool } from "./tools.js";

export interface LintFinding {
  rule: string;
  message: string;
  line?: number;
  blocking: boolean;
}

/** Statements that lose data or rewrite a table, whatever the linter says. */
const DESTRUCTIVE: Array<[RegExp, string]> = [
  [/^\s*drop\s+(table|schema|materialized view)\b/im, "drops a table or schema"],
  [/\bdrop\s+column\b/i, "drops a column"],
  [/\balter\s+column\s+\S+\s+(set\s+data\s+)?type\b/i, "changes a column type (rewrites the table)"],
  [/^\s*truncate\b/im, "truncates a table"],
  [/^\s*delete\s+from\b/im, "deletes rows"],
];

/**
 * The server's rules that mean lost data, a table rewrite, broken clients or
 * a lock with no timeout. Its other safety advice (several ALTERs on one
 * table, a NOT VALID constraint validated in the same transaction, statements
 * run while holding a lock) is printed but does not block: on the small
 * catalog tables a generated delta touches, under `lock_timeout`, they cost
 * milliseconds, and a timeout makes the migration fail cleanly instead of stalling.
 * requireSeparateConstraintValidation is reported as an error by the server
 * but cannot be followed inside one migration file (`supabase db push` runs
 * each file in one transaction) and a constraint left NOT VALID would differ
 * from a fresh project's: validating a widened CHECK scans the table under
 * the lock, which the printed finding tells the operator.
 */
const BLOCKING_RULES = /ban|drop|changingColumnType|addingFieldWithDefault|addingRequiredField|addingNotNull|rename|lockTimeoutWarning|truncate|addingPrimaryKey/i;

/** The SQL without dollar-quoted bodies (functions, DO blocks): what runs when the migration runs. */
export function outsideBodies(sql: string): string {
  return sql.replace(/(\$[A-Za-z_]*\$)[\s\S]*?\1/g, "$$…$$").replace(/^\s*--.*$/gm, "");
}

export function destructiveStatements(sql: string): LintFinding[] {
  const top = outsideBodies(sql);
  return DESTRUCTIVE.filter(([re]) => re.test(top)).map(([, message]) => ({ rule: "destructive", message, blocking: true }));
}

export async function lintDelta(sql: string, projectDir: string, log: (line: string) => void): Promise<LintFinding[]> {
  const findings = destructiveStatements(sql);
  const bin = await ensureTool("postgrestools", projectDir, log);
  const dir = tmpDir("cvb-lint-");
  try {
    fs.writeFileSync(path.join(dir, "delta.sql"), sql);
    const r = await execa(bin, ["check", "--reporter=json", "delta.sql"], { cwd: dir, reject: false, stdin: "ignore" });
    const start = r.stdout.indexOf("{");
    if (start < 0) throw new Error(`postgrestools printed no report (exit ${r.exitCode}): ${r.stderr.slice(0, 300)}`);
    const report = JSON.parse(r.stdout.slice(start)) as {
      diagnostics: Array<{ severity: string; message: string; category: string; location?: { start?: { line: number } } }>;
    };
    for (const d of report.diagnostics) {
      findings.push({
        rule: d.category,
        message: d.message,
        ...(d.location?.start ? { line: d.location.start.line } : {}),
        blocking: BLOCKING_RULES.test(d.category),
      });
    }
    return findings;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
