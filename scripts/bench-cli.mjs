#!/usr/bin/env node
/**
 * npm run bench:cli — how fast the CLI answers, against create-vite measured in
 * the same run on the same machine (the ratio is what counts on a shared box).
 *
 * - generation: the all-features project (`--yes --no-git --no-install`, every
 *   auth, store, provider and monitor) vs `create-vite <dir> --template
 *   vanilla-ts --no-interactive` (create-vite is a pinned devDependency),
 *   with the CLI's compile cache in place (every run after a user's first),
 *   and a first run beside it (no cache: it compiles and saves one);
 * - `--help`, with `node -e 0` as the floor no Node CLI can go below;
 * - peak RSS of each (the child's own maxRSS, from a preloaded probe, measured
 *   in separate runs so the probe never touches the timings).
 *
 * Runs are interleaved (ours, create-vite, --help, node, ours, …) so load
 * changes hit all of them alike; each figure is the median. Before each
 * timed run the bench calls sync(1), untimed, and each project is removed
 * after its run: the file system starts every run with nothing left to write
 * back (on ext4, the previous run's files or their deletion otherwise slow
 * the next run's file creations, a generator that writes 16 times more files
 * than create-vite most). Targets: ratio ≤ 2.0, --help ≤ 60 ms, peak RSS ≤
 * 80 MiB. It prints the figures and exits 0: a benchmark informs, it is not
 * a test.
 *
 * Node's start-up depends on the environment: with NODE_EXTRA_CA_CERTS set
 * (as on our shared machine, for every process), Node reads and parses that
 * CA bundle before running any code, about 40 ms per process. When it (or
 * NODE_OPTIONS) is set, every subject is measured twice in the same rounds:
 * with the environment as it is, and with Node's default start-up (both
 * variables removed, for every subject alike).
 *
 * Environment: CVB_BENCH_RUNS (default 20), CVB_BENCH_DIR (where projects are
 * written; default the OS temp dir).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const BIN = path.join(ROOT, "bin/create-video-backend.js");
const RSS_PROBE = path.join(ROOT, "scripts/bench-cli-rss.cjs");
const RUNS = Number(process.env.CVB_BENCH_RUNS ?? 20);
const TARGETS = { ratio: 2.0, helpMs: 60, rssMiB: 80 };

if (!fs.existsSync(path.join(ROOT, "dist/cli.js"))) {
  console.error("dist/cli.js is missing: run `npm run build` first.");
  process.exit(1);
}
const require = createRequire(import.meta.url);
const vitePkgPath = require.resolve("create-vite/package.json");
const vitePkg = JSON.parse(fs.readFileSync(vitePkgPath, "utf8"));
const VITE_BIN = path.join(path.dirname(vitePkgPath), typeof vitePkg.bin === "string" ? vitePkg.bin : vitePkg.bin["create-vite"]);

const work = fs.mkdtempSync(path.join(process.env.CVB_BENCH_DIR ?? os.tmpdir(), "cvb-bench-"));
const ALL_FEATURES = [
  "--yes", "--no-git", "--no-install",
  "--auth", "apple,anonymous,devicecheck",
  "--iap", "apple,google,revenuecat",
  "--providers", "fal,runway,replicate",
  "--monitoring", "sentry,telegram",
];

/**
 * The CLI keeps V8's compile cache of its generation engine (src/engine-load.ts)
 * in a directory: the bench gives it its own, which the warm-up run fills, so
 * "ours" is every run after a user's first. "ours, first run" gets an empty
 * one each time: it compiles the engine and saves the cache, as a user's very
 * first run (or the first after an upgrade of the CLI or of Node) does.
 */
const COMPILE_CACHE = path.join(work, "compile-cache");
let coldCaches = 0;

/** Each subject: how to run it once into a fresh directory name (and what it adds to the environment). */
const SUBJECTS = [
  { key: "ours", label: "create-video-backend (all features)", args: (dir) => [BIN, dir, ...ALL_FEATURES], writes: true },
  {
    key: "first",
    label: "  the same, a first run (no compile cache)",
    args: (dir) => [BIN, dir, ...ALL_FEATURES],
    writes: true,
    env: () => ({ CVB_COMPILE_CACHE: path.join(work, `cold-cache-${coldCaches++}`) }),
  },
  { key: "vite", label: `create-vite ${vitePkg.version} (vanilla-ts)`, args: (dir) => [VITE_BIN, dir, "--template", "vanilla-ts", "--no-interactive"], writes: true },
  { key: "help", label: "create-video-backend --help", args: () => [BIN, "--help"], writes: false },
  { key: "node", label: "node -e 0 (start-up floor)", args: () => ["-e", "0"], writes: false },
];

// Both CLIs detect the package manager from this; keep it neutral and equal.
const asIs = { ...process.env, npm_config_user_agent: "", CI: "", CVB_COMPILE_CACHE: COMPILE_CACHE };
const defaultStart = { ...asIs };
delete defaultStart.NODE_EXTRA_CA_CERTS;
delete defaultStart.NODE_OPTIONS;
const startUpVars = ["NODE_EXTRA_CA_CERTS", "NODE_OPTIONS"].filter((v) => process.env[v] !== undefined);
const MODES = [
  { key: "asIs", title: startUpVars.length ? `this machine's environment (${startUpVars.join(", ")} set)` : "this machine's environment", env: asIs },
  ...(startUpVars.length ? [{ key: "default", title: `Node's default start-up (without ${startUpVars.join(", ")})`, env: defaultStart }] : []),
];

let counter = 0;
function runOnce(subject, env, nodeArgs = []) {
  const dir = `p${counter++}`;
  spawnSync("sync"); // untimed: no write-back left from earlier runs
  const extra = subject.env?.() ?? {};
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [...nodeArgs, ...subject.args(dir)], {
    cwd: work,
    env: { ...env, ...extra },
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${subject.label} exited ${r.status}: ${r.stderr}`);
  if (extra.CVB_COMPILE_CACHE) fs.rmSync(extra.CVB_COMPILE_CACHE, { recursive: true, force: true });
  return { ms, dir: path.join(work, dir) };
}

/** Runs it and removes what it wrote (untimed). */
function timedRun(subject, env, nodeArgs = []) {
  const { ms, dir } = runOnce(subject, env, nodeArgs);
  if (subject.writes) fs.rmSync(dir, { recursive: true, force: true });
  return ms;
}

function countFiles(dir) {
  let n = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    n += entry.isDirectory() ? countFiles(path.join(dir, entry.name)) : 1;
  }
  return n;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");
const loadBefore = load();

/**
 * How costly creating files is right now where the projects are written
 * (160 small files in 20 directories). On a shared virtual disk this swings
 * by an order of magnitude from minute to minute, and a generator that writes
 * 14 times more files than create-vite feels it 14 times more.
 */
function fileCreationProbe() {
  const dir = path.join(work, `probe-${counter++}`);
  const started = process.hrtime.bigint();
  fs.mkdirSync(dir);
  for (let d = 0; d < 20; d++) {
    fs.mkdirSync(path.join(dir, `d${d}`));
    for (let f = 0; f < 8; f++) fs.writeFileSync(path.join(dir, `d${d}`, `f${f}`), "x".repeat(2000), { flag: "wx" });
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  fs.rmSync(dir, { recursive: true, force: true });
  return ms;
}
const probeBefore = fileCreationProbe();
let probeAfter = 0;

/** times[mode][subject] = [ms…]; rss[mode][subject] = [MiB…] */
const times = Object.fromEntries(MODES.map((m) => [m.key, Object.fromEntries(SUBJECTS.map((s) => [s.key, []]))]));
const rss = Object.fromEntries(MODES.map((m) => [m.key, Object.fromEntries(SUBJECTS.map((s) => [s.key, []]))]));
const files = {};
try {
  // Warm the file cache (node, the bundles, create-vite's templates) first.
  for (const s of SUBJECTS) {
    const { dir } = runOnce(s, MODES[0].env);
    if (s.writes) {
      files[s.key] = countFiles(dir);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  for (let i = 0; i < RUNS; i++) {
    for (const m of MODES) for (const s of SUBJECTS) times[m.key][s.key].push(timedRun(s, m.env));
  }
  // Peak memory, in separate runs: the probe reports the child's own maxRSS (KiB) at exit.
  for (let i = 0; i < 5; i++) {
    for (const m of MODES) {
      for (const s of SUBJECTS) {
        const out = path.join(work, `rss-${m.key}-${s.key}-${i}.kb`);
        timedRun(s, { ...m.env, CVB_BENCH_RSS_OUT: out }, ["--require", RSS_PROBE]);
        rss[m.key][s.key].push(Number(fs.readFileSync(out, "utf8")) / 1024);
      }
    }
  }
} finally {
  probeAfter = fileCreationProbe();
  fs.rmSync(work, { recursive: true, force: true });
}

const fmt = (ms) => `${Math.round(ms)} ms`;
const verdict = (ok) => (ok ? "met" : "MISSED");

console.log(`bench:cli — node ${process.version}, ${os.cpus().length} CPUs, ${RUNS} interleaved runs of each`);
console.log(`load average (1/5/15 min): ${loadBefore} before, ${load()} after`);
console.log(`projects written under ${path.dirname(work)}; creating 160 files there took ${fmt(probeBefore)} before, ${fmt(probeAfter)} after`);
for (const m of MODES) {
  const t = times[m.key];
  console.log(`\n${m.title}`);
  console.log(`  ${"".padEnd(40)}  ${"median".padStart(8)}  ${"min–max".padStart(16)}  ${"files".padStart(5)}  ${"peak RSS".padStart(10)}`);
  for (const s of SUBJECTS) {
    console.log([
      `  ${s.label.padEnd(40)}`,
      fmt(median(t[s.key])).padStart(8),
      `${fmt(Math.min(...t[s.key]))}–${fmt(Math.max(...t[s.key]))}`.padStart(16),
      String(files[s.key] ?? "").padStart(5),
      `${median(rss[m.key][s.key]).toFixed(1)} MiB`.padStart(10),
    ].join("  "));
  }
  const ratio = median(t.ours) / median(t.vite);
  const help = median(t.help);
  const peak = Math.max(...rss[m.key].ours, ...rss[m.key].first, ...rss[m.key].help);
  console.log(`  generation ratio (create-video-backend / create-vite): ${ratio.toFixed(2)}   target ≤ ${TARGETS.ratio.toFixed(1)}  ${verdict(ratio <= TARGETS.ratio)}`);
  console.log(`    a first run, which compiles the engine and saves its cache: ${(median(t.first) / median(t.vite)).toFixed(2)} (no target)`);
  console.log(`  --help: ${fmt(help)} (${fmt(help - median(t.node))} above node -e 0)   target ≤ ${TARGETS.helpMs} ms  ${verdict(help <= TARGETS.helpMs)}`);
  console.log(`  peak RSS (generation, first run, --help): ${peak.toFixed(1)} MiB   target ≤ ${TARGETS.rssMiB} MiB  ${verdict(peak <= TARGETS.rssMiB)}`);
}
