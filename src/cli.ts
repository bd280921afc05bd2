/**
 * Entry point: argv → create or verify, and every error → its exit code.
 * Only the option registry and the help text load eagerly; prompts, templates
 * and the verification engine load when they are needed.
 */
import { type Args, parseArgv } from "./args.js";
import { engine } from "./engine-load.js";
import { helpText } from "./help.js";
import { plainUi } from "./plain-ui.js";
import { VERSION } from "./version.js";


interface Exit {
  exitCode: number;
}

function exitCodeOf(error: unknown): number {
  const code = (error as Partial<Exit>)?.exitCode;
  return typeof code === "number" ? code : 1;
}

/**
 * Prints a failure once (and, with --json, its JSON form on stdout); returns
 * the exit code. Expected failures carry an exit code and a message that names
 * the fix; only an error without one (a bug) shows its stack.
 */
function reportFailure(error: unknown, json: boolean, show = (text: string) => console.error(text)): number {
  const code = exitCodeOf(error);
  const message = (error as Error).message;
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, exitCode: code, error: message })}\n`);
  const expected = (error as Partial<Exit>).exitCode !== undefined;
  show(code === 130 ? message : expected ? `Error: ${message}` : `Error: ${(error as Error).stack ?? message}`);
  return code;
}

async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgv(argv);
  } catch (error) {
    return reportFailure(error, argv.includes("--json"));
  }
  if (args.help) {
    process.stdout.write(helpText(VERSION));
    return 0;
  }
  if (args.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (args.command === "verify") return verifyCommand(args);
  if (args.command === "doctor" || args.command === "deploy") {
    const { dayTwoCommand } = await import("./deploy/command.js");
    return dayTwoCommand(args).catch((error: unknown) => reportFailure(error, false));
  }
  if (args.command === "add" || args.command === "upgrade") {
    const { evolveCommand } = await import("./evolve/command.js");
    return evolveCommand(args).catch((error: unknown) => reportFailure(error, args.json));
  }
  return createCommand(args);
}

async function verifyCommand(args: Args): Promise<number> {
  const { runVerify } = await import("./verify/index.js");
  const report = await runVerify(args.dir ?? ".", {
    databaseUrl: args.databaseUrl ?? process.env.DATABASE_URL,
    ci: process.env.CI === "true" || process.env.CI === "1",
    log: (line) => console.log(line),
  });
  return report.ok ? 0 : 1;
}

async function createCommand(args: Args): Promise<number> {
  const interactive = !args.yes && !args.json && !!process.stdin.isTTY && !!process.stdout.isTTY;
  // The prompts (clack) load only for a terminal; the plain output is small enough to come with the CLI.
  const ui = interactive ? await import("./prompts.js").then((m) => m.clackUi()) : plainUi(args.json);
  // create.ts and everything it runs, from dist/engine.js with its compile cache (engine-load.ts).
  const loaded = engine();
  const { create, formatPlan } = loaded.engine;
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.on("SIGINT", onSigint);
  try {
    const result = await create(args, ui, interactive, abort.signal, () => import("./steps.js"));
    // A project was made: this run compiled what creating one takes, worth keeping for the next.
    if (!result.dryRun) loaded.saveCache();
    if (args.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return 0;
    }
    if (result.dryRun && result.plan !== undefined) {
      // Exactly docs/PLAN.md's text on stdout, so it can be piped or saved.
      process.stderr.write("Dry run: nothing was written. The plan (docs/PLAN.md):\n");
      process.stdout.write(result.plan);
      return 0;
    }
    if (result.dryRun) {
      ui.done(["Dry run: nothing was written.", formatPlan(result), "", "To create it:", `  ${result.reproduce}`].join("\n"));
      return 0;
    }
    for (const warning of result.warnings) ui.warn(warning);
    ui.done(
      [
        `Created ${result.projectName} (${result.files.length} files).`,
        "Next:",
        ...result.nextSteps.map((s) => `  ${s}`),
        "To create the same project again:",
        `  ${result.reproduce}`,
      ].join("\n"),
    );
    return 0;
  } catch (error) {
    return reportFailure(error, args.json, (text) => ui.fail(text));
  } finally {
    process.off("SIGINT", onSigint);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
