import { count } from './format';

/** The population's counts the overview's twin tile splits (`GET /population`; `risk` null until a churn model serves). */
export interface TwinsCounts {
  readonly twins: number;
  readonly risk: { readonly scored: number; readonly churned: number } | null;
}

/**
 * What the overview's twin count counts, in words: every customer seen has a twin, those who left
 * included, so the number alone read as the customer base (24,550 "customer twins" beside 19,232
 * "in the scored population" on the default world, with no word of the 5,318 who had left).
 * The split comes from the live scores: before a churn model serves it is said to come then.
 */
export function twinsDetail(p: TwinsCounts): string {
  if (!p.risk) return 'one per customer seen, those who left included; active and churned are counted once a churn model serves';
  const rest = p.twins - p.risk.scored - p.risk.churned;
  return `one per customer seen: ${count(p.risk.scored)} active, ${count(p.risk.churned)} churned (left)${rest > 0 ? `, ${count(rest)} with no plan yet` : ''}`;
}
