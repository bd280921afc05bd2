/**
 * The pure parts of add/upgrade: the feature grammar, the file-action table,
 * merge labels and markers, the manifest's hashes, the delta's name, and the
 * exit codes of the commands' refusals (which need no database).
 */
import { execa } from "execa";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyWrites } from "../../src/evolve/apply.js";
import { addedWords, deltaName, nextOptions, recordedOptions } from "../../src/evolve/engine.js";
import { decideFiles, mergeLabels, mergeText, type Version } from "../../src/evolve/files.js";
import { applyAdditions, parseFeatures } from "../../src/evolve/grammar.js";
import { destructiveStatements, outsideBodies } from "../../src/evolve/lint.js";
import { type Manifest, projectNameOf, readManifest, sealManifest, sha256 } from "../../src/evolve/manifest.js";
import { buildContext } from "../../src/plan.js";
import { render } from "../../src/render.js";
import { withDefaults } from "../../src/options.js";

const BIN = path.resolve("bin/create-video-backend.js");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-evolve-unit-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const minimal = { auth: ["anonymous"], iap: [], providers: ["fal"], monitoring: [] };

describe("add's grammar", () => {
  it("takes a bare value where one choice has it, and <choice> <values>", () => {
    expect(parseFeatures(["runway"])).toEqual({ additions: { providers: ["runway"] } });
    expect(parseFeatures(["iap", "google,revenuecat", "telegram"])).toEqual({
      additions: { iap: ["google", "revenuecat"], monitoring: ["telegram"] },
    });
    expect(parseFeatures(["provider", "replicate"]).additions).toEqual({ providers: ["replicate"] });
  });

  it("reads a last word that is no feature as the directory", () => {
    expect(parseFeatures(["runway", "my-app"])).toEqual({ additions: { providers: ["runway"] }, dir: "my-app" });
    expect(parseFeatures(["auth", "apple", "./x"]).dir).toBe("./x");
  });

  it("refuses `apple` alone, naming both spellings", () => {
    expect(() => parseFeatures(["apple"])).toThrow(/ambiguous.*add auth apple or add iap apple/);
  });

  it("names the closest feature for a typo, and refuses none", () => {
    expect(() => parseFeatures(["runwya"])).toThrow(/unknown feature "runwya".*"runway"/);
    expect(() => parseFeatures(["iap", "none"])).toThrow(/add only adds/);
    expect(() => parseFeatures(["iap"])).toThrow(/needs a value/);
    expect(() => parseFeatures([])).toThrow(/at least one feature/);
  });

  it("refuses a feature already present, and a combination the rules refuse with the add that fixes it", () => {
    expect(() => applyAdditions(minimal, { providers: ["fal"] })).toThrow(/fal is already in this project/);
    const noGuests = { ...minimal, auth: ["apple"] };
    expect(() => applyAdditions(noGuests, { auth: ["devicecheck"] })).toThrow(/needs anonymous.*add auth anonymous,devicecheck/);
    expect(applyAdditions(minimal, { providers: ["replicate", "runway"] }).providers).toEqual(["fal", "runway", "replicate"]);
  });

  it("takes the settings a new feature needs, never one already in use", () => {
    const current = withDefaults(minimal, {}, "npm");
    const next = nextOptions(current, { iap: ["google"] }, { androidPackage: "com.acme.play" });
    expect(next.iap).toEqual(["google"]);
    expect(next.androidPackage).toBe("com.acme.play");
    expect(() => nextOptions(current, { providers: ["runway"] }, { androidPackage: "com.acme.play" })).toThrow(/applies only with --iap google/);
    const apple = withDefaults({ ...minimal, auth: ["apple", "anonymous"] }, {}, "npm");
    expect(() => nextOptions(apple, { iap: ["apple"] }, { bundleId: "com.other.app" })).toThrow(/already set/);
  });

  it("names a delta after the features, with the choice where the value is ambiguous", () => {
    expect(addedWords({ iap: ["apple", "google"], providers: ["runway"] })).toEqual(["iap_apple", "google", "runway"]);
    const name = deltaName("add", "0.2.0", { providers: ["runway"] }, ["20991231235959_late.sql"], new Date("2026-01-01T00:00:00Z"));
    expect(name).toBe("21000101000000_add_runway.sql"); // after every existing migration, even one dated in the future
    expect(deltaName("upgrade", "0.1.0", undefined, [], new Date("2026-03-04T05:06:07Z"))).toMatch(/^20260304050607_upgrade_0_1_0_to_\w+\.sql$/);
  });
});

describe("file actions", () => {
  const labels = mergeLabels("0.1.0", "0.2.0", "upgrade");
  const v = (content: string, mode?: number): Version => ({ content, ...(mode ? { mode } : {}) });
  const decide = (b?: string, o?: string, t?: string) => {
    const m = (x?: string) => new Map(x === undefined ? [] : [["f.ts", v(x)]]);
    return decideFiles(m(b), m(o), m(t), labels)[0];
  };

  it("follows the table", () => {
    expect(decide(undefined, "new", undefined)?.action).toBe("add");
    expect(decide("a", "b", "a")?.action).toBe("replace");
    expect(decide("a", "a", "mine")).toMatchObject({ action: "keep", note: expect.stringMatching(/your edits/) });
    expect(decide("a", "b", "b")?.action).toBe("keep");
    expect(decide("a", undefined, "a")?.action).toBe("delete");
    expect(decide("a", undefined, "mine")).toMatchObject({ action: "keep", note: expect.stringMatching(/you changed it/) });
    expect(decide("a", "b", undefined)).toMatchObject({ action: "keep", note: expect.stringMatching(/you deleted it/) });
  });

  it("merges edits on different lines, and marks a conflict with labelled diff3 markers", () => {
    const base = "one\ntwo\nthree\nfour\n";
    const merged = decide(base, "one\ntwo\nthree\nFOUR\n", "ONE\ntwo\nthree\nfour\n");
    expect(merged).toMatchObject({ action: "merge", content: "ONE\ntwo\nthree\nFOUR\n" });
    const conflict = decide(base, "one\nTWO (new)\nthree\nfour\n", "one\ntwo (mine)\nthree\nfour\n");
    expect(conflict?.action).toBe("conflict");
    expect(conflict?.content).toBe(
      [
        "one",
        `<<<<<<< ${labels.theirs}`,
        "two (mine)",
        `||||||| ${labels.base}`,
        "two",
        "=======",
        "TWO (new)",
        `>>>>>>> ${labels.ours}`,
        "three",
        "four",
        "",
      ].join("\n"),
    );
    expect(labels.base).toContain("0.1.0");
    expect(labels.ours).toContain("0.2.0");
  });

  it("never touches migrations or the manifest, and keeps the user's executable bit on a merge", () => {
    const m = new Map([["supabase/migrations/1_x.sql", v("a")], ["video-backend.json", v("{}")], ["run.sh", v("a\nb\nc\n", 0o755)]]);
    const ours = new Map([["supabase/migrations/1_x.sql", v("b")], ["video-backend.json", v("{ }")], ["run.sh", v("a\nb\nC\n", 0o644)]]);
    const theirs = new Map([["supabase/migrations/1_x.sql", v("a")], ["video-backend.json", v("{}")], ["run.sh", v("A\nb\nc\n", 0o755)]]);
    const actions = decideFiles(m, ours, theirs, labels);
    expect(actions.map((a) => a.path)).toEqual(["run.sh"]);
    expect(actions[0]).toMatchObject({ action: "merge", mode: 0o755, content: "A\nb\nC\n" });
  });

  it("gives a replaced file the new version's executable bit, either way", () => {
    const replace = (o: Version, t: Version) =>
      decideFiles(new Map([["run.sh", v("a\n", t.mode)]]), new Map([["run.sh", o]]), new Map([["run.sh", t]]), labels)[0];
    expect(replace(v("b\n", 0o755), v("a\n"))).toMatchObject({ action: "replace", mode: 0o755 });
    expect(replace(v("b\n"), v("a\n", 0o750))).toMatchObject({ action: "replace", mode: 0o640 });
  });

  it("merges text with node-diff3 line by line", () => {
    expect(mergeText("x\ny\n", "x\ny\n", "x\ny\nz\n", labels)).toEqual({ content: "x\ny\nz\n", conflict: false });
  });
});

describe("the manifest", () => {
  it("records a sha256 of every generated file and the migrations the generator owns", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    const options = withDefaults(minimal, {}, "npm");
    const files = render(buildContext("app", options, { name: "create-video-backend", version: "0.2.0" }, now), now);
    const manifest = JSON.parse(files.find((f) => f.path === "video-backend.json")!.content) as Manifest;
    const others = files.filter((f) => f.path !== "video-backend.json");
    expect(Object.keys(manifest.files!).sort()).toEqual(others.map((f) => f.path).sort());
    for (const f of others) expect(manifest.files![f.path]).toBe(sha256(f.content));
    expect(manifest.migrations).toEqual(others.filter((f) => f.path.startsWith("supabase/migrations/")).map((f) => f.path.split("/").pop()).sort());
    expect(recordedOptions(manifest)).toEqual(options);
    expect(projectNameOf(manifest, "/somewhere/else")).toBe("app");
  });

  it("keeps the format additive: the 0.1.0 fields stay as they were", () => {
    const sealed = JSON.parse(sealManifest(JSON.stringify({ generator: "create-video-backend", version: "0.1.0", createdAt: "x", options: {} }), [
      { path: "a.txt", content: "a" },
    ]));
    expect(Object.keys(sealed)).toEqual(["generator", "version", "createdAt", "options", "files", "migrations"]);
  });

  it("refuses a missing or corrupt manifest with exit code 2 and the fix", () => {
    const dir = fs.mkdtempSync(path.join(tmp, "m-"));
    expect(() => readManifest(dir)).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringMatching(/not found.*restore it from git/) }));
    fs.writeFileSync(path.join(dir, "video-backend.json"), "{ nope");
    expect(() => readManifest(dir)).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringMatching(/not valid JSON/) }));
    fs.writeFileSync(path.join(dir, "video-backend.json"), JSON.stringify({ generator: "other", version: "x" }));
    expect(() => readManifest(dir)).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringMatching(/corrupt.*generator.*version/) }));
  });
});

describe("the delta's safety checks", () => {
  it("flags drops and rewrites outside function bodies only", () => {
    expect(destructiveStatements("alter table public.t drop column x;").map((f) => f.message)).toEqual(["drops a column"]);
    expect(destructiveStatements("drop table public.t;")).toHaveLength(1);
    const body = "create function f() returns void language sql as $$\ndelete from t;\n$$;";
    expect(outsideBodies(body)).not.toContain("delete");
    expect(destructiveStatements(body)).toEqual([]);
  });
});

describe("the atomic write", () => {
  it("restores every original and removes added files when a move fails", async () => {
    const dir = fs.mkdtempSync(path.join(tmp, "w-"));
    fs.writeFileSync(path.join(dir, "a.txt"), "original");
    fs.writeFileSync(path.join(dir, "gone.txt"), "keep me");
    const ops = [{ path: "a.txt", content: "new" }, { path: "gone.txt" }, { path: "sub/added.txt", content: "x" }, { path: "b.txt", content: "y" }];
    await expect(applyWrites(dir, ops, { beforeMove: (i) => { if (i === 3) throw new Error("disk full"); } })).rejects.toThrow("disk full");
    expect(fs.readFileSync(path.join(dir, "a.txt"), "utf8")).toBe("original");
    expect(fs.readFileSync(path.join(dir, "gone.txt"), "utf8")).toBe("keep me");
    expect(fs.readdirSync(dir).sort()).toEqual(["a.txt", "gone.txt"]);
    await applyWrites(dir, ops);
    expect(fs.readFileSync(path.join(dir, "a.txt"), "utf8")).toBe("new");
    expect(fs.existsSync(path.join(dir, "gone.txt"))).toBe(false);
    expect(fs.readFileSync(path.join(dir, "sub/added.txt"), "utf8")).toBe("x");
    expect(fs.readdirSync(dir).filter((n) => n.startsWith(".cvb-evolve"))).toEqual([]);
  });

  it("refuses to put a file where the project has a directory, and writes nothing", async () => {
    const dir = fs.mkdtempSync(path.join(tmp, "w-"));
    fs.mkdirSync(path.join(dir, "mine"));
    fs.writeFileSync(path.join(dir, "mine", "notes.md"), "keep me");
    await expect(applyWrites(dir, [{ path: "a.txt", content: "new" }, { path: "mine", content: "x" }])).rejects.toThrow(/mine is a directory.*Nothing was written/);
    expect(fs.readFileSync(path.join(dir, "mine", "notes.md"), "utf8")).toBe("keep me");
    expect(fs.readdirSync(dir).sort()).toEqual(["mine"]);
  });
});

describe("add and upgrade refuse with exit code 2 before computing anything", () => {
  const cli = (args: string[], cwd = tmp) => execa("node", [BIN, ...args], { cwd, reject: false, env: { NO_COLOR: "1" } });
  const project = (version: string) => {
    const dir = fs.mkdtempSync(path.join(tmp, "p-"));
    fs.writeFileSync(
      path.join(dir, "video-backend.json"),
      JSON.stringify({ generator: "create-video-backend", version, createdAt: "2026-01-01T00:00:00Z", options: { ...minimal, pgMajor: 17, pm: "npm" } }),
    );
    return dir;
  };

  it.each([
    [["add", "apple"], /ambiguous/],
    [["add", "kling"], /unknown feature/],
    [["add", "runway", "/nonexistent/dir"], /does not exist/],
    [["add", "--iap", "google"], /takes features as words/],
    [["upgrade", "--auth", "apple"], /keeps the recorded choices/],
    [["verify", "--allow-destructive"], /belongs to add and upgrade/],
    [["add", "runway", "--from", "old.tgz"], /--from belongs to deploy .* and upgrade/],
  ])("%j", async (args, message) => {
    const r = await cli(args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("refuses a missing manifest, a feature already present, a downgrade, and add on an older project", async () => {
    expect((await cli(["upgrade", fs.mkdtempSync(path.join(tmp, "e-"))])).stderr).toMatch(/video-backend.json not found/);
    const current = project("0.2.0");
    const present = await cli(["add", "fal", current]);
    expect([present.exitCode, present.stderr]).toEqual([2, expect.stringMatching(/fal is already in this project/)]);
    const newer = await cli(["upgrade", project("9.0.0")]);
    expect([newer.exitCode, newer.stderr]).toEqual([2, expect.stringMatching(/newer than this one.*create-video-backend@9\.0\.0/)]);
    const older = await cli(["add", "runway", project("0.1.0")]);
    expect([older.exitCode, older.stderr]).toEqual([2, expect.stringMatching(/Upgrade it first/)]);
    const json = await cli(["add", "fal", project("0.2.0"), "--json"]);
    expect(json.exitCode).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, exitCode: 2 });
  });

  it("refuses a dirty git tree unless --force", async () => {
    const dir = project("0.2.0");
    await execa("git", ["init", "-q"], { cwd: dir });
    const r = await cli(["add", "runway", dir]);
    expect([r.exitCode, r.stderr]).toEqual([2, expect.stringMatching(/uncommitted changes.*video-backend\.json.*--force/)]);
  });
});
