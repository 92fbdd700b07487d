import type { ChurnScorer } from '../intelligence/live/churn-scorer.js';
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

/** The operator's twins as a simulation source, with its evidence (see `OperatorEvidence`). */
export function operatorTwinSource(engine: TwinEngine, scorer: ChurnScorer, horizonDays: number, evidence: OperatorEvidence = {}): TwinSource {
  const revenue = evidence.revenue;
  const source = twinSource(engine, scorer, horizonDays, revenue && revenue.size > 0 ? { revenueSd: revenue.sd(engine.eventClock) } : {});
  const model = evidence.answers ? twinAnswersModel(source, engine) : null;
  return model ? withAcceptanceModel(source, model) : source;
}
