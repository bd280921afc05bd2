/**
 * CHANGELOG.md as data. `upgrade` shows a project's owner what changed between
 * the version that generated the project (video-backend.json) and this one
 * before it writes anything, and puts the same entries in its --json output.
 *
 * The file is read by machines, so its shape is strict (documented at the top
 * of CHANGELOG.md): release headings `## [X.Y.Z] - YYYY-MM-DD`, newest first,
 * an optional `## [Unreleased]` above them, and `###` subsections from a fixed
 * list in a fixed order. A malformed file is an error that names the line,
 * never a silently shorter list of changes.
 *
 * For upgrade: `releasesBetween(readChangelog(), manifest.version, VERSION)`
 * gives the releases to print (formatReleases) and to put in --json as they are.
 */
import { readFileSync } from "node:fs";

/** Subsections a release may have, in the order they must appear. */
export const SECTION_ORDER = [
  "Upgrade notes",
  "New secrets",
  "Added",
  "Changed",
  "Deprecated",
  "Removed",
  "Fixed",
  "Security",
] as const;
export type SectionHeading = (typeof SECTION_ORDER)[number];

export interface ChangelogSection {
  heading: SectionHeading;
  /** One string per list item (continuation lines kept, two-space indent removed) or paragraph. */
  items: string[];
}

export interface ChangelogRelease {
  version: string;
  /** YYYY-MM-DD; null only for Unreleased. */
  date: string | null;
  /** Marked `[YANKED]`: withdrawn from npm, do not upgrade to it. */
  yanked: boolean;
  sections: ChangelogSection[];
  /** The release's Markdown as written, heading included, HTML comments removed. */
  markdown: string;
}

export interface Changelog {
  unreleased: ChangelogRelease | null;
  /** Dated releases, newest first. */
  releases: ChangelogRelease[];
}

export class ChangelogError extends Error {}

// semver.org's grammar (build metadata allowed, ignored for ordering).
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const RELEASE_HEADING = /^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?( \[YANKED\])?\s*$/;
const LINK_DEFINITION = /^\[[^\]]+\]:\s+\S+/;

export function isVersion(text: string): boolean {
  return SEMVER.test(text);
}

/** Semantic-version precedence: negative if a < b, 0 if equal, positive if a > b. */
export function compareVersions(a: string, b: string): number {
  const pa = SEMVER.exec(a);
  const pb = SEMVER.exec(b);
  if (!pa) throw new ChangelogError(`"${a}" is not a semantic version (X.Y.Z)`);
  if (!pb) throw new ChangelogError(`"${b}" is not a semantic version (X.Y.Z)`);
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return Math.sign(d);
  }
  const preA = pa[4];
  const preB = pb[4];
  // A version without a pre-release tag ranks above any of its pre-releases.
  if (preA === undefined || preB === undefined) return preA === preB ? 0 : preA === undefined ? 1 : -1;
  const idsA = preA.split(".");
  const idsB = preB.split(".");
  for (let i = 0; i < Math.max(idsA.length, idsB.length); i++) {
    const x = idsA[i];
    const y = idsB[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return Math.sign(d);
    } else if (nx !== ny) {
      return nx ? -1 : 1; // numeric identifiers rank below alphanumeric ones
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

function isRealDate(text: string): boolean {
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/** Blanks out HTML comments (placeholders for the next release) but keeps line numbers. */
function stripComments(markdown: string): string {
  return markdown.replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, ""));
}

function parseSections(lines: string[], firstLine: number, where: string): ChangelogSection[] {
  const sections: ChangelogSection[] = [];
  let current: ChangelogSection | null = null;
  let item: string[] | null = null;
  const flush = () => {
    if (current && item) current.items.push(item.join("\n").trimEnd());
    item = null;
  };
  lines.forEach((line, i) => {
    const at = `CHANGELOG.md:${firstLine + i}`;
    const heading = /^### (.+?)\s*$/.exec(line);
    if (heading) {
      flush();
      const name = heading[1] as SectionHeading;
      const rank = SECTION_ORDER.indexOf(name);
      if (rank < 0) throw new ChangelogError(`${at}: unknown subsection "${heading[1]}" in ${where} (use one of: ${SECTION_ORDER.join(", ")})`);
      if (current && rank <= SECTION_ORDER.indexOf(current.heading)) {
        throw new ChangelogError(`${at}: "${name}" must come before "${current.heading}" in ${where} (order: ${SECTION_ORDER.join(", ")})`);
      }
      current = { heading: name, items: [] };
      sections.push(current);
      return;
    }
    if (/^#{1,6} /.test(line)) throw new ChangelogError(`${at}: unexpected heading in ${where}: ${line}`);
    if (line.trim() === "") {
      // A blank line ends a paragraph; an indented line after it continues the list item.
      if (item) item.push("");
      return;
    }
    if (!current) throw new ChangelogError(`${at}: text before the first ### subsection of ${where}`);
    const bullet = /^- (.*)$/.exec(line);
    const continuation = /^ {2,}(.*)$/.exec(line);
    if (bullet) {
      flush();
      item = [bullet[1]!];
    } else if (item && (continuation || item.at(-1) !== "")) {
      item.push(continuation ? line.slice(2) : line);
    } else {
      flush();
      item = [line];
    }
  });
  flush();
  for (const s of sections) {
    if (s.items.length === 0) throw new ChangelogError(`${where}: subsection "${s.heading}" has no entries (remove it)`);
  }
  return sections;
}

/** A section's Markdown without the blank runs that removed comments leave. */
function tidy(lines: string[]): string {
  return lines.join("\n").replace(/\n{3,}/g, "\n\n").trim();
}

/** Parses and validates the whole file. */
export function parseChangelog(markdown: string): Changelog {
  const lines = stripComments(markdown.replace(/\r\n/g, "\n")).split("\n");
  const starts: number[] = [];
  lines.forEach((line, i) => {
    if (line.startsWith("## ")) starts.push(i);
  });
  const changelog: Changelog = { unreleased: null, releases: [] };
  starts.forEach((start, n) => {
    const end = starts[n + 1] ?? lines.length;
    const heading = lines[start]!;
    const at = `CHANGELOG.md:${start + 1}`;
    const m = RELEASE_HEADING.exec(heading);
    if (!m) throw new ChangelogError(`${at}: expected "## [Unreleased]" or "## [X.Y.Z] - YYYY-MM-DD", found: ${heading}`);
    const [, name, date, yanked] = m as unknown as [string, string, string | undefined, string | undefined];
    let body = lines.slice(start + 1, end);
    // Link definitions ([0.1.0]: https://…) close the file; they are not entries.
    while (body.length && (body.at(-1)!.trim() === "" || LINK_DEFINITION.test(body.at(-1)!))) body = body.slice(0, -1);
    if (name === "Unreleased") {
      if (n !== 0) throw new ChangelogError(`${at}: [Unreleased] must be the first section`);
      if (date || yanked) throw new ChangelogError(`${at}: [Unreleased] has no date`);
      const sections = parseSections(body, start + 2, "[Unreleased]");
      changelog.unreleased = { version: "Unreleased", date: null, yanked: false, sections, markdown: tidy([heading, ...body]) };
      return;
    }
    if (!isVersion(name)) throw new ChangelogError(`${at}: "${name}" is not a semantic version (X.Y.Z)`);
    if (!date) throw new ChangelogError(`${at}: release ${name} needs a date: "## [${name}] - YYYY-MM-DD"`);
    if (!isRealDate(date)) throw new ChangelogError(`${at}: ${date} is not a calendar date (YYYY-MM-DD)`);
    const previous = changelog.releases.at(-1);
    if (previous && compareVersions(name, previous.version) >= 0) {
      throw new ChangelogError(`${at}: ${name} must be lower than ${previous.version} above it (newest release first, no duplicates)`);
    }
    if (previous && date > previous.date!) throw new ChangelogError(`${at}: ${name} is dated after ${previous.version} above it`);
    const sections = parseSections(body, start + 2, `[${name}]`);
    if (sections[0]?.heading !== "Upgrade notes") {
      throw new ChangelogError(`${at}: release ${name} needs an "### Upgrade notes" subsection first (what upgrade changes in an existing project; "None." if nothing)`);
    }
    changelog.releases.push({ version: name, date, yanked: !!yanked, sections, markdown: tidy([heading, ...body]) });
  });
  return changelog;
}

/**
 * The releases a project generated by `from` gets by moving to `to`: every
 * dated release with from < version <= to, newest first. `to` (this package's
 * version) must have a section; `from` need not (a pre-release or a local
 * build). Nothing to show when from >= to.
 */
export function releasesBetween(markdown: string, from: string, to: string): ChangelogRelease[] {
  if (!isVersion(from)) throw new ChangelogError(`"${from}" is not a semantic version (X.Y.Z)`);
  if (!isVersion(to)) throw new ChangelogError(`"${to}" is not a semantic version (X.Y.Z)`);
  const { releases } = parseChangelog(markdown);
  if (!releases.some((r) => compareVersions(r.version, to) === 0)) {
    throw new ChangelogError(`CHANGELOG.md has no "## [${to}]" section`);
  }
  return releases.filter((r) => compareVersions(r.version, from) > 0 && compareVersions(r.version, to) <= 0);
}

/** The releases as Markdown, newest first, for a terminal. */
export function formatReleases(releases: ChangelogRelease[]): string {
  return releases.map((r) => r.markdown).join("\n\n");
}

/**
 * The CHANGELOG.md shipped with this package (`files` in package.json). The
 * path is one level up from both src/ and the bundled dist/ chunks.
 */
export function readChangelog(url: URL = new URL("../CHANGELOG.md", import.meta.url)): string {
  return readFileSync(url, "utf8");
}
