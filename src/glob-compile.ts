/**
 * Compiles the team's ownership globs (team.ts) with picomatch: at build time
 * into the template bundle (precompile.ts), and in tests and tools that match
 * paths without loading a bundle. The CLI itself never loads this module.
 */
import picomatch from "picomatch";
import { type CompiledGlob, teamGlobs } from "./team.js";

/** How every ownership glob is matched (picomatch options). */
export const GLOB_OPTIONS = { dot: true } as const;

export function compileGlob(glob: string): CompiledGlob {
  const re = picomatch.makeRe(glob, GLOB_OPTIONS);
  // picomatch compiles a plain path to "exactly this text": compare strings instead.
  if (re.flags === "" && re.source === `^(?:${glob.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")})$`) return { base: glob };
  const scan = picomatch.scan(glob);
  // A negated glob matches paths outside its base, and an escaped character is not written as it matches.
  const base = scan.negated || scan.negatedExtglob || scan.base.includes("\\") ? "" : scan.base;
  return { base, re };
}

/** Every glob of TEAM and FALLBACK, compiled (what useCompiledGlobs takes). */
export function compileTeamGlobs(): Record<string, CompiledGlob> {
  return Object.fromEntries(teamGlobs().map((glob) => [glob, compileGlob(glob)]));
}
