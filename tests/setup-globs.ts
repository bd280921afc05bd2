/**
 * Tests call team.ts (ownerOf, buildPlan…) without loading a template bundle,
 * which is what hands the CLI its precompiled globs: compile them here, with
 * the compiler the build uses.
 */
import { compileTeamGlobs } from "../src/glob-compile.js";
import { useCompiledGlobs } from "../src/team.js";

useCompiledGlobs(compileTeamGlobs());
