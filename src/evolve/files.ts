/**
 * File actions: for every path, what add/upgrade does with it, from three
 * versions of the file. Pure (no I/O): the caller reads the project and writes.
 *
 * - base:   what the generator wrote for the recorded version and options
 * - ours:   what this version writes for the new options
 * - theirs: the file in the project now (the user's)
 *
 * | base | ours | theirs | action |
 * | --- | --- | --- | --- |
 * | –    | yes  | –      | add |
 * | –    | yes  | = ours | keep |
 * | –    | yes  | other  | merge against an empty base (usually a conflict: the user made a file of that name) |
 * | yes  | yes  | = base | replace (keep when ours = base) |
 * | yes  | yes  | ≠ base | keep when ours = base or theirs = ours; else 3-way merge → merge or conflict |
 * | yes  | yes  | –      | keep deleted (the user removed it; listed with the note that this version changes it) |
 * | yes  | –    | = base | delete (this version no longer generates it, the user never changed it) |
 * | yes  | –    | ≠ base | keep (the user changed it; listed) |
 *
 * Migrations (`supabase/migrations/*.sql`) never go through this table:
 * existing ones are never edited or removed and the new version's are not
 * copied in; schema changes arrive as one delta migration (delta.ts).
 * The manifest is rewritten by the engine. Every generated file is text; the
 * executable bit follows ours for a replaced or added file and theirs for a
 * merged or kept one.
 */
import { mergeDiff3 } from "node-diff3";
import { isMigration, MANIFEST } from "./manifest.js";

export type ActionKind = "add" | "replace" | "merge" | "conflict" | "keep" | "delete";

export interface FileAction {
  path: string;
  action: ActionKind;
  /** The content to write (add, replace, merge, conflict). */
  content?: string;
  mode?: number;
  /** Why, when it is not obvious (kept user edits, a file the user deleted). */
  note?: string;
}

export interface Version {
  content: string;
  mode?: number;
}

export interface MergeLabels {
  ours: string;
  base: string;
  theirs: string;
}

/** The marker labels: which side is which, in the words the user knows. */
export function mergeLabels(fromVersion: string, toVersion: string, what: string): MergeLabels {
  return {
    theirs: "yours (the file in your project)",
    base: `create-video-backend ${fromVersion} (as generated)`,
    ours: `create-video-backend ${toVersion} (${what})`,
  };
}

/**
 * 3-way line merge (node-diff3). Conflicts get standard diff3-style markers:
 * `<<<<<<< yours`, `||||||| base`, `=======`, `>>>>>>> new`.
 */
export function mergeText(theirs: string, base: string, ours: string, labels: MergeLabels): { content: string; conflict: boolean } {
  const lines = (s: string) => s.split("\n");
  const r = mergeDiff3(lines(theirs), lines(base), lines(ours), {
    label: { a: labels.theirs, o: labels.base, b: labels.ours },
  });
  return { content: r.result.join("\n"), conflict: r.conflict };
}

export function decideFiles(
  base: Map<string, Version>,
  ours: Map<string, Version>,
  theirs: Map<string, Version>,
  labels: MergeLabels,
): FileAction[] {
  const paths = new Set([...base.keys(), ...ours.keys()]);
  const actions: FileAction[] = [];
  for (const p of [...paths].sort()) {
    if (isMigration(p) || p === MANIFEST) continue;
    const b = base.get(p);
    const o = ours.get(p);
    const t = theirs.get(p);
    actions.push(decide(p, b, o, t, labels));
  }
  return actions;
}

function decide(p: string, b: Version | undefined, o: Version | undefined, t: Version | undefined, labels: MergeLabels): FileAction {
  const modeOf = (v: Version | undefined) => (v?.mode ? { mode: v.mode } : {});
  if (!o) {
    if (!b || !t) return { path: p, action: "keep", note: "not in the project" };
    if (t.content === b.content) return { path: p, action: "delete", note: "no longer generated" };
    return { path: p, action: "keep", note: "no longer generated, but you changed it: kept" };
  }
  if (!t) {
    if (!b) return { path: p, action: "add", content: o.content, ...modeOf(o) };
    return {
      path: p,
      action: "keep",
      note: o.content === b.content ? "you deleted it: stays deleted" : "you deleted it: stays deleted, though this version changes it",
    };
  }
  if (t.content === o.content) return { path: p, action: "keep", ...(b && b.content !== t.content ? { note: "already as this version writes it" } : {}) };
  if (b && t.content === b.content) {
    // The executable bit follows ours: a file this version no longer makes executable loses the bit (and only it).
    const mode = o.mode ? { mode: o.mode } : t.mode ? { mode: t.mode & ~0o111 } : {};
    return { path: p, action: "replace", content: o.content, ...mode };
  }
  if (b && o.content === b.content) return { path: p, action: "keep", note: "your edits; this version did not change it" };
  const merged = mergeText(t.content, b?.content ?? "", o.content, labels);
  return {
    path: p,
    action: merged.conflict ? "conflict" : "merge",
    content: merged.content,
    ...modeOf(t),
    note: merged.conflict ? "conflict markers to resolve" : "your edits merged with this version's",
  };
}
