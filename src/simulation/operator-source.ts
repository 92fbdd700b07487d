import { createChurnScorer, recalibratedScorer } from '../intelligence/live/churn-scorer.js';
import type { TabularModelDocument } from '../intelligence/model/model-document.js';
import type { ChurnModelMetadata } from '../intelligence/twin-training/train-churn-from-twins.js';
import type { TwinEngine } from '../twin/twin-engine.js';
import { acceptanceCovariates, answerRowsOf, fitAcceptanceModel, MIN_TWIN_ANSWERS, type AnswerRow } from './acceptance-fit.js';
import type { IncidentLedger } from './incident-ledger.js';
import type { RevenueLedger } from './revenue-noise.js';
import { arraySource, twinSource, type TwinSource } from './twin-population.js';

/**
 * Which active twins a lab's scenarios see (an intent's segment): the others are read for the
 * acceptance model only. Named by id (a plan's customers), only they are read when no acceptance
 * model is fitted (`answers` off).
 */
export type KeepTwin = ((id: string, features: Float64Array) => boolean) | ReadonlySet<string>;

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
  /**
   * The operator's incidents and churn as its events showed them: a network scenario that states
   * no effect of an incident is run with the one they show (`IncidentLedger.effect`), as `simulate
   * validate` runs its network scenarios. Absent: the churn model's re-scoring.
   */
  readonly incidents?: IncidentLedger;
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
 * validate` predicts with too. The twins are read once, when it is called (a snapshot: the
 * scenarios of one run see one population); `keep` restricts the scenarios to some of them (an
 * intent's segment: its draws then loop over the segment's customers, not the operator's), while
 * the acceptance model still reads every active twin's answers.
 */
export function operatorTwinSource(engine: TwinEngine, churn: LabChurnModel, evidence: OperatorEvidence = {}, keep?: KeepTwin): TwinSource {
  const revenue = evidence.revenue;
  const scorer = recalibratedScorer(createChurnScorer(churn.document), churn.metadata.outOfTime);
  const ids = keep instanceof Set ? keep : undefined;
  const live = twinSource(engine, scorer, churn.metadata.horizonDays, {}, evidence.answers ? undefined : ids);
  const kept = ids ? (id: string) => ids.has(id) : (keep as Exclude<KeepTwin, ReadonlySet<string>> | undefined);
  // One pass over the twins: each active twin's features and score are computed once; those the
  // scenarios see are kept, and every answer to an offer feeds the acceptance model. The lab read the
  // population three times (the answers, the shifts, the scenarios) and an intent's planning once per
  // batch of candidates, however small its segment: minutes of a busy server's time per planning.
  const rows: { id: string; features: Float64Array; probability: number }[] = [];
  const answers: AnswerRow[] = [];
  live.forEach((id, f, p) => {
    if (evidence.answers) answers.push(...answerRowsOf(engine, id, f, p));
    if (!kept || kept(id, f)) rows.push({ id, features: Float64Array.from(f), probability: p });
  });
  const model = answers.length >= MIN_TWIN_ANSWERS ? fitAcceptanceModel(answers, 1) : null;
  const shifts = model ? new Map(rows.map((r) => [r.id, model.shift(acceptanceCovariates(r.features, r.probability))])) : null;
  return {
    ...arraySource(rows, churn.metadata.horizonDays, scorer),
    ...(revenue && revenue.size > 0 ? { revenueSd: revenue.sd(engine.eventClock) } : {}),
    ...(churn.metadata.hazardDecay ? { hazardDecay: churn.metadata.hazardDecay } : {}),
    ...(shifts ? { acceptanceShift: (id: string) => shifts.get(id) ?? 0 } : {}),
    ...(evidence.incidents ? { incidentEffect: () => evidence.incidents!.effect(engine.eventClock) } : {}),
  };
}
