import { count } from './format';

/**
 * The line the folded suspicions found in history sit under: how many, why nobody could act on
 * them, and how many are listed. After a first start's loaded history there were 513, listed
 * among those found as they happened, whom network operations can act on.
 */
export function historySummary(total: number, listed: number): string {
  const more = listed < total ? ` (the newest ${count(listed)} listed)` : '';
  return `${count(total)} found in history${more}: their signals came in a day or more after they happened (the first start's loaded history, a late batch), so nobody could act on them then and no alarm here can follow them`;
}
