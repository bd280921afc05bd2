/** `doctor` and `deploy` on the command line: thin wiring over the engines. */
import type { Args } from "../args.js";
import { runDoctor } from "../doctor/index.js";
import { runDeploy } from "./index.js";

export async function dayTwoCommand(args: Args): Promise<number> {
  const dir = args.dir ?? ".";
  if (args.command === "doctor") return runDoctor(dir).ok ? 0 : 1;
  // Inside `npm run deploy` the resume command is the same script.
  const viaScript = process.env.npm_lifecycle_event === "deploy";
  const result = await runDeploy(dir, {
    projectRef: args.projectRef,
    from: args.from,
    dryRun: args.dryRun,
    dbUrl: args.dbUrl,
    command: viaScript ? "npm run deploy --" : `create-video-backend deploy${args.dir ? ` ${args.dir}` : ""}`,
  });
  return result.exitCode;
}
