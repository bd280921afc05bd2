/**
 * Every valid combination of the four list choices (auth × iap × providers ×
 * monitoring): what the flags accept and the rules allow, 1,120 today. The
 * unit tests that must hold for every project (diagrams, the team files)
 * enumerate them here, from the option registry, so a new value is covered
 * without touching them.
 */
import { CHOICES, checkRules, type ListChoiceKey, type Options } from "../../src/options.js";

export type Lists = Pick<Options, ListChoiceKey>;

export function allListCombos(): Lists[] {
  const subsets = (values: string[]): string[][] =>
    values.reduce<string[][]>((acc, v) => [...acc, ...acc.map((s) => [...s, v])], [[]]);
  let combos: Partial<Lists>[] = [{}];
  for (const choice of CHOICES) {
    const options = subsets(choice.values.map((v) => v.value)).filter((s) => s.length > 0 || choice.none);
    combos = combos.flatMap((c) => options.map((s) => ({ ...c, [choice.key]: s })));
  }
  return (combos as Lists[]).filter((c) => {
    try {
      checkRules(c);
      return true;
    } catch {
      return false;
    }
  });
}
