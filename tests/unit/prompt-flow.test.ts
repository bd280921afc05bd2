/**
 * Every path through the interactive questions ends in answers the command
 * line accepts: the printed reproduce command, parsed by the flag parser and
 * checked by the same rules, gives exactly the same options. Driven with a
 * scripted prompter that behaves as clack does (a `required` multiselect cannot
 * be submitted empty).
 */
import { describe, expect, it } from "vitest";
import { type Args, parseArgv } from "../../src/args.js";
import { withDefaults } from "../../src/options.js";
import { CHOICES, checkRules, checkSettings, type ListChoice, reproduceCommand, SETTINGS } from "../../src/options.js";
import { askAnswers, type Prompter } from "../../src/prompts.js";

type Script = Record<string, string[]>;

interface Transcript {
  asked: string[];
  warnings: string[];
}

/** Answers each multiselect from the script (first time), the defaults on a re-ask; text prompts take their default. */
function scripted(script: Script, transcript: Transcript, texts: Record<string, string> = {}): Prompter {
  const seen = new Set<string>();
  return {
    async text(o) {
      transcript.asked.push(o.message);
      const value = texts[o.message] ?? "";
      const problem = o.validate(value);
      if (problem) throw new Error(`scripted text answer refused: ${problem}`);
      return value;
    },
    async multiselect(o) {
      transcript.asked.push(o.message);
      const choice = CHOICES.find((c) => o.message.startsWith(c.prompt))!;
      let picked = seen.has(choice.key) ? choice.default : script[choice.key] ?? o.initialValues;
      seen.add(choice.key);
      // clack will not submit an empty required multiselect: the user has to pick; they take what was offered.
      if (o.required && picked.length === 0) picked = o.initialValues.length ? o.initialValues : [o.options[0]!.value];
      return [...picked];
    },
    warn(message) {
      transcript.warnings.push(message);
    },
  };
}

function subsets(choice: ListChoice): string[][] {
  const values = choice.values.map((v) => v.value);
  return Array.from({ length: 1 << values.length }, (_, mask) => values.filter((_, i) => mask & (1 << i)));
}

/** The reproduce command's flags, parsed as a user's command line would be. */
function reparse(command: string): Args {
  const flags = command.split(" -- ")[1]!.split(" ");
  return parseArgv(["app", ...flags]);
}

describe("interactive answers agree with the flags", () => {
  it("the auth and providers questions cannot be left empty; iap and monitoring can (none)", () => {
    const required = Object.fromEntries(CHOICES.map((c) => [c.key, c.none === undefined]));
    expect(required).toEqual({ auth: true, iap: false, providers: true, monitoring: false });
  });

  it("every combination of multiselect answers reproduces through the flag parser", async () => {
    const [auth, iap, providers, monitoring] = CHOICES.map(subsets) as [string[][], string[][], string[][], string[][]];
    let paths = 0;
    let reasked = 0;
    for (const a of auth) {
      for (const i of iap) {
        for (const p of providers) {
          for (const m of monitoring) {
            const transcript: Transcript = { asked: [], warnings: [] };
            const answers = await askAnswers(
              parseArgv(["app"]),
              { dir: "app" },
              undefined,
              scripted({ auth: a, iap: i, providers: p, monitoring: m }, transcript),
            );
            const options = withDefaults(answers.lists, answers.settings, "npm");
            const command = reproduceCommand("app", options);
            const flags = reparse(command);
            // The flag path accepts it…
            expect(() => checkRules(withDefaults(flags.lists, flags.settings, "npm")), command).not.toThrow();
            expect(() => checkSettings(withDefaults(flags.lists, flags.settings, "npm"), flags.settings), command).not.toThrow();
            // …and gives the very same options.
            expect(withDefaults(flags.lists, flags.settings, "npm"), command).toEqual(options);
            expect(command).not.toMatch(/undefined|null/);
            paths++;
            if (transcript.warnings.length) reasked++;
          }
        }
      }
    }
    expect(paths).toBe(8 * 8 * 8 * 4);
    // devicecheck without anonymous is refused and asked again, never accepted.
    expect(reasked).toBeGreaterThan(0);
  });

  it("settings are asked exactly when relevant and checked by the flag parser", async () => {
    const cases: Array<{ script: Script; expected: string[] }> = [
      { script: { auth: ["apple"], iap: ["apple"] }, expected: ["iOS bundle id"] },
      { script: { auth: ["anonymous", "devicecheck"], iap: [] }, expected: ["How many free credits"] },
      { script: { auth: ["anonymous"], iap: ["google"] }, expected: ["Android application id"] },
      { script: { auth: ["anonymous"], iap: ["revenuecat"] }, expected: [] },
      {
        script: { auth: ["apple", "anonymous", "devicecheck"], iap: ["apple", "google"] },
        expected: ["How many free credits", "iOS bundle id", "Android application id"],
      },
    ];
    for (const { script, expected } of cases) {
      const transcript: Transcript = { asked: [], warnings: [] };
      await askAnswers(parseArgv(["app"]), { dir: "app" }, undefined, scripted(script, transcript));
      const settingPrompts = transcript.asked.filter((m) => !CHOICES.some((c) => m.startsWith(c.prompt)));
      expect(settingPrompts.map((m) => expected.find((e) => m.startsWith(e)) ?? m), JSON.stringify(script)).toEqual(expected);
    }
  });

  it("typed settings go through the flag validation and into the reproduce command", async () => {
    const prompts = Object.fromEntries(SETTINGS.filter((s) => s.prompt).map((s) => [s.key, s.prompt!]));
    const transcript: Transcript = { asked: [], warnings: [] };
    const answers = await askAnswers(
      parseArgv(["app"]),
      { dir: "app" },
      undefined,
      scripted({ auth: ["apple", "anonymous", "devicecheck"], iap: ["apple", "google"] }, transcript, {
        [prompts.trialCredits!]: "25",
        [prompts.bundleId!]: "com.acme.clips",
        [prompts.androidPackage!]: "com.acme.clips_android",
      }),
    );
    const options = withDefaults(answers.lists, answers.settings, "npm");
    expect(options).toMatchObject({ trialCredits: 25, bundleId: "com.acme.clips", androidPackage: "com.acme.clips_android" });
    const command = reproduceCommand("app", options);
    expect(command).toContain("--trial-credits 25 --bundle-id com.acme.clips --android-package com.acme.clips_android");
    const flags = reparse(command);
    expect(withDefaults(flags.lists, flags.settings, "npm")).toEqual(options);
    // A value the flag refuses is refused at the prompt too, with the flag's message.
    const refusing = scripted({ auth: ["anonymous", "devicecheck"] }, { asked: [], warnings: [] }, {
      [prompts.trialCredits!]: "lots",
    });
    await expect(askAnswers(parseArgv(["app"]), { dir: "app" }, undefined, refusing)).rejects.toThrow(/whole number from 0 to 10000/);
  });

  it("with previous answers (No at the summary), every question is asked again, prefilled", async () => {
    const first = await askAnswers(
      parseArgv(["app", "--auth", "apple", "--iap", "none", "--providers", "fal", "--monitoring", "none"]),
      { dir: "app" },
      undefined,
      scripted({}, { asked: [], warnings: [] }),
    );
    const transcript: Transcript = { asked: [], warnings: [] };
    const initials: Record<string, string[]> = {};
    const prompter = scripted({ providers: ["fal", "runway"] }, transcript);
    const multiselect = prompter.multiselect;
    prompter.multiselect = async (o) => {
      initials[o.message] = o.initialValues;
      return multiselect(o);
    };
    const second = await askAnswers(
      parseArgv(["app", "--auth", "apple", "--iap", "none", "--providers", "fal", "--monitoring", "none"]),
      { dir: "app" },
      first,
      prompter,
    );
    expect(transcript.asked[0]).toBe("Where should the project go?");
    expect(transcript.asked.filter((m) => CHOICES.some((c) => m.startsWith(c.prompt)))).toHaveLength(4);
    expect(initials[CHOICES[0]!.prompt]).toEqual(["apple"]);
    expect(second.lists.providers).toEqual(["fal", "runway"]);
  });
});
