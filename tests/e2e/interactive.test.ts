/**
 * The interactive flow, driven through a real pseudo-terminal.
 */
import fs from "node:fs";
import path from "node:path";
import pty from "@lydell/node-pty";
import { describe, expect, it } from "vitest";
import { BIN, tempCwd } from "./helpers.js";

interface Session {
  output(): string;
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  write(keys: string): void;
  exit: Promise<number>;
}

function start(cwd: string, args: string[] = []): Session {
  const child = pty.spawn(process.execPath, [BIN, ...args], {
    cwd,
    cols: 120,
    rows: 40,
    env: { ...process.env, npm_config_user_agent: "", CI: "" } as Record<string, string>,
  });
  let out = "";
  child.onData((d) => {
    out += d;
  });
  const exit = new Promise<number>((resolve) => child.onExit((e) => resolve(e.exitCode)));
  // ANSI sequences are stripped so tests can match on the visible text.
  const visible = () => out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
  return {
    output: visible,
    write: (keys) => child.write(keys),
    exit,
    async waitFor(text, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(typeof text === "string" ? visible().includes(text) : text.test(visible()))) {
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
    const s = start(cwd, ["--no-git", "--no-install"]);
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
    await s.waitFor("iOS bundle id");
    s.write(`com.acme.studio${ENTER}`);
    await s.waitFor("Write the project?");
    expect(s.output()).toContain("3. API");
    s.write(ENTER);
    expect(await s.exit).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(cwd, "studio-app/video-backend.json"), "utf8"));
    expect(manifest.options).toMatchObject({
      auth: ["apple", "anonymous", "devicecheck"],
      iap: ["apple", "google"],
      providers: ["fal"],
      monitoring: [],
      bundleId: "com.acme.studio",
    });
    expect(s.output()).toContain("npm create video-backend@latest studio-app -- --auth apple,anonymous,devicecheck --iap apple,google");
  });

  it("refuses devicecheck without guests and asks again", async () => {
    const cwd = tempCwd();
    const s = start(cwd, ["app", "--iap", "none", "--providers", "fal", "--monitoring", "none", "--bundle-id", "com.a.b", "--dry-run"]);
    await s.waitFor("How will users sign in?");
    s.write(`${DOWN}${SPACE}${ENTER}`); // untick anonymous, keep devicecheck
    await s.waitFor("devicecheck needs anonymous");
    s.write(`${DOWN}${SPACE}${ENTER}`); // tick anonymous again
    await s.waitFor("nothing was written");
    expect(await s.exit).toBe(0);
  });
});
