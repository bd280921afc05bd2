/**
 * `create-video-backend doctor [dir]`: are the secrets the chosen options need
 * present and well-formed? Also the first step of `deploy`, so nothing is
 * touched while a secret is missing or malformed.
 *
 * Data-driven: every variable, its check and where to get it come from the
 * registry in src/secrets.ts. One line per problem: which secret, what is
 * wrong, where to get it. No value is ever printed.
 */
import path from "node:path";
import { isPlatformName, isRequired } from "../secrets.js";
import { checkValue } from "./checks.js";
import { type GeneratedProject, readGeneratedProject, readSecretValues, type SecretValues } from "./project.js";

export { readGeneratedProject, readSecretValues, type GeneratedProject, type SecretValues } from "./project.js";

export interface Problem {
  name: string;
  /** What is wrong, without the value. */
  message: string;
  /** Where to get a good value. */
  hint?: string;
}

export interface DoctorResult {
  ok: boolean;
  project: GeneratedProject;
  secrets: SecretValues;
  problems: Problem[];
  /** Not failures: names in .env that deploy will not send, and why. */
  warnings: string[];
}

export function diagnose(project: GeneratedProject, secrets: SecretValues): DoctorResult {
  const problems: Problem[] = [];
  for (const v of project.envVars) {
    const value = secrets.values.get(v.name);
    if (value === undefined) {
      if (isRequired(v)) problems.push({ name: v.name, message: `missing (${v.description})`, hint: v.hint });
      continue;
    }
    let wrong = checkValue(v.check, value, { options: project.options });
    if (wrong && secrets.quoting.get(v.name) === '"' && v.check?.kind === "googleServiceAccount") {
      wrong += "; in .env, JSON goes in single quotes";
    }
    if (wrong) problems.push({ name: v.name, message: wrong, hint: v.hint });
  }
  const warnings = secrets.unknown.map((name) =>
    isPlatformName(name)
      ? `${name} in .env is set by Supabase itself on the hosted project: deploy never sends it (remove it from .env)`
      : `${name} in .env is not read by this project's functions: deploy does not send it (set it by hand with \`supabase secrets set\` if your own code needs it)`,
  );
  return { ok: problems.length === 0, project, secrets, problems, warnings };
}

export function formatProblem(p: Problem): string {
  return `✗ ${p.name}: ${p.message}${p.hint ? ` → ${p.hint}` : ""}`;
}

export function runDoctor(dir: string, opts: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {}): DoctorResult {
  const log = opts.log ?? ((line: string) => console.log(line));
  const project = readGeneratedProject(path.resolve(dir));
  const secrets = readSecretValues(project, opts.env ?? process.env);
  const result = diagnose(project, secrets);
  const fromFile = [...secrets.source.values()].filter((s) => s === ".env").length;
  const fromEnv = secrets.source.size - fromFile;
  log(
    `doctor ${project.dir}: ${project.envVars.length} variables for these options; ` +
      `${fromFile} set in .env${secrets.envFileExists ? "" : " (no .env: copy .env.example to .env and fill it in)"}, ${fromEnv} from the environment`,
  );
  for (const p of result.problems) log(formatProblem(p));
  for (const w of result.warnings) log(`! ${w}`);
  log(
    result.ok
      ? "✓ every secret these options need is present and well-formed"
      : `${result.problems.length} problem${result.problems.length === 1 ? "" : "s"}: fix ${secrets.envFileExists ? ".env" : "them in .env"} (or the environment), then run doctor again`,
  );
  return result;
}
