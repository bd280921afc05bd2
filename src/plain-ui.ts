/**
 * Output when there is no terminal (CI, pipes, agents): plain lines, never a
 * prompt. With --json, stdout is reserved for the JSON result, so progress goes
 * to stderr.
 */
import type { Ui } from "./create.js";

export function plainUi(json: boolean): Ui {
  const out = (text: string) => (json ? process.stderr : process.stdout).write(`${text}\n`);
  return {
    ask() {
      throw new Error("Internal error: prompted without a terminal.");
    },
    async confirm() {
      return true;
    },
    async step(title, work) {
      out(`• ${title}`);
      return work();
    },
    info: out,
    warn: (text) => process.stderr.write(`Warning: ${text}\n`),
    done: out,
    fail: (text) => process.stderr.write(`${text}\n`),
  };
}
