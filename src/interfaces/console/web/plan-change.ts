import { money } from './format';

/** How the console words a plan change the policy judged (an approval's evidence). */

/** A plan change's terms as the policy checked them (decisioning/action-pricing.ts, `PlanChangeTerms`). */
export interface PlanChange {
  readonly fromPlanId: string | null;
  readonly fromMonthlyPrice: number;
  readonly toPlanId: string;
  readonly toMonthlyPrice: number;
  readonly monthlyDifference: number;
}
/** `fibre-m (80.00 a month) to dsl-l (75.00 a month): the customer pays 5.00 a month less`. */
export function planChangeText(p: PlanChange): string {
  const from = p.fromPlanId ? `${p.fromPlanId} (${money(p.fromMonthlyPrice)} a month)` : 'no plan';
  const d = p.monthlyDifference;
  const diff = d === 0 ? 'the same monthly price' : `the customer pays ${money(Math.abs(d))} a month ${d < 0 ? 'less' : 'more'}`;
  return `${from} to ${p.toPlanId} (${money(p.toMonthlyPrice)} a month): ${diff}`;
}
