/**
 * Entry point: argv → create or verify, and every error → its exit code.
 * Only the option registry and the help text load eagerly; prompts, templates
 * and the verification engine load when they are needed.
 */
import { type Args, parseArgv } from "./args.js";
import { helpText } from "./help.js";
import { VERSION } from "./version.js";


interface Exit {
  exitCode: number;
}

function exitCodeOf(error: unknown): number {
  const code = (error as Partial<Exit>)?.exitCode;
  return typeof code === "number" ? code : 1;
}

/** Prints a failure (and, with --json, its JSON form on stdout); returns the exit code. */
function reportFailure(error: unknown, json: boolean): number {
  const code = exitCodeOf(error);
  const message = (error as Error).message;
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, exitCode: code, error: message })}\n`);
  console.error(code === 130 ? message : `Error: ${message}`);
  // An error without an exit code is a bug or an I/O failure: show where.
  if ((error as Partial<Exit>).exitCode === undefined) console.error((error as Error).stack);
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
  const { create, formatPlan } = await import("./create.js");
  const interactive = !args.yes && !args.json && !!process.stdin.isTTY && !!process.stdout.isTTY;
  const ui = interactive ? (await import("./prompts.js")).clackUi() : (await import("./plain-ui.js")).plainUi(args.json);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.on("SIGINT", onSigint);
  try {
    const result = await create(args, ui, interactive, abort.signal);
    if (args.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return 0;
    }
    if (result.dryRun) {
      console.log(formatPlan(result));
      console.log(`\nDry run: nothing was written. To create it: ${result.reproduce.replace(" --", " -- ")}`);
      return 0;
    }
    for (const warning of result.warnings) ui.warn(warning);
    ui.done(
      [
        `Created ${result.projectName} (${result.files.length} files). Next:`,
        ...result.nextSteps.map((s) => `  ${s}`),
        `To create the same project again: ${result.reproduce}`,
      ].join("\n"),
    );
    return 0;
  } catch (error) {
    return reportFailure(error, args.json);
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
