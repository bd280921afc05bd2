#!/usr/bin/env node
/**
 * The `version` hook of `npm version <patch|minor|major>` (package.json
 * scripts): npm has just written the new version to package.json; this turns
 * CHANGELOG.md's [Unreleased] section into `## [<version>] - <today>` and
 * leaves an empty [Unreleased] on top. npm then commits and tags (the script
 * line `git add`s CHANGELOG.md so it is part of the version commit).
 *
 * It refuses, and so stops `npm version` before any commit or tag, when
 * [Unreleased] has no entries or no "### Upgrade notes": a release without a
 * changelog section cannot be tagged by mistake.
 *
 *   node scripts/release-changelog.mjs [dir]    (dir: the package root, default .)
 *
 * The date is today in UTC, or the day of SOURCE_DATE_EPOCH when set.
 */
import fs from "node:fs";
import path from "node:path";

function fail(message) {
  console.error(`release-changelog: ${message}`);
  process.exit(1);
}

const dir = path.resolve(process.argv[2] ?? ".");
const { version } = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
const file = path.join(dir, "CHANGELOG.md");
const text = fs.readFileSync(file, "utf8");
const lines = text.split("\n");
const escaped = version.replace(/[.+]/g, "\\$&");

if (lines.some((l) => new RegExp(`^## \\[${escaped}\\] - \\d{4}-\\d{2}-\\d{2}`).test(l))) {
  console.log(`CHANGELOG.md already has a section for ${version}.`);
  process.exit(0);
}

const start = lines.findIndex((l) => /^## \[Unreleased\]\s*$/.test(l));
if (start < 0) fail(`CHANGELOG.md has no "## [Unreleased]" section to release as ${version}.`);
let end = lines.findIndex((l, i) => i > start && l.startsWith("## "));
if (end < 0) end = lines.length;

// Placeholders are HTML comments: they are not entries and stay out of the release.
const body = lines
  .slice(start + 1, end)
  .join("\n")
  .replace(/<!--[\s\S]*?-->/g, "")
  .replace(/\n{3,}/g, "\n\n")
  .trim();
if (!/^- \S/m.test(body)) {
  fail(`[Unreleased] in CHANGELOG.md has no entries: write what ${version} changes for existing projects first.`);
}
if (!/^### Upgrade notes\s*$/m.test(body)) {
  fail(`[Unreleased] in CHANGELOG.md needs "### Upgrade notes" (what upgrade changes in a project; "- None." if nothing).`);
}

const epoch = process.env.SOURCE_DATE_EPOCH;
const date = (epoch ? new Date(Number(epoch) * 1000) : new Date()).toISOString().slice(0, 10);
const released = [
  ...lines.slice(0, start),
  "## [Unreleased]",
  "",
  `## [${version}] - ${date}`,
  "",
  body,
  "",
  ...lines.slice(end),
].join("\n");
fs.writeFileSync(file, released);
console.log(`CHANGELOG.md: [Unreleased] is now [${version}] - ${date}.`);
