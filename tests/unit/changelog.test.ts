/**
 * CHANGELOG.md as `upgrade` reads it: the entries between a project's version
 * and this package's, and a file strict enough that a mistake in it is an
 * error, not a silently shorter list of changes.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { changelogVersions } from "../../scripts/check-release.mjs";
import {
  ChangelogError,
  compareVersions,
  formatReleases,
  parseChangelog,
  readChangelog,
  releasesBetween,
} from "../../src/changelog.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string; files: string[] };

const FIXTURE = `# Changelog

Anything up here is the preamble.

## [Unreleased]

<!-- placeholder: issue 99 -->

### Added

- Something not released yet.

## [0.3.0] - 2026-12-20

### Upgrade notes

- Adds migration \`20261220000000_jobs_priority.sql\`: a nullable column,
  no table rewrite.
  - nested detail
- Rewrites \`supabase/functions/generate-video/index.ts\`.

### New secrets

- \`RUNWAY_WEBHOOK_SECRET\` (Edge Function secret): without it Runway callbacks get 401.

### Security

- Replayed receipts are refused (all projects with --iap apple).

## [0.3.0-rc.1] - 2026-12-10

### Upgrade notes

None.

## [0.2.0] - 2026-12-01 [YANKED]

### Upgrade notes

- None.

### Fixed

- A fix.

## [0.1.0] - 2026-11-27

### Upgrade notes

- None: first release.

[0.3.0]: https://example.com/compare/v0.2.0...v0.3.0
[0.1.0]: https://example.com/releases/tag/v0.1.0
`;

function release(version: string, date: string, body = "### Upgrade notes\n\n- None.\n") {
  return `## [${version}] - ${date}\n\n${body}\n`;
}

describe("the shipped CHANGELOG.md", () => {
  const text = fs.readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8");

  it("parses, and has a dated section for package.json's version", () => {
    const { releases } = parseChangelog(text);
    const current = releases.find((r) => r.version === PKG.version);
    expect(current, `CHANGELOG.md has no "## [${PKG.version}] - YYYY-MM-DD" section`).toBeDefined();
    expect(current!.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // Releases since 0.1.0 all say what upgrade changes.
    for (const r of releases) expect(r.sections[0]?.heading).toBe("Upgrade notes");
  });

  it("is what readChangelog() returns and is listed in package.json files", () => {
    expect(readChangelog()).toBe(text);
    expect(PKG.files).toContain("CHANGELOG.md");
  });

  it("starts at 0.1.0", () => {
    expect(parseChangelog(text).releases.at(-1)?.version).toBe("0.1.0");
  });
});

describe("releasesBetween", () => {
  it("returns the releases after the project's version up to this one, newest first", () => {
    const got = releasesBetween(FIXTURE, "0.1.0", "0.3.0");
    expect(got.map((r) => r.version)).toEqual(["0.3.0", "0.3.0-rc.1", "0.2.0"]);
    expect(got[2]!.yanked).toBe(true);
    expect(releasesBetween(FIXTURE, "0.2.0", "0.3.0").map((r) => r.version)).toEqual(["0.3.0", "0.3.0-rc.1"]);
    expect(releasesBetween(FIXTURE, "0.3.0-rc.1", "0.3.0").map((r) => r.version)).toEqual(["0.3.0"]);
  });

  it("works from a version that has no section (a pre-release or local build)", () => {
    expect(releasesBetween(FIXTURE, "0.2.5", "0.3.0").map((r) => r.version)).toEqual(["0.3.0", "0.3.0-rc.1"]);
    expect(releasesBetween(FIXTURE, "0.0.0-dev", "0.1.0").map((r) => r.version)).toEqual(["0.1.0"]);
  });

  it("stops at this version and never lists Unreleased", () => {
    expect(releasesBetween(FIXTURE, "0.1.0", "0.2.0").map((r) => r.version)).toEqual(["0.2.0"]);
    expect(releasesBetween(FIXTURE, "0.0.1", "0.3.0").every((r) => r.date !== null)).toBe(true);
  });

  it("is empty when the project is already at (or past) this version", () => {
    expect(releasesBetween(FIXTURE, "0.3.0", "0.3.0")).toEqual([]);
    expect(releasesBetween(FIXTURE, "0.4.0", "0.3.0")).toEqual([]);
  });

  it("refuses a version this changelog does not describe, and a malformed version", () => {
    expect(() => releasesBetween(FIXTURE, "0.1.0", "0.4.0")).toThrow(/no "## \[0\.4\.0\]" section/);
    expect(() => releasesBetween(FIXTURE, "latest", "0.3.0")).toThrow(ChangelogError);
    expect(() => releasesBetween(FIXTURE, "0.1.0", "v0.3.0")).toThrow(/not a semantic version/);
  });

  it("gives each release's subsections as items, continuation lines kept, comments and link definitions dropped", () => {
    const [r] = releasesBetween(FIXTURE, "0.3.0-rc.1", "0.3.0");
    expect(r!.date).toBe("2026-12-20");
    expect(r!.sections.map((s) => s.heading)).toEqual(["Upgrade notes", "New secrets", "Security"]);
    expect(r!.sections[0]!.items).toEqual([
      "Adds migration `20261220000000_jobs_priority.sql`: a nullable column,\nno table rewrite.\n- nested detail",
      "Rewrites `supabase/functions/generate-video/index.ts`.",
    ]);
    expect(r!.markdown).not.toContain("[0.3.0]: https://");
    const rc = releasesBetween(FIXTURE, "0.2.0", "0.3.0-rc.1")[0]!;
    expect(rc.sections).toEqual([{ heading: "Upgrade notes", items: ["None."] }]);
    // What `upgrade` prints: the sections as written, newest first.
    const printed = formatReleases(releasesBetween(FIXTURE, "0.1.0", "0.3.0"));
    expect(printed.indexOf("## [0.3.0] - 2026-12-20")).toBe(0);
    expect(printed.indexOf("## [0.2.0] - 2026-12-01 [YANKED]")).toBeGreaterThan(printed.indexOf("## [0.3.0-rc.1]"));
    expect(printed).not.toContain("[Unreleased]");
  });

  it("parses Unreleased apart from the releases, without its placeholder comments", () => {
    const { unreleased } = parseChangelog(FIXTURE);
    expect(unreleased?.sections).toEqual([{ heading: "Added", items: ["Something not released yet."] }]);
    expect(unreleased?.markdown).not.toContain("placeholder");
  });
});

describe("compareVersions (semver precedence)", () => {
  it("orders the semver.org example list", () => {
    const ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.9.0", "1.10.0", "2.0.0"];
    const shuffled = [...ordered].reverse();
    expect(shuffled.sort(compareVersions)).toEqual(ordered);
    expect(compareVersions("1.0.0+build.5", "1.0.0")).toBe(0);
  });
});

describe("a malformed changelog is an error that says where and how to fix it", () => {
  const cases: Array<[string, string, RegExp]> = [
    ["an unknown subsection", release("0.1.0", "2026-11-27", "### Upgrade notes\n\n- None.\n\n### Improvements\n\n- x\n"), /CHANGELOG\.md:9: unknown subsection "Improvements"/],
    ["subsections out of order", release("0.1.0", "2026-11-27", "### Upgrade notes\n\n- None.\n\n### Fixed\n\n- x\n\n### Added\n\n- y\n"), /"Added" must come before "Fixed"/],
    ["no Upgrade notes", release("0.1.0", "2026-11-27", "### Added\n\n- x\n"), /needs an "### Upgrade notes" subsection first/],
    ["no date", "## [0.1.0]\n\n### Upgrade notes\n\n- None.\n", /release 0\.1\.0 needs a date/],
    ["an impossible date", release("0.1.0", "2026-02-30"), /2026-02-30 is not a calendar date/],
    ["a version that is not semver", release("1.0", "2026-11-27"), /"1\.0" is not a semantic version/],
    ["releases out of order", release("0.1.0", "2026-11-27") + release("0.2.0", "2026-11-28"), /0\.2\.0 must be lower than 0\.1\.0/],
    ["a duplicate release", release("0.1.0", "2026-11-27") + release("0.1.0", "2026-11-27"), /0\.1\.0 must be lower than 0\.1\.0/],
    ["dates going forward", release("0.2.0", "2026-11-27") + release("0.1.0", "2026-11-28"), /0\.1\.0 is dated after 0\.2\.0/],
    ["Unreleased below a release", release("0.1.0", "2026-11-27") + "## [Unreleased]\n", /\[Unreleased\] must be the first section/],
    ["another kind of ## heading", "## Notes\n\n" + release("0.1.0", "2026-11-27"), /expected "## \[Unreleased\]" or "## \[X\.Y\.Z\] - YYYY-MM-DD"/],
    ["text outside a subsection", release("0.1.0", "2026-11-27", "Loose text.\n\n### Upgrade notes\n\n- None.\n"), /text before the first ### subsection of \[0\.1\.0\]/],
    ["an empty subsection", release("0.1.0", "2026-11-27", "### Upgrade notes\n\n- None.\n\n### Added\n\n<!-- later -->\n"), /subsection "Added" has no entries/],
  ];
  it.each(cases)("%s", (_name, text, message) => {
    expect(() => parseChangelog(`# Changelog\n\n${text}`)).toThrow(message);
  });
});

describe("scripts/check-release.mjs reads release headings as the parser does", () => {
  it("on the shipped file and on the fixture", () => {
    for (const text of [fs.readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8"), FIXTURE]) {
      expect(changelogVersions(text)).toEqual(parseChangelog(text).releases.map((r) => r.version));
    }
    // A heading inside a placeholder comment is not a release for either.
    const commented = `<!--\n## [9.9.9] - 2026-01-01\n-->\n${release("0.1.0", "2026-11-27")}`;
    expect(changelogVersions(commented)).toEqual(["0.1.0"]);
    expect(parseChangelog(commented).releases.map((r) => r.version)).toEqual(["0.1.0"]);
  });
});
