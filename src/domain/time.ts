/** Time units shared by every layer (UTC throughout: no time zones, no leap seconds). */

/** Milliseconds in a day: the twin's windows, the sandbox's simulated days and every horizon count whole UTC days of this length. */
export const DAY_MS = 86_400_000;

/** Milliseconds in a mean Gregorian month (30.4375 days): what a monthly hazard is per, when churn is watched over any span. */
export const MONTH_MS = 30.4375 * DAY_MS;
