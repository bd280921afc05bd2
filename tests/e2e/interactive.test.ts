/**
 * The interactive flow, driven through a real pseudo-terminal.
 */
import fs from "node:fs";
import path from "node:path";
import pty from "@lydell/node-pty";
import { describe, expect, it } from "vitest";
import { BIN, FAST, fakeCommand, runCli, tempCwd } from "./helpers.js";

interface Session {
  /** Everything shown so far, ANSI sequences stripped. */
  output(): string;
  /**
   * What was written, line by line as the program wrote it: split at newlines
   * and at the cursor moves clack redraws with, then ANSI sequences stripped.
   * A line longer than the terminal is one the terminal wraps.
   */
  lines(): string[];
  /**
   * Waits for text to appear after what the previous waitFor matched, so a
   * flow is followed in order (clack redraws a prompt's title when answered).
   */
  waitFor(text: string | RegExp): Promise<void>;
  write(keys: string): void;
  exit: Promise<number>;
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/g;

function start(cwd: string, args: string[] = [], options: { cols?: number; env?: Record<string, string> } = {}): Session {
  const child = pty.spawn(process.execPath, [BIN, ...args], {
    cwd,
    cols: options.cols ?? 120,
    rows: 40,
    env: { ...process.env, npm_config_user_agent: "", CI: "", ...options.env } as Record<string, string>,
  });
  let out = "";
  child.onData((d) => {
    out += d;
  });
  const exit = new Promise<number>((resolve) => child.onExit((e) => resolve(e.exitCode)));
  // ANSI sequences are stripped so tests can match on the visible text.
  const visible = () => out.replace(ANSI, "");
  let cursor = 0;
  return {
    output: visible,
    lines: () => out.split(/\r?\n|\r|\x1b\[\d*[ABGJK]/).map((l) => l.replace(ANSI, "")),
    write: (keys) => child.write(keys),
    exit,
    async waitFor(text) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const rest = visible().slice(cursor);
        const match = typeof text === "string"
          ? (rest.includes(text) ? { index: rest.indexOf(text), length: text.length } : null)
          : (() => {
            const m = text.exec(rest);
            return m ? { index: m.index, length: m[0].length } : null;
          })();
        if (match) {
          cursor += match.index + match.length;
          return;
        }
        if (Date.now() > deadline) throw new Error(`Timed out waiting for ${text}. Screen:\n${visible().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

const ENTER = "\r";
const CTRL_C = "\x03";
const SPACE = " ";
const DOWN = "\x1b[B";
const UP = "\x1b[A";

function manifest(dir: string) {
  return JSON.parse(fs.readFileSync(path.join(dir, "video-backend.json"), "utf8"));
}

/** The flags of a printed `npm create video-backend@latest <dir> -- …` command. */
function flagsOf(output: string): string[] {
  const line = output.split(/\r?\n/).find((l) => l.includes("npm create video-backend@latest"))!;
  return line.slice(line.indexOf(" -- ") + 4).trim().split(/\s+/);
}

/** Runs the printed reproduce command's flags without a terminal: it must give the same options. */
async function expectReproducible(output: string, options: object) {
  const cwd = tempCwd();
  const r = await runCli(["again", ...flagsOf(output), ...FAST], { cwd });
  expect(r.exitCode, r.stderr).toBe(0);
  expect(manifest(path.join(cwd, "again")).options).toEqual(options);
}

describe("interactive prompts (pseudo-terminal)", () => {
  it("Ctrl+C at the first prompt exits 130 and writes nothing", async () => {
    const cwd = tempCwd();
    const s = start(cwd);
    await s.waitFor("Where should the project go?");
    s.write(CTRL_C);
    expect(await s.exit).toBe(130);
    expect(s.output()).toContain("nothing was written");
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it("Ctrl+C at a later multiselect exits 130 and writes nothing", async () => {
    const cwd = tempCwd();
    const s = start(cwd);
    await s.waitFor("Where should the project go?");
    s.write(`studio-app${ENTER}`);
    await s.waitFor("How will users sign in?");
    s.write(ENTER);
    await s.waitFor("Which in-app purchase stores");
    s.write(CTRL_C);
    expect(await s.exit).toBe(130);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it("answers every prompt and writes the chosen project", async () => {
    const cwd = tempCwd();
    const s = start(cwd, FAST);
    await s.waitFor("Where should the project go?");
    s.write(`studio-app${ENTER}`);
    await s.waitFor("How will users sign in?");
    s.write(ENTER); // defaults: apple, anonymous, devicecheck
    await s.waitFor("Which in-app purchase stores");
    s.write(`${DOWN}${SPACE}${ENTER}`); // add Google Play to the default App Store
    await s.waitFor("Which video providers");
    s.write(ENTER);
    await s.waitFor("How should the operator hear");
    s.write(`${SPACE}${DOWN}${SPACE}${ENTER}`); // untick both: none
    await s.waitFor("How many free credits");
    s.write(ENTER);
    await s.waitFor("iOS bundle id");
    s.write(`com.acme.studio${ENTER}`);
    await s.waitFor("Android application id");
    s.write(ENTER); // defaults to the bundle id
    await s.waitFor("Write the project?");
    expect(s.output()).toContain("3. API");
    s.write(ENTER);
    expect(await s.exit).toBe(0);
    const options = manifest(path.join(cwd, "studio-app")).options;
    expect(options).toMatchObject({
      auth: ["apple", "anonymous", "devicecheck"],
      iap: ["apple", "google"],
      providers: ["fal"],
      monitoring: [],
      trialCredits: 10,
      bundleId: "com.acme.studio",
      androidPackage: "com.acme.studio",
    });
    expect(s.output()).toContain("npm create video-backend@latest studio-app -- --auth apple,anonymous,devicecheck --iap apple,google");
    await expectReproducible(s.output(), options);
  });

  it("refuses devicecheck without guests and asks again", async () => {
    const cwd = tempCwd();
    const s = start(cwd, ["app", "--iap", "none", "--providers", "fal", "--monitoring", "none", "--bundle-id", "com.a.b", "--dry-run"]);
    await s.waitFor("How will users sign in?");
    s.write(`${DOWN}${SPACE}${ENTER}`); // untick anonymous, keep devicecheck
    await s.waitFor("devicecheck needs anonymous");
    s.write(`${DOWN}${SPACE}${ENTER}`); // tick anonymous again
    await s.waitFor("How many free credits");
    s.write(ENTER);
    await s.waitFor("nothing was written");
    expect(await s.exit).toBe(0);
  });

  // Item 1: no sign-in method is not an answer, as `--auth` with no value is not a flag.
  it("cannot submit no sign-in method; what it accepts, the flags accept", async () => {
    const cwd = tempCwd();
    const s = start(cwd, ["app", "--iap", "none", "--providers", "fal", "--monitoring", "none", ...FAST]);
    await s.waitFor("How will users sign in?");
    s.write(`${SPACE}${DOWN}${SPACE}${DOWN}${SPACE}${ENTER}`); // untick all three
    await s.waitFor("Please select at least one option");
    expect(s.output()).not.toContain("iOS bundle id");
    s.write(`${UP}${UP}${SPACE}${ENTER}`); // tick Sign in with Apple
    await s.waitFor("iOS bundle id");
    s.write(ENTER);
    await s.waitFor("Write the project?");
    s.write(ENTER);
    expect(await s.exit).toBe(0);
    const options = manifest(path.join(cwd, "app")).options;
    expect(options.auth).toEqual(["apple"]);
    expect(s.output()).not.toContain("undefined");
    await expectReproducible(s.output(), options);
  });

  // Item 2: the settings a choice needs are asked with it.
  it("asks trial credits with DeviceCheck and the Android id with Google Play", async () => {
    const cwd = tempCwd();
    const s = start(cwd, ["app", "--providers", "fal", "--monitoring", "none", ...FAST]);
    await s.waitFor("How will users sign in?");
    s.write(ENTER); // apple, anonymous, devicecheck
    await s.waitFor("Which in-app purchase stores");
    s.write(`${DOWN}${SPACE}${ENTER}`); // App Store + Google Play
    await s.waitFor("How many free credits does a new device get once?");
    s.write(`25${ENTER}`);
    await s.waitFor("iOS bundle id");
    s.write(`com.acme.studio${ENTER}`);
    await s.waitFor("Android application id");
    s.write(`com.acme.android${ENTER}`);
    await s.waitFor("Write the project?");
    s.write(ENTER);
    expect(await s.exit).toBe(0);
    const options = manifest(path.join(cwd, "app")).options;
    expect(options).toMatchObject({ trialCredits: 25, bundleId: "com.acme.studio", androidPackage: "com.acme.android" });
    expect(s.output()).toContain("--trial-credits 25 --bundle-id com.acme.studio --android-package com.acme.android");
    await expectReproducible(s.output(), options);
  });

  // Item 3: a short summary; "No" goes back to the questions.
  it("shows layers with file counts before writing; No goes back to change answers", async () => {
    const cwd = tempCwd();
    const s = start(cwd, ["app", "--auth", "apple", "--iap", "none", "--providers", "fal", "--monitoring", "none", ...FAST]);
    await s.waitFor("iOS bundle id");
    s.write(ENTER);
    await s.waitFor("Write the project?");
    const plan = s.output().slice(s.output().lastIndexOf("The plan"), s.output().lastIndexOf("Write the project?"));
    expect(plan).toMatch(/1\. database\s+\d+ files/);
    expect(plan).toMatch(/5\. operations\s+\d+ files/);
    expect(plan).not.toContain("supabase/config.toml");
    expect(plan.split("\n").length).toBeLessThan(15);
    s.write("n"); // No, change answers
    await s.waitFor("Change any answer");
    await s.waitFor("Where should the project go?");
    s.write(ENTER); // keep "app"
    await s.waitFor("How will users sign in?");
    s.write(ENTER); // keep Sign in with Apple
    await s.waitFor("Which in-app purchase stores");
    s.write(ENTER);
    await s.waitFor("Which video providers");
    s.write(`${DOWN}${SPACE}${ENTER}`); // add Runway
    await s.waitFor("How should the operator hear");
    s.write(ENTER);
    await s.waitFor("iOS bundle id");
    s.write(ENTER);
    await s.waitFor("Write the project?");
    s.write(ENTER);
    expect(await s.exit).toBe(0);
    expect(manifest(path.join(cwd, "app")).options.providers).toEqual(["fal", "runway"]);
  });

  // Item 4: on a narrow terminal, nothing between ┌ and └ is wider than the terminal,
  // so the terminal never wraps a line past clack's left border.
  it("wraps long messages inside the left border", async () => {
    const cwd = tempCwd();
    const bin = fakeCommand("npm", 'echo "npm ERR! code E404 npm ERR! 404 Not Found - GET https://registry.npmjs.org/create-video-backend - Not found" >&2; exit 1');
    const cols = 60;
    const s = start(cwd, ["app", "--iap", "none", "--providers", "fal", "--monitoring", "none", "--bundle-id", "com.a.b", "--no-git"], {
      cols,
      env: { PATH: `${bin}:${process.env.PATH}` },
    });
    await s.waitFor("How will users sign in?");
    s.write(`${DOWN}${SPACE}${ENTER}`); // devicecheck without anonymous: a long warning
    await s.waitFor("devicecheck needs anonymous");
    s.write(`${DOWN}${SPACE}${ENTER}`);
    await s.waitFor("How many free credits");
    s.write(ENTER);
    await s.waitFor("Write the project?");
    s.write(ENTER);
    expect(await s.exit).toBe(0);
    const lines = s.lines();
    const first = lines.findIndex((l) => l.startsWith("┌"));
    const last = lines.length - 1 - [...lines].reverse().findIndex((l) => l.startsWith("└  Created"));
    expect(first).toBeGreaterThanOrEqual(0);
    expect(last).toBeGreaterThan(first);
    const framed = lines.slice(first, last + 1);
    expect(framed.join("\n")).toContain("npm install failed");
    for (const line of framed) expect([...line].length, line).toBeLessThanOrEqual(cols);
    // The warnings' continuation lines carry the border.
    const warning = framed.findIndex((l) => l.includes("devicecheck needs anonymous"));
    expect(framed[warning + 1]).toMatch(/^│ {2}\S/);
  });

  // Item 6: Ctrl+C during the install or git keeps the project and says how to finish.
  it("Ctrl+C during the install exits 130, keeps the files and prints the command that finishes", async () => {
    const cwd = tempCwd();
    const started = path.join(cwd, "install-started");
    const bin = fakeCommand("npm", `touch ${started}; exec sleep 30`);
    const s = start(cwd, ["app", "--auth", "apple", "--iap", "none", "--providers", "fal", "--monitoring", "none", "--bundle-id", "com.a.b", "--no-git"], {
      env: { PATH: `${bin}:${process.env.PATH}` },
    });
    await s.waitFor("Write the project?");
    s.write(ENTER);
    await s.waitFor("Installing dependencies with npm");
    while (!fs.existsSync(started)) await new Promise((r) => setTimeout(r, 50));
    s.write(CTRL_C);
    expect(await s.exit).toBe(130);
    expect(s.output()).toMatch(/Stopped during npm install[\s\S]*To finish, run:\s+cd app && npm install/);
    expect(s.output()).not.toContain("Created app");
    expect(fs.existsSync(path.join(cwd, "app/supabase/config.toml"))).toBe(true);
  });

  it("Ctrl+C during git exits 130, keeps the files and prints git and the install to run", async () => {
    const cwd = tempCwd();
    const started = path.join(cwd, "git-started");
    const bin = fakeCommand("git", `touch ${started}; exec sleep 30`);
    const s = start(cwd, ["app", "--auth", "apple", "--iap", "none", "--providers", "fal", "--monitoring", "none", "--bundle-id", "com.a.b"], {
      env: { PATH: `${bin}:${process.env.PATH}` },
    });
    await s.waitFor("Write the project?");
    s.write(ENTER);
    await s.waitFor("Creating the first git commit");
    while (!fs.existsSync(started)) await new Promise((r) => setTimeout(r, 50));
    s.write(CTRL_C);
    expect(await s.exit).toBe(130);
    expect(s.output()).toMatch(/Stopped during git[\s\S]*To finish, run:\s+cd app && git init && git add -A && git commit -m "Initial commit from create-video-backend" && npm install/);
    expect(fs.existsSync(path.join(cwd, "app/video-backend.json"))).toBe(true);
  });
});
