/**
 * The churn-risk levels that thresholds on the served churn score read, one number each (decision
 * 0030). The score is the calibrated probability of churning within the model's window (30 days),
 * so a level reads as it says: 0.1 is a one-in-ten chance, and a customer served 0.1 churns about
 * one time in ten, whichever model serves.
 */

/**
 * From this a customer is "at risk": the named segment `at-risk` of intents, the floor of an
 * intent's churn prevention run (its segment and its run read one number; the run's was 0.2
 * while the segment said 0.1), the 10 % retention discount's eligibility and the acceptance
 * model's medium band.
 */
export const AT_RISK_CHURN = 0.1;

/** From this a customer is at "high risk": the 25 % discount a person offers, and the acceptance model's high band. */
export const HIGH_RISK_CHURN = 0.3;
