import type { Scenario } from './scenario.js';

/** What a compare's scenarios must share to read against one baseline. */
type Compared = Pick<Scenario, 'name' | 'seed' | 'horizonMonths' | 'draws' | 'hazardLevel'>;

/** The fields a compare's columns must share, each with why, and how its values are written. */
const SHARED: readonly { field: 'seed' | 'horizonMonths' | 'draws' | 'hazardLevel'; words: string; value: (s: Compared) => string; why: string }[] = [
  { field: 'seed', words: 'seed', value: (s) => String(s.seed), why: 'each draws its own world without treatment' },
  { field: 'horizonMonths', words: 'horizon', value: (s) => `${s.horizonMonths} months`, why: 'each counts churners and revenue over its own span' },
  { field: 'draws', words: 'draws', value: (s) => String(s.draws), why: 'each averages its own number of draws' },
  { field: 'hazardLevel', words: 'hazard level', value: (s) => String(s.hazardLevel), why: "each holds every twin's churn at its own level" },
];

/**
 * Why the columns of a compare do not stand on one baseline, one sentence per field the scenarios
 * differ in (none when they compare): the lab draws the world without any scenario with the same
 * numbers in every column only for scenarios of one seed, horizon, number of draws and hazard level
 * (docs/simulation.md, common random numbers), so across others "churners without treatment"
 * differ and the churners avoided and net value of two columns are not a difference of scenarios.
 */
export function compareWarnings(scenarios: readonly Compared[]): string[] {
  if (scenarios.length < 2) return [];
  const out: string[] = [];
  for (const { field, words, value, why } of SHARED) {
    if (new Set(scenarios.map((s) => s[field])).size < 2) continue;
    const each = scenarios.map((s) => `${s.name}: ${value(s)}`).join('; ');
    out.push(`The scenarios differ in ${words} (${each}): ${why}, so their "churners without treatment" differ and their churners avoided and net value do not compare against one baseline; give them one ${words} to compare them.`);
  }
  return out;
}
