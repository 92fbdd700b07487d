import { TwinloopError } from '../../domain/errors.js';
import { filterFields, type FilterFields } from '../../twin/feature-filter.js';
import type { ExtraFields } from '../../twin/twin-query.js';
import type { LiveScoring } from './live-scoring.js';

/**
 * The live scores a filter may name beside the twin's features: `churn`, the calibrated churn
 * probability within the serving model's horizon (no value for a twin outside the scored
 * population: churned, or without a plan), `clv`, the expected lifetime value, and `at_risk`, 1
 * for a customer among the riskiest tenth (churn at the population's at-risk level or above, the
 * level an intent's `at-risk` and the catalogue's `at_risk` read), else 0.
 */
export const SCORE_FIELDS = ['churn', 'clv', 'at_risk'] as const;
export type ScoreField = (typeof SCORE_FIELDS)[number];

/** The fields of segment filters (intents, policy segments): the twin's features, then the live scores. */
export const TWIN_SCORE_FIELDS: FilterFields = filterFields(SCORE_FIELDS);

/** Why a filter on a score cannot be read before a model serves, as every reader of the scores says it. */
export const NO_SCORES_TO_FILTER = 'no churn model is serving yet, so there are no scores to filter on; train one with `twinloop model train-twins` (or POST /models/train)';

/**
 * The live scores as extra fields of a twin query (`/twins?churn.gt=0.5`), read from whichever
 * scorer serves when the query runs. A query that filters on a score while no model serves fails
 * with UNAVAILABLE saying how to get one; a query that does not is unaffected.
 */
export function liveScoreFields(live: () => LiveScoring | null): ExtraFields {
  return {
    names: SCORE_FIELDS,
    reader() {
      const scoring = live();
      if (!scoring) throw new TwinloopError('UNAVAILABLE', NO_SCORES_TO_FILTER);
      return scoring.scoresReader();
    },
    readable: () => live() !== null,
  };
}
