/**
 * Runs the project's pinned Supabase CLI for deploy: in the project directory,
 * never waiting for input, its output relayed line by line through the
 * redactor so no secret value reaches the terminal or a CI log.
 */
import { execa } from "execa";
import type { Redactor } from "./redact.js";

export class StepFailure extends Error {}

export interface CliRunner {
  /** The command as printed (dry run, failures): secrets already replaced. */
  show(args: string[]): string;
  /**
   * Runs `supabase <args>`; relays its output unless `quiet` (then only on
   * failure). Throws StepFailure with the redacted output when it fails.
   */
  run(args: string[], opts?: { quiet?: boolean }): Promise<{ stdout: string; all: string }>;
}

export function cliRunner(opts: {
  bin: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  redact: Redactor;
  log: (line: string) => void;
  /** Shown instead of the real value of an argument (a temp file, a database URL). */
  display?: Map<string, string>;
}): CliRunner {
  const show = (args: string[]) => opts.redact(["supabase", ...args.map((a) => opts.display?.get(a) ?? a)].join(" "));
  const relay = (text: string) => {
    for (const line of text.split(/\r?\n/)) {
      // One line per uploaded file of every function: hundreds, and nothing to act on.
      if (line.trim() && !/^Uploading asset /.test(line)) opts.log(`  │ ${opts.redact(line)}`);
    }
  };
  return {
    show,
    async run(args, runOpts = {}) {
      const subprocess = execa(opts.bin, args, {
        cwd: opts.cwd,
        // The CLI reads SUPABASE_ACCESS_TOKEN, SUPABASE_DB_PASSWORD, SUPABASE_PROFILE from here.
        env: { ...opts.env, NO_COLOR: "1", DO_NOT_TRACK: "1", SUPABASE_TELEMETRY_DISABLED: "1" },
        extendEnv: false,
        stdin: "ignore",
        reject: false,
        all: true,
        timeout: 600_000,
      });
      // Relay as it comes (a functions deploy takes a while), whole lines only, redacted.
      let pending = "";
      if (!runOpts.quiet) {
        subprocess.all?.on("data", (chunk: Buffer | string) => {
          const parts = (pending + chunk.toString()).split(/\r?\n/);
          pending = parts.pop() ?? "";
          for (const line of parts) relay(line);
        });
      }
      const r = await subprocess;
      if (!runOpts.quiet && pending) relay(pending);
      const all = r.all ?? "";
      if (r.exitCode !== 0 || r.failed) {
        if (runOpts.quiet) relay(all);
        const last = all
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter((l) => l && !/^Try rerunning the command/.test(l))
          .pop();
        const why = r.timedOut ? "timed out" : r.exitCode === undefined ? String(r.shortMessage ?? "did not run") : `exited ${r.exitCode}`;
        throw new StepFailure(`${show(args)} ${why}${last ? `: ${opts.redact(last)}` : ""}`);
      }
      return { stdout: r.stdout ?? "", all };
    },
  };
}
