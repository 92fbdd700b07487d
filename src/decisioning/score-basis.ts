import type { CustomerScores } from './arbitration.js';

/**
 * What a decision or a what-if valued the offers on: the customer's live churn risk and lifetime
 * value, or, when there was none, why not. Without scores the funnel values every offer at churn
 * risk 0 and lifetime value 0 (no customer value to keep), so it keeps nobody by an offer: an
 * answer that hides this reads as "risk 0 %", which a newcomer took for a real score.
 */
export type ScoreBasis =
  | { readonly scored: true; readonly churn: number; readonly clv: number }
  | { readonly scored: false; readonly churn: null; readonly clv: null; readonly note: string };

/** Why a customer has no score when the caller does not say (a source that gives no reason). */
export const NO_SCORE_NOTE = 'no live churn score for this customer';

/** What the offers are valued on without a score, said after the reason there is none. */
const VALUED_WITHOUT = 'the offers are valued at churn risk 0 and lifetime value 0, so none is expected to keep the customer';

/** The scores a decision read, as the source gave them: `undefined` (no score) becomes NaN with its reason, which the funnel reads as unscored. */
export function scoresOrUnscored(scores: CustomerScores | undefined, whyUnscored: string = NO_SCORE_NOTE): CustomerScores {
  return scores ?? { churn: Number.NaN, clv: Number.NaN, unscored: whyUnscored };
}

/** The basis of a decision on `scores`: scored when the churn risk is a number, else why not and what the offers were valued on. */
export function scoreBasisOf(scores: CustomerScores): ScoreBasis {
  if (Number.isFinite(scores.churn)) return { scored: true, churn: scores.churn, clv: Number.isFinite(scores.clv) ? scores.clv : 0 };
  return { scored: false, churn: null, clv: null, note: `${scores.unscored ?? NO_SCORE_NOTE}: ${VALUED_WITHOUT}` };
}
