/**
 * The simulation lab, as offered to the layers above: scenarios (validated at the edge), the
 * Monte Carlo engine over the twin population and the runs service.
 */
export { parseScenarios, parseScenarioText, scenarioSchema, SEGMENT_BY, DERIVED_FIELDS, TARGET_FIELDS, type Scenario, type ScenarioInput, type ScenarioFile, type SegmentBy } from './scenario.js';
export { twinSource, arraySource, hazardOf, monthlyRevenueOf, type TwinSource } from './twin-population.js';
export { compileScenarios, contactScale, RISK_BANDS, type ScenarioPlan } from './scenario-plan.js';
export { simulate, simulatePlans, type SimulateOptions } from './simulate.js';
export { expectedNetValue, type ExpectedNetValue, type TwinExpectedValue } from './expected-value.js';
export { describeIncidentEffect, estimate, type Estimate, type IncidentEffectUsed, type OutcomeSummary, type ScenarioResult } from './simulation-result.js';
export { compareWarnings } from './compare-warnings.js';
export { createSimulationRuns, type SimulationRun, type SimulationRuns, type SimulationRunStore, type SimulationRunsOptions, type RunStatus } from './simulation-runs.js';
export { estimateIncidentEffect, estimateIncidentRates, type CustomerSpan, type ImpactRecord, type IncidentEffect, type IncidentHistory, type IncidentRates, type NetworkImprovementRates } from './incident-rates.js';
export { IncidentLedger, INCIDENT_HISTORY_DAYS, SPAN_KINDS, type LearnedIncidentEffect } from './incident-ledger.js';
export { estimatePriceResponse, PRICE_RESPONSE_WINDOW_DAYS, type Elasticity, type PlanRecord, type PriceResponse, type PriceRise } from './price-response.js';
export { revenueSd, RevenueLedger, type RevenueRecord, type RevenueSdOptions } from './revenue-noise.js';
export { ACCEPTANCE_COVARIATES, acceptanceCovariates, acceptProbability, fitAcceptanceModel, twinAnswersModel, withAcceptanceModel, MIN_TWIN_ANSWERS, type AcceptanceModel, type AnswerRow } from './acceptance-fit.js';
export { GROUP_LEVEL_PRIOR_SD, groupLevel, latestWindow, withGroupLevels, type GroupLevel, type LatestWindow } from './group-level.js';
export { contractEndsWithin, DECAY_BANDS, DECAY_PRIOR, DECAY_QUANTILES, decayLevel, type DecayBand, type HazardDecay } from './hazard-decay.js';
export { operatorTwinSource, type KeepTwin, type LabChurnModel, type OperatorEvidence } from './operator-source.js';
export { ERROR_PARTS, errorBreakdown, summariseBreakdowns, type ErrorBreakdown, type ErrorBreakdownSummary, type ErrorParts, type RealisedOutcome } from './error-breakdown.js';
