import { activatedBeforeHistory } from '../../../twin/activated-before-history';
import { eventDate } from './format';

/**
 * A product's "Since" on the customer page. A product that came in with the first record of a
 * customer who was one before it (their `since` earlier) was active before the history the twin
 * holds began (the sandbox's customers of before its twelve months, a BSS's customers loaded at
 * once): its activation time is only when the twin first saw it, so it reads "by" that day, not
 * as the day it began (every such plan read "Since" the history's first day, a year before the
 * first start's wall-clock day, whatever the customer's own date).
 */
export function productSince(activatedAt: string | null, twin: { readonly firstEventAt: string | null; readonly customerSince?: string | null }): string {
  if (!activatedAt) return '–';
  return activatedBeforeHistory(activatedAt, twin.firstEventAt, twin.customerSince) ? `by ${eventDate(activatedAt)} (first in the history)` : eventDate(activatedAt);
}
