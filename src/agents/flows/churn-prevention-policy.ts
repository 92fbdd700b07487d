import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import type { DocumentStore } from '../../store/document-store.js';

/**
 * The knobs of proactive churn prevention, as data an operator edits (`GET/PUT
 * /churn-prevention/policy`): whom the monthly scan may consider (the churn-risk floor and a value
 * floor), what it may spend, which offers it may make, how often it runs and how many it holds out.
 * Each run reads the policy at its scan time (journaled), so a change applies from the next scan.
 */

/** The policy, validated once at the edge. */
export const churnPreventionPolicySchema = z.strictObject({
  /**
   * 30-day churn risk from which a customer is considered at all. Customers below it are left
   * alone as "low risk".
   */
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
 * The default policy. The floor lets the riskiest customers be considered and leaves the choice to
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

/** Why a run left a customer alone (or where a contact went). */
export const LEFT_ALONE_REASONS = ['low-risk', 'not-eligible', 'sleeping-dog', 'negative-expected-value', 'simulation', 'control-group', 'consent', 'refused', 'budget', 'pending-approval'] as const;
/** One reason a customer was not contacted. */
export type LeftAloneReason = (typeof LEFT_ALONE_REASONS)[number];

/** Where the policy is kept (the record store's `settings` collection) under this id. */
export const CHURN_POLICY_ID = 'churn-prevention';

/** The policy as the operator edits it: read (the default until someone sets one), set (validated). */
export interface ChurnPolicySettings {
  get(): Promise<ChurnPreventionPolicy>;
  /** Validates and stores a whole policy; BAD_INPUT naming the field, or an offer the catalogue lacks. */
  set(policy: unknown): Promise<ChurnPreventionPolicy>;
}

/** The settings over a document store; `knownOffers` lists the catalogue's offer ids when a policy is set. */
export function churnPolicySettings(docs: DocumentStore<ChurnPreventionPolicy>, defaults: ChurnPreventionPolicy, knownOffers: () => readonly string[]): ChurnPolicySettings {
  return {
    get: async () => (await docs.get(CHURN_POLICY_ID)) ?? defaults,
    async set(raw) {
      const parsed = churnPreventionPolicySchema.safeParse(raw);
      if (!parsed.success) {
        const i = parsed.error.issues[0];
        throw new TwinloopError('BAD_INPUT', `churn prevention policy: ${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`);
      }
      const known = knownOffers();
      const unknown = parsed.data.offers.findIndex((id) => !known.includes(id));
      if (unknown >= 0) throw new TwinloopError('BAD_INPUT', `churn prevention policy: offers.${unknown}: no offer "${parsed.data.offers[unknown]}" in the catalogue; known: ${known.join(', ')}`);
      await docs.put(CHURN_POLICY_ID, parsed.data);
      return parsed.data;
    },
  };
}
