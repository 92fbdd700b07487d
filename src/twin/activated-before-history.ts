/**
 * Whether a product's activation time is only when the twin first saw it: it came in with the
 * customer's first records (within a day of the first: its profile, then its products) and the customer was one before it (their `since` earlier). Such a plan
 * was active before the history the twin holds began (the sandbox's customers of before its twelve
 * months, a BSS's customers loaded at once), so its start is unknown; it reads "by" that day, not
 * as the day it began ("by" is true either way). A customer who joined at that very record (a new line) had it from then on.
 * Pure and import-free: the console's page and the TMF mapping read a product's start alike.
 */
/** A customer's first records come in together (its profile, then its products a moment later): a day holds them. */
const FIRST_RECORDS_MS = 86_400_000;

export function activatedBeforeHistory(activatedAt: string, firstEventAt: string | null, customerSince: string | null | undefined): boolean {
  const t = Date.parse(activatedAt);
  return firstEventAt !== null && t <= Date.parse(firstEventAt) + FIRST_RECORDS_MS && !!customerSince && Date.parse(customerSince) < t;
}
