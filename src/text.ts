/** Small text helpers for messages: "did you mean" suggestions and wrapping to the terminal. */

/** Edit distance: insertions, deletions, substitutions and swaps of neighbours (`pnmp` → `pnpm` is 1). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate the input most likely meant, or undefined when none is close:
 * a candidate that starts with the input or the other way round (`--provider` →
 * `--providers`), else the nearest within about a third of its length.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const needle = input.toLowerCase();
  // Two letters say too little to guess from (`-x` is not a typo of `-y`).
  if (needle.replace(/^-+/, "").length < 3) return undefined;
  const prefix = candidates.filter((c) => {
    const hay = c.toLowerCase();
    return hay !== needle && Math.min(hay.length, needle.length) >= 3 && (hay.startsWith(needle) || needle.startsWith(hay));
  });
  if (prefix.length === 1) return prefix[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(needle, candidate.toLowerCase());
    if (distance > 0 && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(needle.length, best.length) / 3));
  return bestDistance <= limit ? best : undefined;
}

/** ` Did you mean X?` (with the formatting given), or "" when nothing is close. */
export function didYouMean(input: string, candidates: readonly string[], format = (s: string) => s): string {
  const match = closest(input, candidates);
  return match === undefined ? "" : ` Did you mean ${format(match)}?`;
}

/**
 * Wraps text to `width` columns at spaces (a word longer than a line is cut),
 * keeping existing line breaks and each line's leading indentation.
 */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  const max = Math.max(20, width);
  for (const line of text.split("\n")) {
    if (line.length <= max) {
      out.push(line);
      continue;
    }
    const indent = /^\s*/.exec(line)![0];
    const room = Math.max(10, max - indent.length);
    let current = "";
    for (let word of line.slice(indent.length).split(/ +/)) {
      while (word.length > room) {
        if (current) out.push(indent + current);
        current = "";
        out.push(indent + word.slice(0, room));
        word = word.slice(room);
      }
      if (current && current.length + 1 + word.length > room) {
        out.push(indent + current);
        current = word;
      } else {
        current = current ? `${current} ${word}` : word;
      }
    }
    if (current) out.push(indent + current);
  }
  return out;
}
