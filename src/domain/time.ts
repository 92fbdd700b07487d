/** Time units shared by every layer (UTC throughout: no time zones, no leap seconds). */

/** Milliseconds in a day: the twin's windows, the sandbox's simulated days and every horizon count whole UTC days of this length. */
export const DAY_MS = 86_400_000;

/** Days in a mean Gregorian year: tenures and ages in years. */
export const DAYS_PER_YEAR = 365.25;

/** Days in a mean Gregorian month (30.4375, a twelfth of `DAYS_PER_YEAR`): monthly rates and hazards become daily ones, horizons in months become days. */
export const DAYS_PER_MONTH = DAYS_PER_YEAR / 12;

/** Milliseconds in a mean Gregorian month: what a monthly hazard is per, when churn is watched over any span. */
export const MONTH_MS = DAYS_PER_MONTH * DAY_MS;

/** Milliseconds in a mean Gregorian year. */
export const YEAR_MS = DAYS_PER_YEAR * DAY_MS;
