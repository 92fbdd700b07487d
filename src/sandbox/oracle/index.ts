/** The sandbox's hidden ground truth, for evaluation only. */
export { createOracle, type SandboxOracle, type OfferTruth, type ContractEndTruth, type CustomerOutcome, type IncidentTruth } from './oracle.js';
export { createFeatureOracle, type FeatureView, type LatentStates } from './feature-oracle.js';
