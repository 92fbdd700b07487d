/** Yardsticks that judge models against the sandbox's ground truth, as offered to the interfaces. */
export {
  runOfferUpliftEvaluation,
  evaluateOfferExperiment,
  REPORTED_METHODS,
  CROSS_FIT_FOLDS,
  TAIL_FRACTION,
  type OfferUpliftEvaluationOptions,
  type OfferUpliftEvaluationResult,
  type MethodReport,
  type ReportedMethod,
  type AcceptanceByType,
} from './offer-uplift-evaluation.js';
export { runOfferExperiment, MODEL_FEATURES, type OfferExperiment, type OfferExperimentOptions, type ResponseType } from './offer-experiment.js';
export { OFFER_UPLIFT_METHODS, type OfferUpliftMethod } from './cross-fitted-uplift.js';
export type { TailFinding } from './uplift-truth-metrics.js';
