import { createChurnScorer, recalibratedScorer } from '../intelligence/live/churn-scorer.js';
import type { TabularModelDocument } from '../intelligence/model/model-document.js';
import type { ChurnModelMetadata } from '../intelligence/twin-training/train-churn-from-twins.js';
import type { TwinEngine } from '../twin/twin-engine.js';
import { twinAnswersModel, withAcceptanceModel } from './acceptance-fit.js';
import type { RevenueLedger } from './revenue-noise.js';
import { twinSource, type TwinSource } from './twin-population.js';

/**
 * The population an operator's lab simulates over (the server's, `twinloop simulate FILE`): its
 * active twins scored by a churn model, with the evidence `simulate validate` hands its scenarios
 * too (docs/simulation.md, "The server's lab"): one way to build it for every edge.
 */

/** What the lab reads beside the twins and the model. */
export interface OperatorEvidence {
  /** Billing records seen so far: each twin's revenue noise (`revenueSd`); absent or empty, the intervals leave it out. */
  readonly revenue?: RevenueLedger;
  /**
   * Shift each twin's acceptance by the acceptance model fitted to the twins' own answers to
   * discount offers (`twinAnswersModel`). Off where a scenario's acceptance is already its group's
   * own (the churn-prevention check's).
   */
  readonly answers?: boolean;
}

/** The churn model a lab scores with: its document, its horizon and its out-of-time recalibration. */
export interface LabChurnModel {
  readonly document: TabularModelDocument;
  readonly metadata: Pick<ChurnModelMetadata, 'horizonDays' | 'outOfTime' | 'hazardDecay'>;
}

/**
 * The operator's twins as a simulation source, with its evidence (see `OperatorEvidence`). The
 * hazards are the model's probabilities recalibrated against its out-of-time rows (`outOfTime`,
 * when the model has one), as `simulate validate` predicts with: a model's top scores are partly
 * luck and come out too high later. A scenario's group then churns at the level the model's fall
 * after a pick gives over its horizon (`hazardDecay`, when the model has one), as `simulate
 * validate` predicts with too.
 */
export function operatorTwinSource(engine: TwinEngine, churn: LabChurnModel, evidence: OperatorEvidence = {}): TwinSource {
  const revenue = evidence.revenue;
  const scorer = recalibratedScorer(createChurnScorer(churn.document), churn.metadata.outOfTime);
  const source = twinSource(engine, scorer, churn.metadata.horizonDays, {
    ...(revenue && revenue.size > 0 ? { revenueSd: revenue.sd(engine.eventClock) } : {}),
    ...(churn.metadata.hazardDecay ? { hazardDecay: churn.metadata.hazardDecay } : {}),
  });
  const model = evidence.answers ? twinAnswersModel(source, engine) : null;
  return model ? withAcceptanceModel(source, model) : source;
}
