import type { IntentChannel, IntentGoal } from './intent-schema.js';

/**
 * The library of action templates the planner combines into plans. A template says what kind of
 * action it is, which goals it serves, which channel mixes it may use, whether it carries an
 * offer (and which kinds), and which targeting it supports; the planner fills in the parameters.
 */

/** Kinds of offer a template may carry (the offer catalogue's kinds). */
export const OFFER_KINDS = ['discount', 'data_bonus', 'plan_upgrade', 'loyalty_credit'] as const;
export type OfferKind = (typeof OFFER_KINDS)[number];

/** An offer the planner may put in a plan. */
export interface PlannableOffer {
  readonly id: string;
  readonly kind: OfferKind;
  /** Discount on the monthly price, in percent (0 for non-discount offers). */
  readonly discountPct: number;
}

/**
 * Offers used when the caller gives no catalogue; the same ids as the sandbox's default world,
 * so that a plan made without wiring can run against the demo.
 */
export const DEFAULT_OFFERS: readonly PlannableOffer[] = [
  { id: 'retain-10', kind: 'discount', discountPct: 10 },
  { id: 'retain-25', kind: 'discount', discountPct: 25 },
  { id: 'data-bonus', kind: 'data_bonus', discountPct: 0 },
  { id: 'upgrade', kind: 'plan_upgrade', discountPct: 0 },
];

/** Who to target first: by churn probability × value, or by estimated uplift of the action. */
export type TargetingRank = 'churn_x_value' | 'uplift';

/** How many to target: the top k of the ranking, or as many as a spend limit allows. */
export type TargetingLimit = { readonly kind: 'top_k'; readonly k: number } | { readonly kind: 'budget'; readonly amount: number };

/** Stable ids of the templates (stored in plans, so never renamed). */
export const TEMPLATE_IDS = [
  'retention-offer-digital',
  'retention-offer-assisted',
  'service-check-in',
  'win-back-offer',
  'plan-right-sizing',
  'network-issue-compensation',
] as const;
export type TemplateId = (typeof TEMPLATE_IDS)[number];

/** One action template. */
export interface ActionTemplate {
  readonly id: TemplateId;
  readonly title: string;
  readonly description: string;
  readonly goals: readonly IntentGoal[];
  /** Channel mixes the template may use; the planner keeps the part the intent allows. */
  readonly channelMixes: readonly (readonly IntentChannel[])[];
  /** Offer kinds the template carries; empty when it carries no offer. */
  readonly offerKinds: readonly OfferKind[];
  readonly rankings: readonly TargetingRank[];
  /** Amounts of bill credit the template may grant (compensation only). */
  readonly creditAmounts?: readonly number[];
}

const DIGITAL: readonly IntentChannel[] = ['sms', 'email', 'push', 'in_app'];

/** The template library. */
export const ACTION_TEMPLATES: readonly ActionTemplate[] = [
  {
    id: 'retention-offer-digital',
    title: 'Retention offer via digital channels',
    description: 'Present a retention offer by SMS, e-mail, push or in-app message.',
    goals: ['retain'],
    channelMixes: [DIGITAL, ['sms'], ['email', 'in_app']],
    offerKinds: ['discount', 'data_bonus', 'loyalty_credit'],
    rankings: ['churn_x_value', 'uplift'],
  },
  {
    id: 'retention-offer-assisted',
    title: 'Retention offer via assisted channels',
    description: 'A human task: an agent calls the customer back and presents a retention offer.',
    goals: ['retain'],
    channelMixes: [['human_task']],
    offerKinds: ['discount', 'data_bonus', 'loyalty_credit', 'plan_upgrade'],
    rankings: ['churn_x_value', 'uplift'],
  },
  {
    id: 'service-check-in',
    title: 'Service check-in communication',
    description: 'A no-offer message asking how the service is going and pointing to help.',
    goals: ['retain', 'inform'],
    channelMixes: [DIGITAL, ['sms'], ['email'], ['human_task']],
    offerKinds: [],
    rankings: ['churn_x_value', 'uplift'],
  },
  {
    id: 'win-back-offer',
    title: 'Win-back offer',
    description: 'An offer to customers who left, to bring them back.',
    goals: ['win-back'],
    channelMixes: [['sms', 'email'], ['email'], ['human_task']],
    offerKinds: ['discount', 'data_bonus'],
    rankings: ['churn_x_value', 'uplift'],
  },
  {
    id: 'plan-right-sizing',
    title: 'Plan right-sizing',
    description: 'Move a customer whose use does not fit the plan to one that does (up or down).',
    goals: ['retain', 'upsell'],
    channelMixes: [DIGITAL, ['human_task']],
    offerKinds: ['plan_upgrade'],
    rankings: ['uplift', 'churn_x_value'],
  },
  {
    id: 'network-issue-compensation',
    title: 'Network-issue compensation',
    description: 'A bill credit and an apology to customers a network incident hurt, before they complain.',
    goals: ['retain', 'inform'],
    channelMixes: [['sms'], ['sms', 'email']],
    offerKinds: [],
    rankings: ['churn_x_value'],
    creditAmounts: [5, 10],
  },
];

/** The template with this id, or undefined. */
export function templateById(id: string): ActionTemplate | undefined {
  return ACTION_TEMPLATES.find((t) => t.id === id);
}
