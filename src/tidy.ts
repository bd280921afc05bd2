/** Conditional blocks leave runs of blank lines; collapse them and end with one newline. */
export function tidy(content: string): string {
  // trimEnd, not /\s*$/: that regex is quadratic on text with many blank runs.
  return `${content.replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}
