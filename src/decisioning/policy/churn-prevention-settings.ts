import { z } from 'zod';

/**
 * The knobs of proactive churn prevention, a section of the action policy document
 * (`churnPrevention`): whom the scan may consider (the churn-risk floor and a value floor), what it
 * may spend, which offers it may make, how often it runs and how many it holds out. Being in the
 * one policy document, they are versioned, audited and changed like the rest (`PUT /policy`,
 * `twinloop policy set`); each run reads them at its scan time, so a change applies from the next scan.
 */

/** The section, validated with the rest of the document. */
export const churnPreventionPolicySchema = z.strictObject({
  /** 30-day churn risk from which a customer is considered at all. Customers below it are left alone as "low risk". */
  floor: z.number().min(0).max(1),
  /** Customers worth less than this (lifetime value) are left alone as "low risk" too. */
  minValue: z.number().nonnegative(),
  /** Spend allowed per run (executed worst-case cost never passes it); 0 turns the scan off. */
  budget: z.number().nonnegative(),
  /** Catalogue offers the run may make; each customer gets the one with the best expected value. */
  offers: z.array(z.string().trim().min(1).max(128)).min(1).max(10),
  /** Days between scans. */
  cadenceDays: z.number().int().min(1).max(365),
  /** Share of the chosen customers held out, untouched, to measure the effect. */
  controlShare: z.number().min(0).max(0.5),
});
/** The churn prevention policy. */
export type ChurnPreventionPolicy = z.infer<typeof churnPreventionPolicySchema>;

/**
 * The default section. The floor lets the riskiest customers be considered and leaves the choice to
 * the expected value: on the default world (3 months of history, its first churn model, measured
 * 2026-12-02) 2,691 of about 20,000 active customers score 0.05 or more over 30 days, 599 score 0.1
 * and 20 score 0.2 (the old fixed floor, under which three monthly runs contacted nobody). The
 * offer set holds the data bonus beside the loyalty discount: with the discount alone (30 per
 * acceptance for a 25 % effect) only 31 of the 2,778 customers above the floor had a positive
 * expected value and the simulation check refused even those; the bonus (3 per acceptance, 15 %
 * effect, for customers running over their allowance) is worth making to many more. The budget
 * matches `--retention-budget`'s default; monthly; 10 % held out.
 */
export const DEFAULT_CHURN_PREVENTION_POLICY: ChurnPreventionPolicy = {
  floor: 0.05,
  minValue: 0,
  budget: 2_000,
  offers: ['retain-10', 'data-bonus'],
  cadenceDays: 30,
  controlShare: 0.1,
};
