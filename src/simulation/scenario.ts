import { z } from 'zod';
import { TwinloopError } from '../domain/errors.js';
import { fieldPath, inputProblems, shownValue } from '../domain/input-issues.js';
import type { ScoreField } from '../intelligence/live/score-fields.js';
import { featureFilterSchema, filterFields, type FilterFields } from '../twin/feature-filter.js';

/**
 * What a simulation is asked to run: one or several scenarios, validated once here (errors name
 * the JSON path) and handed inward as plain data.
 */

/**
 * Quantities a target rule may read besides the twin features: `churn`, the model's probability
 * within its horizon (the live score of that name), and `monthly_revenue`.
 */
export const DERIVED_FIELDS = ['churn', 'monthly_revenue'] as const satisfies readonly (ScoreField | 'monthly_revenue')[];
/** The fields of a target rule, in the order scenario-plan lays out a twin's values. */
export const TARGET_FIELDS: FilterFields = filterFields(DERIVED_FIELDS);

/** Ways to split the outputs into segments. */
export const SEGMENT_BY = ['none', 'is_prepaid', 'is_business', 'contract_months', 'churn_risk_band'] as const;
export type SegmentBy = (typeof SEGMENT_BY)[number];

/**
 * One condition of a target rule (the twin layer's FeatureFilter); a twin is in the target when
 * every condition holds. `churn_probability`, the field's name before the vocabulary was one, is
 * read as `churn`.
 */
const condition = z.preprocess(
  (raw) => (raw !== null && typeof raw === 'object' && (raw as { field?: unknown }).field === 'churn_probability' ? { ...raw, field: 'churn' } : raw),
  featureFilterSchema(TARGET_FIELDS),
);

/** An uncertain quantity: its best guess and standard deviation (0 = known exactly). */
const prior = z.strictObject({ mean: z.number(), sd: z.number().min(0).default(0) });
export type Prior = z.infer<typeof prior>;
const probabilityPrior = z.strictObject({ mean: z.number().min(0).max(1), sd: z.number().min(0).max(0.5).default(0) });
const multiplierPrior = z.strictObject({ mean: z.number().min(0).max(5), sd: z.number().min(0).max(2).default(0) });

/**
 * An offer's assumptions. Acceptance is per contact; an acceptor's monthly churn hazard is
 * multiplied by `acceptedHazardMultiplier` for `effectMonths` (a contacted twin's who has not
 * accepted, is raised by `contactedHazardIncrease`), and pays `discountPct` less of the
 * plan price for `months`. Defaults are cautious priors; a pilot's estimates should override them.
 */
const offer = z.strictObject({
  id: z.string().min(1),
  discountPct: z.number().min(0).max(100).default(0),
  months: z.int().min(0).max(24).default(0),
  costPerAcceptance: z.number().min(0).default(0),
  acceptance: probabilityPrior.default({ mean: 0.3, sd: 0.1 }),
  acceptedHazardMultiplier: multiplierPrior.default({ mean: 0.7, sd: 0.15 }),
  /**
   * A contact's own effect on the monthly churn hazard of a twin who does not accept it, added to
   * the twin's hazard (0.005 = half a point a month more): some customers, reminded that they
   * could leave, leave more often whatever they answer. Added, not multiplied: the customers a
   * contact provokes are not known to be the risky ones (often the content ones), and a multiplier
   * would put most of its harm on the riskiest twins a campaign picks. It holds from the first
   * contact until `effectMonths` after the last. Default none; a randomised pilot's decliners
   * against its control group estimate it (docs/simulation.md).
   */
  contactedHazardIncrease: z.strictObject({ mean: z.number().min(-0.5).max(0.5), sd: z.number().min(0).max(0.5).default(0) }).default({ mean: 0, sd: 0 }),
  effectMonths: z.int().min(1).max(12).default(3),
  /**
   * Acceptance that changes with the twin's churn risk (a pilot's logistic fit): a twin with
   * churn probability p accepts with logit(acceptance) + slope · (logit(p) − logit(atChurn)), so
   * `acceptance` is the rate at churn probability `atChurn`. Absent: every twin alike.
   */
  acceptanceByRisk: z.strictObject({ slope: z.number().min(-5).max(5), atChurn: z.number().gt(0).lt(1) }).optional(),
  /**
   * A contact's effect that changes with the twin's own monthly hazard h (a pilot's fit): a twin's
   * increase is contactedHazardIncrease × (h / atHazard)^power, so the increase is the one at monthly
   * hazard `atHazard`. power 0 is the same increase for every twin, 1 a multiplier of its hazard;
   * in between, the harm grows with the hazard but less than in proportion (the provoked are not
   * known to be the risky). Absent: the same increase for every twin.
   */
  contactedIncreaseByRisk: z.strictObject({ power: z.number().min(-1).max(2), atHazard: z.number().gt(0).lt(1) }).optional(),
});
export type OfferAssumptions = z.infer<typeof offer>;

const common = {
  name: z.string().min(1).max(200),
  horizonMonths: z.int().min(1).max(12),
  draws: z.int().min(2).max(10_000).default(100),
  seed: z.int().default(1),
  segmentBy: z.enum(SEGMENT_BY).default('none'),
  /** Relative sd of the churn model's hazard level (its calibration), drawn once per draw. */
  hazardCalibrationSd: z.number().min(0).max(1).default(0.1),
  /**
   * The scenario's group's churn level against the model's: a factor on every hazard (1: the
   * model's level). `withGroupLevels` sets it (and `hazardCalibrationSd`) from the group's own
   * churn in the model's latest out-of-time window.
   */
  hazardLevel: z.number().gt(0).max(10).default(1),
};

const channel = z.strictObject({ name: z.string().min(1), reach: z.number().min(0).max(1), costPerContact: z.number().min(0) });

/** Launch an offer to a segment through channels, each reaching a share of it at a cost per contact. */
export const offerLaunchSchema = z.strictObject({
  kind: z.literal('offer_launch'),
  ...common,
  target: z.array(condition).default([]),
  channels: z.array(channel).min(1),
  offer,
});

/** Change the price of the plans of a segment; churn responds as the model estimates or as configured. */
export const priceChangeSchema = z.strictObject({
  kind: z.literal('price_change'),
  ...common,
  target: z.array(condition).default([]),
  /**
   * Customer ids holding the plans whose price changes (the operator's records of who is on them);
   * when present, only they (and the target rule) count. A price is no way to find a plan's
   * customers: a cheaper plan with an add-on can cost the same.
   */
  customers: z.array(z.string()).optional(),
  pricePct: z.number().min(-90).max(200),
  response: z.discriminatedUnion('kind', [
    /** Re-score each twin with its price features moved; `uncertainty` is the relative sd of that sensitivity. */
    z.strictObject({ kind: z.literal('estimated'), uncertainty: z.number().min(0).max(2).default(0.3) }),
    /**
     * log hazard change per +1 % of price (0.01 = +1 % hazard per +1 % price), for `effectMonths`
     * from the change (default: the whole horizon; a rise that customers absorb after a few months,
     * as `estimatePriceResponse` can tell from a past one).
     */
    z.strictObject({ kind: z.literal('configured'), elasticity: prior, effectMonths: z.int().min(1).max(12).optional() }),
  ]),
});

/** A retention campaign: the top k (or as many as a budget pays for) receive an offer. */
export const retentionCampaignSchema = z
  .strictObject({
    kind: z.literal('retention_campaign'),
    ...common,
    target: z.array(condition).default([]),
    targeting: z.strictObject({
      rank: z.enum(['churn_value', 'uplift']),
      k: z.int().min(1).optional(),
      budget: z.number().positive().optional(),
    }),
    /**
     * Customer ids the campaign may reach (a plan already chosen elsewhere, e.g. a churn-prevention
     * run's): when present, only they are ranked, so the lab judges the plan itself, not the base's top k.
     */
    customers: z.array(z.string()).optional(),
    offer,
    costPerContact: z.number().min(0).default(0),
    contactPolicy: z.strictObject({ maxContacts: z.int().min(1).max(12).default(1) }).default({ maxContacts: 1 }),
    controlShare: z.number().min(0).max(0.9).default(0),
  })
  .refine((s) => (s.targeting.k === undefined) !== (s.targeting.budget === undefined), {
    message: 'give exactly one of k and budget',
    path: ['targeting'],
  });

/**
 * Fewer network incidents for the customers of some cells (or a target rule). An improvement
 * prevents *future* incidents: each treated twin is re-scored with the incidents it would feel in
 * a coming 30 days, `incidentsPer30d`, against `1 − incidentReductionPct` of them (the churn
 * model's learned effect of an incident), never with its past ones undone.
 */
export const networkImprovementSchema = z.strictObject({
  kind: z.literal('network_improvement'),
  ...common,
  target: z.array(condition).default([{ field: 'network_incidents_30d', op: '>=', value: 1 }]),
  /** Customer ids served by the improved cells; when present, only they (and the target rule) count. */
  customers: z.array(z.string()).optional(),
  cells: z.array(z.string()).default([]),
  incidentReductionPct: z.number().min(0).max(100),
  /**
   * Incidents on the improved cells a treated customer would feel per 30 days without the
   * improvement (mean, sd of that estimate). Default: the population's mean of
   * `network_incidents_30d` (every cell alike; it counts incidents of other cells too, so it
   * overstates a fix of a few cells), sd half of it.
   */
  incidentsPer30d: prior.optional(),
  /**
   * Distinct incidents the improved cells would have per 30 days without it. When given, each draw
   * draws how many the improvement prevents over the horizon (Poisson): a few cells have few
   * incidents, and the value comes in lumps of them (none at all in a quiet season).
   */
  cellIncidentsPer30d: z.number().min(0).optional(),
  /**
   * Log churn-hazard ratio of one incident felt in the last 30 days (mean, sd), learned from the
   * history (`estimateIncidentEffect`). When given, a twin's hazard ratio is e^(−β · prevented
   * incidents per 30 days) with β drawn per draw, instead of the churn model's re-scoring.
   */
  incidentEffect: prior.optional(),
  /** Impacted minutes per incident, for the re-scored `network_minutes_30d`. */
  minutesPerIncident: z.number().min(0).default(120),
  cost: z.number().min(0),
  /** Relative sd of the churn model's effect of an incident (the exponent on the hazard ratio). */
  uncertainty: z.number().min(0).max(2).default(0.3),
});

/** Any scenario. */
export const scenarioSchema = z.union([offerLaunchSchema, priceChangeSchema, retentionCampaignSchema, networkImprovementSchema]);
export type Scenario = z.infer<typeof scenarioSchema>;
export type OfferLaunch = z.infer<typeof offerLaunchSchema>;
export type PriceChange = z.infer<typeof priceChangeSchema>;
export type RetentionCampaign = z.infer<typeof retentionCampaignSchema>;
export type NetworkImprovement = z.infer<typeof networkImprovementSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

const byKind = {
  offer_launch: offerLaunchSchema,
  price_change: priceChangeSchema,
  retention_campaign: retentionCampaignSchema,
  network_improvement: networkImprovementSchema,
} as const;

/** A scenario file: one scenario, a list, or `{ scenarios: [...] }` to compare side by side. */
export interface ScenarioFile {
  readonly scenarios: readonly Scenario[];
}

/** A scenario's field as its sender wrote it: `kind` in a lone scenario, `[1].kind` in a list, `scenarios[1].kind` under `scenarios`. */
function parseOne(raw: unknown, at: readonly PropertyKey[]): Scenario {
  const kind = typeof raw === 'object' && raw !== null ? (raw as { kind?: unknown }).kind : undefined;
  if (typeof kind !== 'string' || !(kind in byKind)) {
    const kinds = Object.keys(byKind).join(', ');
    throw new TwinloopError('BAD_INPUT', `${fieldPath([...at, 'kind'])}: ${kind === undefined ? `required: one of ${kinds}` : `expected one of ${kinds}, got ${shownValue(kind)}`}`);
  }
  const r = byKind[kind as keyof typeof byKind].safeParse(raw);
  if (r.success) return r.data;
  const issues = inputProblems(r.error.issues, raw, { prefix: at, whole: fieldPath(at) || 'the scenario' });
  throw new TwinloopError('BAD_INPUT', `invalid scenario: ${issues.join('; ')}`, { context: { issues } });
}

/**
 * Validates a scenario document (parsed JSON). Throws BAD_INPUT naming each wrong field as the
 * document writes it, e.g. `scenarios[1].offer.acceptance.mean: expected at most 1, got 2`.
 */
export function parseScenarios(doc: unknown): ScenarioFile {
  const wrapped = !Array.isArray(doc) && typeof doc === 'object' && doc !== null && 'scenarios' in doc;
  const list = Array.isArray(doc) ? doc : wrapped ? (doc as { scenarios: unknown }).scenarios : [doc];
  if (!Array.isArray(list) || list.length === 0) throw new TwinloopError('BAD_INPUT', 'scenarios: expected a non-empty list of scenarios');
  const at = (i: number): PropertyKey[] => (Array.isArray(doc) ? [i] : wrapped ? ['scenarios', i] : []);
  const scenarios = list.map((s, i) => parseOne(s, at(i)));
  const names = new Set<string>();
  for (const s of scenarios) {
    if (names.has(s.name)) throw new TwinloopError('BAD_INPUT', `scenarios: the name "${s.name}" is used twice; give each scenario its own name`);
    names.add(s.name);
  }
  return { scenarios };
}

/** Parses scenario JSON text (a file's content); a syntax error is BAD_INPUT too. */
export function parseScenarioText(text: string): ScenarioFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new TwinloopError('BAD_INPUT', `the scenario file is not valid JSON (${(err as Error).message}); fix the syntax and retry`);
  }
  return parseScenarios(doc);
}
