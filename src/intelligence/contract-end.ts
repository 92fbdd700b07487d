/**
 * THE reading of whether a twin's contract ends within a window, from its `contract_days_left`
 * feature (whole days to the end, rounded up; a twin without a fixed term has the feature's
 * never-value, far beyond any window). The end day counts: a contract with exactly `days` left ends
 * within `days` (its last day falls inside the window, and with it the customer's decision to stay
 * or go). Read by the hazard decay's fit and the lab (a pick's cell), the stratum calibration
 * (`contractPhase`) and the learning agent's design strata, so none of them can split a contract's
 * end from the others by a day. A window in months is `months × DAYS_PER_MONTH` days.
 */
export function contractEndsWithin(contractDaysLeft: number, days: number): boolean {
  return contractDaysLeft <= days;
}
