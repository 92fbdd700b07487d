import { CHANNELS, type Channel } from '../domain/events.js';
import { AT_RISK_CHURN, HIGH_RISK_CHURN } from '../intelligence/live/churn-risk-levels.js';
import type { OfferCatalogue } from './offer-catalogue.js';

/** Where acceptance probabilities come from: a prior, or an online learner's posterior. */
export interface AcceptanceModel {
  /** Posterior mean acceptance for the offer in the context. */
  mean(offerId: string, contextKey: string): number;
  /** A posterior draw (Thompson sampling); omitted → mean. */
  sample?(offerId: string, contextKey: string, u: () => number): number;
  /**
   * The draws of `sample` for one cell as it is now, its posterior read once: the same numbers
   * from the same uniforms. A decision draws from each candidate's cell many times (16 Thompson
   * draws), and reading the posterior each time was as costly as drawing.
   */
  sampler?(offerId: string, contextKey: string): (u: () => number) => number;
  /** The Beta posterior behind `mean` and `sample`, when there is one (a decision's explanation shows its uncertainty). */
  posterior?(offerId: string, contextKey: string): { readonly alpha: number; readonly beta: number };
  /**
   * True when `sample` is exactly `sampleBeta(posterior.alpha, posterior.beta, u)` (the offer
   * learner): the funnel then reads each candidate's posterior once a decision and draws it
   * itself, without a closure per candidate.
   */
  readonly drawsFromPosterior?: boolean;
}

/** Default acceptance when an offering names no prior: roughly what retention offers see in the sandbox. */
export const DEFAULT_ACCEPTANCE_PRIOR = 0.1;

/**
 * Acceptance from a fixed prior per offering (the catalogue's `acceptancePrior`), the same in
 * every context: the funnel works with no learner. It has no posterior, hence no `sample`.
 */
export class PriorAcceptance implements AcceptanceModel {
  private readonly priors: ReadonlyMap<string, number>;
  constructor(
    priors: ReadonlyMap<string, number> | OfferCatalogue,
    private readonly fallback = DEFAULT_ACCEPTANCE_PRIOR,
  ) {
    this.priors = priors instanceof Map ? priors : new Map((priors as OfferCatalogue).offers.map((o) => [o.id, o.acceptancePrior]));
  }

  /** The configured prior of the offer, or the fallback for an offer it does not know. */
  mean(offerId: string): number {
    return this.priors.get(offerId) ?? this.fallback;
  }
}

/** Churn-risk bands of the context key, by churn probability: below at risk low, from at risk to high risk medium, above high (churn-risk-levels.ts). */
export const RISK_BANDS = [
  { band: 'low-risk', below: AT_RISK_CHURN },
  { band: 'medium-risk', below: HIGH_RISK_CHURN },
  { band: 'high-risk', below: Infinity },
] as const;
/** A churn-risk band name. */
export type RiskBand = (typeof RISK_BANDS)[number]['band'];

function bandIndex(churn: number): number {
  for (let i = 0; i < RISK_BANDS.length; i++) if (churn < RISK_BANDS[i].below) return i;
  return 0;
}

/** The risk band of a churn probability (NaN counts as low). */
export function riskBandOf(churn: number): RiskBand {
  return RISK_BANDS[bandIndex(churn)].band;
}

// Every key is built once so the hot path never concatenates strings.
const KEYS: readonly (readonly string[])[] = CHANNELS.map((c) => RISK_BANDS.map((b) => `${c}|${b.band}`));

/**
 * The context key learners keep posteriors under: `<channel>|<risk band>`, e.g. `call|high-risk`
 * (6 channels × 3 bands = 18 contexts, few enough for every context to gather data quickly).
 */
export function contextKeyOf(channel: Channel, churn: number): string {
  return KEYS[CHANNELS.indexOf(channel)][bandIndex(churn)];
}
