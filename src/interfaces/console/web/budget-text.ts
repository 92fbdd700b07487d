/**
 * A budget's ledger scope and period in words: `credit|*` and `2026-12` read "Budget for credit
 * (any domain), month 2026-12"; the page showed the raw key, "Budget credit|* 2026-12".
 */
export function budgetText(scope: string, periodKey: string): string {
  const [actionClass, domain] = scope.split('|');
  const what = `${actionClass === '*' ? 'every action class' : actionClass} (${!domain || domain === '*' ? 'any domain' : `domain ${domain}`})`;
  const period = /^\d{4}-\d{2}$/.test(periodKey) ? `month ${periodKey}` : /^\d{4}-\d{2}-\d{2}$/.test(periodKey) ? `day ${periodKey}` : periodKey;
  return `Budget for ${what}, ${period}`;
}
