import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ignoredOfferEvent } from '../agents/governance/outcome-watch.js';
import { answersSoFar, LearningRetentionAgent, type AgentMonth, type DesignVariant } from '../agents/retention/learning-agent.js';
import { HARM_THRESHOLD } from '../agents/retention/learning-planner.js';
import { ANSWER_WINDOW_MS } from '../decisioning/decision-record.js';
import { defaultCatalogue } from '../decisioning/default-catalogue.js';
import { DAY_MS, MONTH_MS } from '../domain/time.js';
import { TwinloopError } from '../domain/errors.js';
import { createChurnScorer } from '../intelligence/live/churn-scorer.js';
import { LiveScoring } from '../intelligence/live/live-scoring.js';
import { RESPONSE_CLASSES } from '../intelligence/profile/response-model.js';
import { createRng, shuffleInPlace } from '../intelligence/random.js';
import { trainChurnFromTwins } from '../intelligence/twin-training/train-churn-from-twins.js';
import { collectContractEnds } from '../intelligence/twin-training/contract-end-set.js';
import { fitContractEndModel, type ContractEndModel } from '../intelligence/twin-training/contract-end-model.js';
import type { TwinEngine } from '../twin/twin-engine.js';
import { createSandboxWorld, loadWorldDocument, namedWorld, RESPONSE_TYPES, type WorldConfig } from '../sandbox/index.js';
import { createFeatureOracle, createOracle, type ContractEndTruth, type SandboxOracle } from '../sandbox/oracle/index.js';
import { openEventStore } from '../store/open-event-store.js';
import { FEATURE_INDEX } from '../twin/twin-features.js';
import { openTwinService } from '../twin/twin-service.js';
import type { ContactRecord, OfferKind } from '../twin/twin-responses.js';
import { contactValueOf, expectedContactValue, HORIZON_DAYS, HORIZON_MONTHS, horizonSurvival, offerCostOf, tInterval, yardstickValue, type ContactValue, type Interval, type OfferTerms } from './retention-yardstick.js';
import { decideOnce, horizonRisk, type HorizonRisk, type PilotCustomer } from '../agents/retention/single-decision-agent.js';

export { tInterval, HORIZON_MONTHS, type Interval } from './retention-yardstick.js';

/**
 * `twinloop agent evaluate`: retention campaigns on sandbox worlds, one world per seed and, within
 * a seed, one identical copy of the world per policy (the same config, seed and history, so they
 * differ only by what each policy does). Every month each policy contacts up to the budget; each
 * contact is valued with the sandbox's true expected response at the moment of the decision
 * (`retention-yardstick.ts`) and then delivered for real in that policy's world, which moves on a
 * month. Policies:
 * - learning-agent: the agent that learns by acting (`agents/retention/learning-agent.ts`); it sees
 *   only the twins, its churn model and its own ledger;
 * - feature-oracle: contacts whoever has a positive expected value given observables, with the
 *   world's hidden model and the latent type, strain and frailty integrated out;
 * - oracle: knows each customer's true response and takes the best positive ones;
 * - highest-risk: the customers with the highest true churn probability;
 * - random.
 * In the first month the single-decision agent (`agents/retention/single-decision-agent.ts`, learning from last
 * quarter's randomised campaign) is judged too, without acting.
 */

/** The policies run over the months. */
export const RETENTION_POLICIES = ['learning-agent', 'feature-oracle', 'oracle', 'highest-risk', 'random'] as const;
export type RetentionPolicy = (typeof RETENTION_POLICIES)[number];
/** The policies judged on the first decision. */
/**
 * Judged on the first decision without acting: `agent-with-ends`, the single-decision agent reading
 * a contract's end inside its horizon with the contract-end model fitted on the history's ends
 * (`decideOnce`'s `contractEnds`; not the agent's default: it gained nowhere when measured,
 * docs/learning.md, "The decision at a contract's end"); `answer-oracle`, the feature oracle that also reads
 * each customer's answers so far (last quarter's campaign): the most a learner of answers could
 * reach on that decision; `type-oracle`, the feature oracle told each
 * customer's true response type (strain and frailty still integrated out): the most that learning
 * every customer's type, and nothing more, could reach in one campaign.
 */
export const FIRST_DECISION_POLICIES = ['agent', 'agent-with-ends', 'answer-oracle', 'type-oracle', ...RETENTION_POLICIES] as const;
export type FirstDecisionPolicy = (typeof FIRST_DECISION_POLICIES)[number];

/** Options of `evaluateRetentionAgent`; every field has a documented default. */
export interface AgentEvaluationOptions {
  readonly seeds: readonly number[];
  /** The world (default: the built-in default world). */
  readonly world?: WorldConfig;
  /** Population per world, overriding the world's (default 6,000). */
  readonly customers?: number;
  /** History backfilled before the first campaign (default 9 months, at least 4). */
  readonly historyMonths?: number;
  /** Monthly campaigns (default 1: the single decision). */
  readonly months?: number;
  /** Offer of the world's catalogue (default retain-10 when the world has it, else its first offer). */
  readonly offerId?: string;
  /** Contacts the budget pays for each month, as a share of active customers (default 10 %). */
  readonly budgetShare?: number;
  /** Share of the active customers in last quarter's randomised campaign (half offered, half held out; default 30 %). */
  readonly pilotShare?: number;
  /** Cost of one contact (default 2). */
  readonly contactCost?: number;
  /** How the learning agent's held-out design reads and plans (default `pooled`; decision 0094). */
  readonly design?: DesignVariant;
  /**
   * A directory to write each seed's first decision to (`<world>-seed<N>.json`, `FirstDecisionDump`):
   * the candidates as the agents see them with the truth beside, and last quarter's campaign, so
   * planners can be compared on the same decision offline in seconds (scripts/agent-offline.mjs).
   */
  readonly dump?: string;
  readonly log?: (line: string) => void;
}

/** A policy's month: contacts and their true expected net value. */
export interface PolicyMonth {
  readonly contacted: number;
  readonly netValue: number;
  readonly retained: number;
  readonly cost: number;
}

/** Brier score of the learning agent's profiles against the true types, by contacts so far. */
export interface ProfileCalibration {
  readonly contacts: string;
  readonly customers: number;
  readonly brier: number;
  /** Brier score of the true type shares among these customers (knowing nothing about each). */
  readonly brierOfShares: number;
  /**
   * Brier score of the base's true type mix (the shares among every profiled customer, whatever
   * their contacts) on these customers: the yardstick a profile must beat, the score of predicting
   * every customer at the mix of the whole base. A profile at a bucket's own mix knows which
   * customers were contacted (the campaigns pick them), which no profile is told.
   */
  readonly brierOfBaseMix: number;
  /**
   * The profiles' mean class probabilities over these customers, and their true type mix
   * (RESPONSE_CLASSES order): where the Brier score says the profiles are off, these say which
   * way (plain-effects' never-contacted customers read a quarter sleeping dogs, about 5 % in truth).
   */
  readonly profileMix: readonly number[];
  readonly trueMix: readonly number[];
}

/**
 * The single decision's candidates whose contract ends inside the horizon, read by the churn
 * model's 30-day score held every month (the agent as it runs) and by the contract-end model (the
 * lock-in's hazard for the months, the end's decision beside), against the truth: their churn over
 * the horizon untreated, and the probability of leaving at the end alone.
 */
export interface ContractEndReading {
  /** Ends in the history the model was fitted on, and how many left at them. */
  readonly ends: number;
  readonly leavers: number;
  /** α and β of logit P(leave) = α + β · logit p(month to month); null when the history held no end. */
  readonly coefficients: readonly [number, number] | null;
  /** Candidates whose contract ends inside the horizon. */
  readonly candidates: number;
  /** Their mean churn over the horizon: the 30-day score compounded, with the contract-end model, and true. */
  readonly horizonChurn: { readonly score: number; readonly withEnds: number; readonly truth: number };
  /** Their mean probability of leaving at the end: the contract-end model's and the truth's. */
  readonly leaveAtEnd: { readonly model: number; readonly truth: number };
}

/** Reads the candidates whose contract ends inside the horizon both ways, against the truth (`ContractEndReading`). */
function readContractEnds(oracle: SandboxOracle, engine: TwinEngine, live: LiveScoring, candidates: readonly string[], offerId: string, model: ContractEndModel | undefined, fitted: { ends: number; leavers: number }): ContractEndReading {
  const served = (row: Float64Array) => live.assess(row).churn;
  let n = 0, score = 0, withEnds = 0, truth = 0, endModel = 0, endTruth = 0;
  for (const id of candidates) {
    const t = oracle.offerEffect(id, offerId);
    const s = live.scoreOf(id);
    if (!t.contractEnd || t.contractEnd.inDays >= HORIZON_DAYS || !s) continue;
    const f = engine.features(id);
    if (!f) continue;
    n++;
    score += 1 - (1 - s.churn) ** HORIZON_MONTHS;
    const risk = horizonRisk(f, s.churn, served, model, HORIZON_MONTHS, served);
    withEnds += 1 - (1 - risk.hazard) ** HORIZON_MONTHS * (1 - risk.endHazard);
    truth += 1 - horizonSurvival({ ...t, acceptProbability: 0 }).untreated;
    endModel += risk.endHazard;
    endTruth += 1 - (1 - t.contractEnd.hazardUntreated) ** t.contractEnd.hazardMonths;
  }
  const mean = (x: number) => round(x / Math.max(1, n), 3);
  return { ...fitted, coefficients: model ? [round(model.coefficients[0], 3), round(model.coefficients[1], 3)] : null, candidates: n, horizonChurn: { score: mean(score), withEnds: mean(withEnds), truth: mean(truth) }, leaveAtEnd: { model: mean(endModel), truth: mean(endTruth) } };
}

/** A posterior's mean and sd. */
type Interval1 = { readonly mean: number; readonly sd: number };

/** One seed's result. */
export interface SeedResult {
  readonly seed: number;
  readonly activeCustomers: number;
  readonly budget: number;
  /**
   * Last quarter's campaign and what the single-decision agent read from it: the acceptors' and
   * the non-acceptors' hazard multipliers and the selection factor (posterior mean and sd), and the campaign's own true
   * expected net value when it was made (what the pilot cost; every policy's history holds it).
   */
  readonly pilot: {
    readonly customers: number;
    readonly acceptedShare: number;
    readonly acceptedMultiplier: Interval1;
    readonly declinedMultiplier: Interval1;
    /** The selection factor: those who accept's untreated hazard ÷ the others', same covariates (its prior where the pilot cannot tell). */
    readonly selection: Interval1;
    readonly netValue: number;
  };
  /** Why the single-decision agent left the candidates it did not contact. */
  readonly singleDecisionLeft: Readonly<Record<string, number>>;
  /** The contract-end model fitted on the history, and the candidates' churn over the horizon as each reading of the single decision expects it, against the truth. */
  readonly contractEnds: ContractEndReading;
  readonly firstDecision: Record<FirstDecisionPolicy, PolicyMonth>;
  readonly months: readonly Record<RetentionPolicy, PolicyMonth>[];
  /** What the learning agent did each month (exploit, explore, holdout) and learnt. */
  readonly agentMonths: readonly {
    readonly exploit: number;
    readonly explore: number;
    readonly holdout: number;
    readonly harms: number;
    readonly acceptedMultiplier: number;
    readonly contactMultiplier: number;
    /** Observed ÷ expected churn of the agent's held-out customers (pooled toward 1). */
    readonly churnCalibration: number;
    readonly acceptance: readonly number[];
    /** The response model's class shares of the base (RESPONSE_CLASSES order). */
    readonly shares: readonly number[];
    /** Each class's untreated hazard against the churn model's, as fitted (RESPONSE_CLASSES order): with the multipliers, where the fit put the contacted customers' churn. */
    readonly hazardRatio: readonly number[];
    /** Why it explored or not: the batch's value of information and expected cost, and a month's value of knowing the effects exactly (learning-planner's `exploration`). */
    readonly exploration: { readonly valueOfInformation: number; readonly cost: number; readonly perfectInformation: number };
    /** Candidates worth a contact on the expected value that the plan-level guard left. */
    readonly planRisk: number;
    /**
     * The held-out contact design's month (held-out-design.ts): whom it exploited, explored (in pairs, one held out),
     * held out, left for harm (P(ρ > 1) ≥ 0.5) or for the guard, its batch's value of information and the pooled ln ρ.
     */
    readonly design: { readonly exploit: number; readonly explore: number; readonly holdout: number; readonly harms: number; readonly planRisk: number; readonly valueOfInformation: number; readonly level: { readonly mean: number; readonly sd: number } };
    /** True expected net value of the month's contacts made to exploit, and to explore. */
    readonly exploitValue: number;
    readonly exploreValue: number;
  }[];
  /** The learning agent's own measure: churn over the window of the contacted vs the held out. */
  readonly holdout: { readonly contacted: number; readonly contactedChurned: number; readonly heldOut: number; readonly heldOutChurned: number };
  readonly calibration: readonly ProfileCalibration[];
  /** The learning agent's offers as its twins hold them at the end: presented, and answered or written off as ignored. */
  readonly answers: { readonly presented: number; readonly accepted: number; readonly declined: number; readonly ignored: number };
}

export interface AgentEvaluation {
  readonly options: { readonly seeds: readonly number[]; readonly world: string; readonly dump?: string; readonly customers: number; readonly historyMonths: number; readonly months: number; readonly offerId: string; readonly budgetShare: number; readonly pilotShare: number; readonly contactCost: number; readonly design: DesignVariant };
  readonly seeds: readonly SeedResult[];
  /** First decision: net value per policy over seeds. */
  readonly firstDecision: Record<FirstDecisionPolicy, Interval>;
  /**
   * Single-decision agent ÷ feature oracle, and ÷ oracle, on the first decision, over the seeds
   * where the yardstick made something (null when it made nothing on any seed: a share of nothing
   * says nothing, and `verdicts` judges by the difference instead).
   */
  readonly agentVsFeatureOracle: Interval | null;
  readonly agentVsOracle: Interval | null;
  /** Single-decision agent less the feature oracle on the first decision. */
  readonly agentMinusFeatureOracle: Interval;
  /** Cumulative net value per policy after each month (index 0 = month 1). */
  readonly cumulative: Record<RetentionPolicy, readonly Interval[]>;
  /** Learning agent's cumulative value less the feature oracle's, per month. */
  readonly learningMinusFeatureOracle: readonly Interval[];
  /** Learning agent's cumulative value ÷ the oracle's after the last month (null when the oracle made nothing on any seed). */
  readonly learningVsOracle: Interval | null;
  /** The learning agent's net value of each month alone (not cumulative). */
  readonly learningMonthly: readonly Interval[];
  readonly calibration: readonly ProfileCalibration[];
  readonly targets: { readonly agentVsFeatureOracle: number; readonly learningVsOracle: number };
  /** Issue 10's targets judged on this run, each with the figures behind the verdict. */
  readonly verdicts: Readonly<Record<'singleDecision' | 'learningAboveFeatureOracle' | 'noMonthBelowZero' | 'shareOfOracle', Verdict>>;
  readonly seconds: number;
}

/** Whether a target was met on a run, and the figures that say so. */
export interface Verdict {
  readonly met: boolean;
  readonly why: string;
}

/**
 * One seed's first decision written by `dump`: every candidate of the single decision (active,
 * scored, not in last quarter's offered arm) with what the agents see (the twin's features by
 * `featureNames`, the live churn score and lifetime value, the offer's cost) and the truth beside
 * (the feature oracle's expected value, the true expected value of a contact now, the true
 * response type); and last quarter's campaign (the features when it started, the churn model's
 * hazard then, the arm, the answer, whether the customer left since, the true type).
 */
export interface FirstDecisionDump {
  readonly world: string;
  readonly seed: number;
  readonly offerId: string;
  /** The offer's kind (discount, data_bonus, …): what the response profiles answer by; and its terms, what it costs. */
  readonly offerKind: string;
  readonly offerTerms: OfferTerms;
  readonly budget: number;
  readonly contactCost: number;
  readonly horizonMonths: number;
  /** Population of the world (the option), and the event clock at the decision and at last quarter's campaign (ms). */
  readonly customers: number;
  readonly now: number;
  readonly pilotAt: number;
  readonly featureNames: readonly string[];
  readonly candidates: readonly { id: string; features: number[]; churn: number; clv: number; offerCost: number; featureOracle: number; truth: number; type: string; response?: CandidateResponse }[];
  /** `record`: the twin's contact record now (answers by kind, last contact, last acceptance, when it left), and `featuresNow`: its features now, as the learning agent reads them. */
  /** The active customers last quarter's campaign did not sample (features and the churn model's hazard when it started, whether they left since): untouched by it, at random. */
  readonly notSampled: readonly { id: string; features: number[]; hazard: number; churned: boolean; type: string }[];
  readonly pilot: readonly { id: string; features: number[]; featuresNow: number[]; record: ContactRecord | null; hazard: number; treated: boolean; accepted: boolean; churned: boolean; type: string }[];
  /** The churn model the agents scored with (dumps since 2026-12-06 21:00 UTC): a planner replayed offline may score rows of its own (`createChurnScorer`). */
  readonly churnModel?: unknown;
  /**
   * The single decision's reading with the contract-end model (`agent-with-ends`; dumps since 2026-12-07 06:30 UTC, absent
   * when the history holds no contract end): each candidate's risk over the horizon now and each campaign customer's when
   * the campaign started (most candidates were its controls), as `decideOnce` reads them with `contractEnds`
   * (`horizonRisk`: the lock-in's hazard and the end's decision), by id.
   */
  readonly withEnds?: { readonly candidates: Readonly<Record<string, HorizonRisk>>; readonly campaign: Readonly<Record<string, HorizonRisk>> };
}

/**
 * A candidate's true response to a contact now (dumps since 2026-12-06 11:00 UTC): its probability of
 * accepting and its monthly hazard untreated, if it accepts and if it does not, with what keeping it
 * is worth. Enough to draw what a contact would show (an answer, a churn within the horizon), so a
 * planner that contacts in waves can be replayed offline: scripts/agent-offline.mjs.
 */
export interface CandidateResponse {
  readonly accept: number;
  readonly hazardUntreated: number;
  readonly hazardIfAccepted: number;
  readonly hazardIfDeclined: number;
  readonly value: number;
  /** The contract's end and the month-to-month hazard weighed that day in each branch (dumps since 2026-12-06 21:00 UTC; absent without one). */
  readonly contractEnd?: ContractEndTruth;
}

function responseOf(oracle: SandboxOracle, id: string, offerId: string): CandidateResponse {
  const t = oracle.offerEffect(id, offerId);
  return { accept: t.acceptProbability, hazardUntreated: t.hazardUntreated, hazardIfAccepted: t.hazardIfAccepted, hazardIfDeclined: t.hazardIfDeclined, value: yardstickValue(t.monthlyPrice, t.hazardUntreated), ...(t.contractEnd ? { contractEnd: t.contractEnd } : {}) };
}

/** The product's catalogue: its stated retention effect of an offer is the single-decision agent's prior. */
const CATALOGUE = defaultCatalogue();
const NULL_OUTPUT = { usage() {}, event() {} };
const CONTACT_BUCKETS = ['0', '1', '2', '3+'] as const;
const bucketOf = (n: number) => CONTACT_BUCKETS[Math.min(3, n)];

/** Resolved options. */
type Resolved = AgentEvaluation['options'] & { readonly config: WorldConfig };

/** Runs the evaluation over the seeds. */
export async function evaluateRetentionAgent(options: AgentEvaluationOptions): Promise<AgentEvaluation> {
  const base = options.world ?? namedWorld('default');
  const customers = options.customers ?? 6000;
  const config = loadWorldDocument({ ...base, population: { ...base.population, customers } });
  const offerId = options.offerId ?? (config.offers.catalogue.some((x) => x.id === 'retain-10') ? 'retain-10' : config.offers.catalogue[0]?.id);
  const o: Resolved = {
    seeds: options.seeds,
    world: config.name,
    customers,
    historyMonths: options.historyMonths ?? 9,
    months: options.months ?? 1,
    offerId,
    budgetShare: options.budgetShare ?? 0.1,
    pilotShare: options.pilotShare ?? 0.3,
    contactCost: options.contactCost ?? 2,
    design: options.design ?? 'pooled',
    ...(options.dump ? { dump: options.dump } : {}),
    config,
  };
  if (o.seeds.length === 0) throw new TwinloopError('BAD_INPUT', 'give at least one seed');
  if (!config.offers.catalogue.some((x) => x.id === o.offerId)) throw new TwinloopError('BAD_INPUT', `unknown offer "${o.offerId}"; the world offers: ${config.offers.catalogue.map((x) => x.id).join(', ')}`);
  if (!(o.budgetShare > 0 && o.budgetShare <= 1)) throw new TwinloopError('BAD_INPUT', `budgetShare must be in (0, 1]; got ${o.budgetShare}`);
  if (!(o.pilotShare >= 0 && o.pilotShare < 1)) throw new TwinloopError('BAD_INPUT', `pilotShare must be in [0, 1); got ${o.pilotShare}`);
  if (!(o.historyMonths >= HORIZON_MONTHS + 1)) throw new TwinloopError('BAD_INPUT', `historyMonths must be at least ${HORIZON_MONTHS + 1}; got ${o.historyMonths}`);
  if (!(Number.isInteger(o.months) && o.months >= 1 && o.months <= 36)) throw new TwinloopError('BAD_INPUT', `months must be a whole number in 1..36; got ${o.months}`);
  if (o.dump) {
    // Made now, so a directory that cannot be written fails before a seed's minutes, not after.
    try {
      mkdirSync(o.dump, { recursive: true });
    } catch (e) {
      throw new TwinloopError('BAD_INPUT', `cannot write the first decisions to "${o.dump}": ${(e as Error).message}`);
    }
  }
  const log = options.log ?? (() => {});
  const started = performance.now();
  const seeds: SeedResult[] = [];
  for (const seed of o.seeds) seeds.push(await evaluateSeed(seed, o, log));

  const first = (p: FirstDecisionPolicy) => tInterval(seeds.map((s) => s.firstDecision[p].netValue));
  const cumOf = (s: SeedResult, p: RetentionPolicy, m: number) => s.months.slice(0, m + 1).reduce((a, x) => a + x[p].netValue, 0);
  const monthsIdx = Array.from({ length: o.months }, (_, m) => m);
  const { config: _config, ...shown } = o;
  const agentVsFeatureOracle = shareOf(seeds.map((s) => [s.firstDecision.agent.netValue, s.firstDecision['feature-oracle'].netValue]));
  const learningVsOracle = shareOf(seeds.map((s) => [cumOf(s, 'learning-agent', o.months - 1), cumOf(s, 'oracle', o.months - 1)]));
  const agentMinusFeatureOracle = tInterval(seeds.map((s) => s.firstDecision.agent.netValue - s.firstDecision['feature-oracle'].netValue));
  const learningMinusFeatureOracle = monthsIdx.map((m) => tInterval(seeds.map((s) => cumOf(s, 'learning-agent', m) - cumOf(s, 'feature-oracle', m))));
  const learningMonthly = monthsIdx.map((m) => tInterval(seeds.map((s) => s.months[m]['learning-agent'].netValue)));
  const targets = { agentVsFeatureOracle: 0.8, learningVsOracle: 0.5 };
  return {
    options: shown,
    seeds,
    firstDecision: Object.fromEntries(FIRST_DECISION_POLICIES.map((p) => [p, first(p)])) as Record<FirstDecisionPolicy, Interval>,
    agentVsFeatureOracle,
    agentVsOracle: shareOf(seeds.map((s) => [s.firstDecision.agent.netValue, s.firstDecision.oracle.netValue])),
    agentMinusFeatureOracle,
    cumulative: Object.fromEntries(RETENTION_POLICIES.map((p) => [p, monthsIdx.map((m) => tInterval(seeds.map((s) => cumOf(s, p, m))))])) as Record<RetentionPolicy, Interval[]>,
    learningMinusFeatureOracle,
    learningVsOracle,
    learningMonthly,
    calibration: poolCalibration(seeds.map((s) => s.calibration)),
    targets,
    verdicts: judgeTargets(first('feature-oracle'), agentVsFeatureOracle, agentMinusFeatureOracle, learningMinusFeatureOracle, learningMonthly, learningVsOracle, targets),
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

/** a ÷ b over the seeds where b made something positive (null when none did). */
export function shareOf(pairs: readonly (readonly [number, number])[]): Interval | null {
  const kept = pairs.filter(([, b]) => b > 0);
  return kept.length === 0 ? null : tInterval(kept.map(([a, b]) => a / b));
}

const fmt = (x: Interval, digits = 0) => `${x.mean.toFixed(digits)} [${x.low.toFixed(digits)}, ${x.high.toFixed(digits)}]`;

/**
 * Issue 10's targets on this run. Where the feature oracle makes nothing (contacting nobody is the
 * best a decision on observables can do, or what it contacts loses in truth), a share of it means
 * nothing: the single decision is then judged by its difference from the feature oracle, and
 * meets the target when it loses nothing against it.
 */
export function judgeTargets(
  featureOracle: Interval,
  agentVsFeatureOracle: Interval | null,
  agentMinusFeatureOracle: Interval,
  learningMinusFeatureOracle: readonly Interval[],
  learningMonthly: readonly Interval[],
  learningVsOracle: Interval | null,
  targets: AgentEvaluation['targets'],
): AgentEvaluation['verdicts'] {
  const singleDecision: Verdict =
    featureOracle.mean > 0 && agentVsFeatureOracle
      ? { met: agentVsFeatureOracle.mean >= targets.agentVsFeatureOracle, why: `single-decision agent / feature oracle ${fmt(agentVsFeatureOracle, 2)} (target ≥ ${targets.agentVsFeatureOracle}); feature oracle ${fmt(featureOracle)}` }
      : { met: agentMinusFeatureOracle.mean >= 0, why: `the feature oracle makes ${fmt(featureOracle)}: no share of it to reach; the agent less the feature oracle ${fmt(agentMinusFeatureOracle)}` };
  const last = learningMinusFeatureOracle[learningMinusFeatureOracle.length - 1];
  const below = learningMonthly.map((x, m) => ({ x, m })).filter(({ x }) => x.low < 0);
  return {
    singleDecision,
    learningAboveFeatureOracle: { met: last.mean > 0, why: `learning agent less the feature oracle repeated monthly, cumulative after ${learningMinusFeatureOracle.length} month(s): ${fmt(last)}` },
    noMonthBelowZero: {
      met: below.length === 0,
      why: below.length === 0 ? `every month's net value has its 90 % interval at or above zero` : `months whose 90 % interval reaches below zero: ${below.map(({ x, m }) => `${m + 1} ${fmt(x)}`).join(', ')}`,
    },
    shareOfOracle: learningVsOracle
      ? { met: learningVsOracle.mean >= targets.learningVsOracle, why: `learning agent / oracle, cumulative: ${fmt(learningVsOracle, 2)} (aim ≥ ${targets.learningVsOracle})` }
      : { met: false, why: 'the oracle made nothing on any seed' },
  };
}

/** Pools the last month's calibration of every seed (weighted by customers). */
function poolCalibration(perSeed: readonly (readonly ProfileCalibration[])[]): ProfileCalibration[] {
  return CONTACT_BUCKETS.map((contacts) => {
    const rows = perSeed.flatMap((c) => c.filter((x) => x.contacts === contacts));
    const n = rows.reduce((a, r) => a + r.customers, 0);
    const w = (f: (r: ProfileCalibration) => number) => (n ? rows.reduce((a, r) => a + f(r) * r.customers, 0) / n : 0);
    const mix = (f: (r: ProfileCalibration) => readonly number[]) => RESPONSE_CLASSES.map((_, k) => round(w((r) => f(r)[k]), 3));
    return { contacts, customers: n, brier: round(w((r) => r.brier), 4), brierOfShares: round(w((r) => r.brierOfShares), 4), brierOfBaseMix: round(w((r) => r.brierOfBaseMix), 4), profileMix: mix((r) => r.profileMix), trueMix: mix((r) => r.trueMix) };
  });
}

const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * One month of the learning agent written by `dump` (with `months`): every active customer of its
 * world with the feature oracle's expected value of a contact there, the truth's, the true type, and
 * what the agent did with them and why (the class plan's contact or holdout, the design's, or the
 * reason either left them); beside it the design's read, stratum by stratum. What the agent contacts
 * against what the feature oracle would, month by month (docs/learning.md).
 */
export interface MonthDump {
  readonly month: number;
  readonly budget: number;
  readonly level: { readonly mean: number; readonly sd: number };
  readonly spread: number;
  readonly calibration: number;
  readonly strata: readonly { stratum: string; contacted: { customers: number; churned: number; expected: number }; heldOut: { customers: number; churned: number; expected: number }; mean: number; sd: number; harm: number; floor: number }[];
  readonly rows: readonly { id: string; status: string; stratum?: string; sleepingDog?: number; churn?: number; clv?: number; featureOracle: number; truth: number; type: string }[];
}

function monthDump(planned: AgentMonth, world: ReturnType<typeof createSandboxWorld>, oracle: SandboxOracle, active: readonly string[], budget: number, offer: Offer, o: Resolved, m: number): MonthDump {
  const status = new Map<string, string>();
  for (const c of planned.plan.contact) status.set(c.customerId, `class-${c.reason}`);
  for (const c of planned.plan.holdout) status.set(c.customerId, 'class-holdout');
  for (const c of planned.design.contact) status.set(c.customerId, `design-${c.reason}`);
  for (const c of planned.design.holdout) status.set(c.customerId, 'design-holdout');
  for (const [id, why] of planned.design.left) status.set(id, why);
  const view = createFeatureOracle(world);
  return {
    month: m + 1,
    budget,
    level: planned.read.level,
    spread: planned.read.spread,
    calibration: planned.calibration,
    strata: [...planned.read.strata.values()].map((x) => ({ stratum: x.stratum, contacted: x.contacted, heldOut: x.heldOut, mean: round(x.mean, 4), sd: round(x.sd, 4), harm: round(x.harm, 3), floor: round(x.floor, 4) })),
    rows: active.map((id) => {
      const profile = planned.profiles.get(id);
      const stratum = planned.strata.get(id);
      const why = status.get(id) ?? (!stratum ? 'not-candidate' : (profile?.classes['sleeping-dog'] ?? 0) >= HARM_THRESHOLD ? 'sleeping-dog' : 'class-left');
      return { id, status: why, stratum, sleepingDog: profile ? round(profile.classes['sleeping-dog'], 3) : undefined, featureOracle: round(expectedContactValue(view.view(id, o.offerId), offer, o.contactCost), 2), truth: round(valueNow(oracle, id, offer, o.contactCost).net, 2), type: oracle.responseType(id) };
    }),
  };
}

async function evaluateSeed(seed: number, o: Resolved, log: (line: string) => void): Promise<SeedResult> {
  const offer = o.config.offers.catalogue.find((x) => x.id === o.offerId)!;
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-agent-eval-'));
  const worlds = Object.fromEntries(RETENTION_POLICIES.map((p) => [p, createSandboxWorld(o.config, seed, { latencyScale: 0 })])) as Record<RetentionPolicy, ReturnType<typeof createSandboxWorld>>;
  const learningWorld = worlds['learning-agent'];
  const others = RETENTION_POLICIES.filter((p) => p !== 'learning-agent');
  try {
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: { now: () => Math.max(Date.now(), learningWorld.clock.now()) } });
    try {
      const t0 = performance.now();
      const rng = createRng(seed * 104729 + 7);
      // Offers the learning agent's customers left unanswered: once the answer window passes they
      // are written off as ignored, as the running server's outcome watch does, so the twins and
      // the profiles learn who ignores.
      let unanswered: { requestId: string; customerId: string; presentedAt: number }[] = [];
      const answerWindowDays = Math.ceil(ANSWER_WINDOW_MS / DAY_MS);
      const advance = async (months: number) => {
        const from = worlds[others[0]].clock.now();
        for (const p of others) worlds[p].generate(NULL_OUTPUT, { months });
        const days = Math.round((worlds[others[0]].clock.now() - from) / DAY_MS);
        const first = unanswered.length > 0 ? Math.min(days, answerWindowDays) : days;
        await learningWorld.backfill({ days: first, sink: twins.intake });
        await twins.intake.drained();
        if (unanswered.length > 0) {
          const events = unanswered.map((u) => ignoredOfferEvent(u.requestId, { customerId: u.customerId, offerId: o.offerId, channel: 'app', treatment: offer.kind, presentedAt: u.presentedAt }, new Date(u.presentedAt + ANSWER_WINDOW_MS).toISOString()));
          const refused = (await twins.intake.submit(events)).filter((a) => a.status === 'rejected');
          if (refused.length > 0) log(`seed ${seed}: ${refused.length} ignored offers refused by the intake, e.g. ${JSON.stringify(refused[0])}`);
          unanswered = [];
          await learningWorld.backfill({ days: days - first, sink: twins.intake });
          await twins.intake.drained();
        }
      };
      const deliver = async (p: RetentionPolicy, customerId: string, key: string): Promise<boolean | undefined> => {
        for (let attempt = 0; attempt < 3; attempt++) {
          const r = await worlds[p].backends.campaignDelivery.deliver({ idempotencyKey: key, campaignId: 'agent-eval', customerId, offerId: o.offerId, channel: 'app' });
          if (r.status === 'ok' && r.value.response === 'no-answer' && p === 'learning-agent') unanswered.push({ requestId: key, customerId, presentedAt: worlds[p].clock.now() });
          if (r.status === 'ok') return r.value.response === 'accepted';
          if (r.status === 'rejected') return undefined;
        }
        return undefined;
      };

      // Last quarter's campaign, part of every policy's history: a random share of the active
      // customers, half offered the offer and half held out. Every world gets the same deliveries.
      await advance(o.historyMonths - HORIZON_MONTHS);
      const pilot: PilotCustomer[] = [];
      // Each pilot customer's features when offered: the hazard the agent reads their churn
      // against is the model's at that moment, not after the outcome it is meant to judge.
      const pilotFeatures = new Map<string, Float64Array>();
      // The active customers the campaign's random sample left out, as they were when it started: as randomly untouched as its held-out arm.
      const notSampled = new Map<string, Float64Array>();
      for (const id of twins.engine.customerIds()) {
        const f = twins.engine.features(id);
        if (!f || f[FEATURE_INDEX.churned] !== 0 || f[FEATURE_INDEX.active_plans] === 0) continue;
        if (rng.next() >= o.pilotShare) {
          notSampled.set(id, f);
          continue;
        }
        pilot.push({ id, features: f, treated: rng.next() < 0.5, accepted: false });
        pilotFeatures.set(id, f);
      }
      const pilotAt = twins.engine.eventClock;
      // What the campaign costs, valued at the truth when it is made, before any world answers it.
      const pilotValue = judge(worlds.oracle, pilot.filter((x) => x.treated).map((x) => x.id), offer, o.contactCost).netValue;
      for (let i = 0; i < pilot.length; i++) {
        if (!pilot[i].treated) continue;
        const key = `agent-eval-${seed}-pilot-${pilot[i].id}`;
        const answers = await Promise.all(RETENTION_POLICIES.map((p) => deliver(p, pilot[i].id, key)));
        if (answers.some((a) => a !== answers[0])) throw new TwinloopError('INTERNAL', `the policies' worlds answered the pilot differently for ${pilot[i].id}; they must be identical copies`);
        pilot[i] = { ...pilot[i], accepted: answers[0] === true };
      }
      await advance(HORIZON_MONTHS);
      const trained = await trainChurnFromTwins(twins.store, { to: twins.engine.eventClock, latenessMs: twins.engine.latenessMs, untilSeq: twins.appliedSeq(), seed });
      const live = new LiveScoring(twins.engine, { id: 'eval', version: 1, document: trained.document, metadata: trained.metadata });
      live.scoreAll();
      log(`seed ${seed}: ${o.historyMonths} months of history and a churn model (AUC ${trained.metadata.metrics.auc}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      // Every contract end the history holds, and the decision taken at it: what the single decision reads a renewal inside its horizon with.
      const endSet = await collectContractEnds(twins.store, { to: twins.engine.eventClock, untilSeq: twins.appliedSeq() });
      const contractEnds = endSet.rows.length > 0 ? fitContractEndModel(endSet.rows, (row) => live.assess(row).churn) : undefined;
      log(`seed ${seed}: ${endSet.rows.length} contract ends in the history, ${endSet.leavers} left at them; the decision at an end: logit P(leave) = ${contractEnds ? contractEnds.coefficients.map((x) => x.toFixed(2)).join(' + ') : '—'} × logit p(month to month)`);

      const agent = new LearningRetentionAgent({
        offer: { id: offer.id, kind: offer.kind as OfferKind, costFor: (price) => offerCostOf(offer, price) },
        contactCost: o.contactCost,
        effectMonths: HORIZON_MONTHS,
        design: o.design,
      });
      // Scored with the model trained since (none existed then) on the features as they were: read
      // now, a customer who left in between would be scored on the twin of someone already gone.
      const scorer = createChurnScorer(trained.document);
      // The pilot's control arm too, as held out: against it the agent calibrates the churn it expects.
      // Each with what it had answered before the campaign (its stratum in the agent's held-out design).
      const answeredBefore = (id: string, treated: boolean, accepted: boolean) => {
        const r = twins.engine.contactRecord(id);
        return answersSoFar(r && treated ? { presented: r.presented - 1, accepted: r.accepted - (accepted ? 1 : 0) } : r);
      };
      for (const p of pilot) agent.remember(p.id, { at: pilotAt, hazard: scorer.probability(pilotFeatures.get(p.id)!), heldOut: !p.treated }, undefined, { features: pilotFeatures.get(p.id)!, answers: answeredBefore(p.id, p.treated, p.accepted) });
      // And those its random sample left out: controls of the design too, as the single decision reads them.
      for (const [id, f] of notSampled) agent.rememberControl(id, pilotAt, scorer.probability(f), f, answeredBefore(id, false, false));

      const inPilot = new Set(pilot.filter((p) => p.treated).map((p) => p.id));
      const months: Record<RetentionPolicy, PolicyMonth>[] = [];
      const agentMonths: SeedResult['agentMonths'][number][] = [];
      let singleDecision: PolicyMonth | undefined;
      let singleWithEnds: PolicyMonth | undefined;
      let endReading: ContractEndReading | undefined;
      let typeOracle: PolicyMonth | undefined;
      let answerOracle: PolicyMonth | undefined;
      let activeCustomers = 0;
      let budget0 = 0;
      let pilotSummary: SeedResult['pilot'] = { customers: pilot.length, acceptedShare: 0, acceptedMultiplier: { mean: 1, sd: 0 }, declinedMultiplier: { mean: 1, sd: 0 }, selection: { mean: 1, sd: 0 }, netValue: pilotValue };
      let singleDecisionLeft: SeedResult['singleDecisionLeft'] = {};
      let calibration: ProfileCalibration[] = [];
      for (let m = 0; m < o.months; m++) {
        const month = {} as Record<RetentionPolicy, PolicyMonth>;
        const picksOf = {} as Record<RetentionPolicy, string[]>;
        // Why the learning agent contacted each customer, to split its true value into exploitation and exploration.
        const reasonOf = new Map<string, string>();
        let agentMonth: Omit<SeedResult['agentMonths'][number], 'exploitValue' | 'exploreValue'> | undefined;
        const byReason = { exploit: 0, explore: 0 };
        for (const p of RETENTION_POLICIES) {
          const oracle = createOracle(worlds[p]);
          const active = oracle.customerIds().filter((id) => oracle.churnProbability(id) > 0);
          const budget = Math.floor(active.length * o.budgetShare);
          if (p === 'learning-agent') {
            live.scoreAll();
            const planned = agent.planMonth(twins.engine, live, budget, o.months - m, seed * 1000 + m);
            const contacts = [...planned.plan.contact, ...planned.design.contact];
            picksOf[p] = contacts.map((c) => c.customerId);
            for (const c of contacts) reasonOf.set(c.customerId, c.reason);
            const r = planned.plan.counts;
            agentMonth = {
              exploit: r.exploit, explore: r.explore, holdout: r.holdout, harms: r['contact-harms'],
              acceptedMultiplier: round(planned.model.acceptedMultiplier.mean, 3), contactMultiplier: round(planned.model.contactMultiplier.mean, 3), churnCalibration: round(planned.calibration, 3),
              acceptance: planned.model.acceptance.map((row) => round(row[0], 3)),
              shares: planned.model.shares.map((x) => round(x, 3)),
              hazardRatio: planned.model.hazardRatio.map((x) => round(x, 3)),
              exploration: { valueOfInformation: Math.round(planned.plan.exploration.valueOfInformation), cost: Math.round(planned.plan.exploration.cost), perfectInformation: Math.round(planned.plan.exploration.perfectInformation) },
              planRisk: r['plan-risk'],
              design: { ...planned.design.counts, valueOfInformation: Math.round(planned.design.exploration.valueOfInformation), level: { mean: round(planned.design.level.mean, 3), sd: round(planned.design.level.sd, 3) } },
            };
            calibration = calibrateProfiles(planned.profiles, (id) => RESPONSE_TYPES.indexOf(oracle.responseType(id)));
            if (o.dump) writeFileSync(join(o.dump, `${o.world}-seed${seed}-month${m + 1}.json`), JSON.stringify(monthDump(planned, worlds[p], oracle, active, budget, offer, o, m)));
            if (m === 0) {
              activeCustomers = active.length;
              budget0 = budget;
              // The single-decision agent, judged on the same (still identical) state; last quarter's offer is still running for those who got it.
              // The customers the campaign's random sample left out were as randomly untouched as its held-out arm: controls too.
              const campaignBase = [...pilot, ...Array.from(notSampled, ([id, features]) => ({ id, features, treated: false, accepted: false }))];
              const singleOptions = {
                contacts: budget,
                offer: { costFor: (price: number) => offerCostOf(offer, price), retentionEffect: CATALOGUE.byId.get(offer.id)?.retentionEffect },
                contactCost: o.contactCost,
                horizonMonths: HORIZON_MONTHS,
              };
              const singleCandidates = active.filter((id) => !inPilot.has(id) && live.scoreOf(id)?.active);
              const single = decideOnce(twins.engine, live, (f) => scorer.probability(f), campaignBase, singleCandidates, singleOptions);
              // The same agent reading a contract's end inside its horizon with the contract-end model: judged beside it, not acted on.
              const withEnds = contractEnds ? decideOnce(twins.engine, live, (f) => scorer.probability(f), campaignBase, singleCandidates, { ...singleOptions, contractEnds }) : single;
              singleWithEnds = judge(worlds[p], withEnds.picks, offer, o.contactCost);
              endReading = readContractEnds(oracle, twins.engine, live, singleCandidates, offer.id, contractEnds, { ends: endSet.rows.length, leavers: endSet.leavers });
              const est = (x: { mean: number; sd: number }) => ({ mean: round(x.mean, 3), sd: round(x.sd, 3) });
              if (single.pilot) pilotSummary = { ...pilotSummary, acceptedShare: round(single.pilot.acceptedShare, 3), acceptedMultiplier: est(single.pilot.acceptedMultiplier), declinedMultiplier: est(single.pilot.declinedMultiplier), selection: est(single.pilot.selection) };
              singleDecisionLeft = single.plan.left;
              singleDecision = judge(worlds[p], single.picks, offer, o.contactCost);
              const view = createFeatureOracle(worlds[p]);
              const typePicks = active
                .map((id) => ({ id, net: expectedContactValue(view.view(id, o.offerId), offer, o.contactCost, RESPONSE_TYPES.indexOf(oracle.responseType(id))) }))
                .filter((x) => x.net > 0)
                .sort((a, b) => b.net - a.net)
                .slice(0, budget)
                .map((x) => x.id);
              typeOracle = judge(worlds[p], typePicks, offer, o.contactCost);
              const knowing = createFeatureOracle(worlds[p], { answers: true });
              const answerPicks = active
                .map((id) => ({ id, net: expectedContactValue(knowing.view(id, o.offerId), offer, o.contactCost) }))
                .filter((x) => x.net > 0)
                .sort((a, b) => b.net - a.net)
                .slice(0, budget)
                .map((x) => x.id);
              answerOracle = judge(worlds[p], answerPicks, offer, o.contactCost);
              if (o.dump) {
                const inSingle = active.filter((id) => !inPilot.has(id) && live.scoreOf(id)?.active);
                const served = (row: Float64Array) => live.assess(row).churn;
                // As decideOnce reads them with the contract-end model: candidates by their live score, the campaign's customers by the score when it started.
                const endsReading = (ends: ContractEndModel, ids: readonly string[], base: readonly PilotCustomer[]) => ({
                  candidates: Object.fromEntries(ids.map((id) => [id, horizonRisk(twins.engine.features(id)!, live.scoreOf(id)!.churn, served, ends, HORIZON_MONTHS, served)])),
                  campaign: Object.fromEntries(base.map((q) => [q.id, horizonRisk(q.features, scorer.probability(q.features), (f) => scorer.probability(f), ends, HORIZON_MONTHS, served)])),
                });
                const dump: FirstDecisionDump = {
                  world: o.world, seed, offerId: o.offerId, offerKind: offer.kind, offerTerms: { discountPct: offer.discountPct, months: offer.months }, budget, customers: o.customers, now: twins.engine.eventClock, pilotAt, contactCost: o.contactCost, horizonMonths: HORIZON_MONTHS,
                  featureNames: Object.keys(FEATURE_INDEX),
                  candidates: inSingle.map((id) => {
                    const f = twins.engine.features(id)!;
                    const s = live.scoreOf(id)!;
                    return { id, features: Array.from(f), churn: s.churn, clv: s.clv, offerCost: offerCostOf(offer, f[FEATURE_INDEX.monthly_price]), featureOracle: expectedContactValue(view.view(id, o.offerId), offer, o.contactCost), truth: valueNow(oracle, id, offer, o.contactCost).net, type: oracle.responseType(id), response: responseOf(oracle, id, offer.id) };
                  }),
                  notSampled: [...notSampled].map(([id, f]) => ({ id, features: Array.from(f), hazard: scorer.probability(f), churned: twins.engine.features(id)?.[FEATURE_INDEX.churned] === 1, type: oracle.responseType(id) })),
                  churnModel: trained.document,
                  ...(contractEnds ? { withEnds: endsReading(contractEnds, inSingle, campaignBase) } : {}),
                  pilot: pilot.map((q) => ({ id: q.id, features: Array.from(q.features), featuresNow: Array.from(twins.engine.features(q.id) ?? []), record: twins.engine.contactRecord(q.id) ?? null, hazard: scorer.probability(q.features), treated: q.treated, accepted: q.accepted, churned: twins.engine.features(q.id)?.[FEATURE_INDEX.churned] === 1, type: oracle.responseType(q.id) })),
                };
                writeFileSync(join(o.dump, `${o.world}-seed${seed}.json`), JSON.stringify(dump));
              }
            }
          } else if (p === 'oracle') {
            picksOf[p] = active
              .map((id) => ({ id, net: valueNow(oracle, id, offer, o.contactCost).net }))
              .filter((x) => x.net > 0)
              .sort((a, b) => b.net - a.net)
              .slice(0, budget)
              .map((x) => x.id);
          } else if (p === 'feature-oracle') {
            const view = createFeatureOracle(worlds[p]);
            picksOf[p] = active
              .map((id) => ({ id, net: expectedContactValue(view.view(id, o.offerId), offer, o.contactCost) }))
              .filter((x) => x.net > 0)
              .sort((a, b) => b.net - a.net)
              .slice(0, budget)
              .map((x) => x.id);
          } else if (p === 'highest-risk') {
            picksOf[p] = [...active].sort((a, b) => oracle.churnProbability(b) - oracle.churnProbability(a)).slice(0, budget);
          } else {
            const order = Uint32Array.from(active.map((_, i) => i));
            shuffleInPlace(order, rng);
            picksOf[p] = Array.from(order.subarray(0, budget), (i) => active[i]);
          }
        }
        // Value first (truth at the decision), then deliver; a refused delivery is not a contact.
        for (const p of RETENTION_POLICIES) {
          const oracle = createOracle(worlds[p]);
          const valued = picksOf[p].map((id) => ({ id, v: valueNow(oracle, id, offer, o.contactCost) }));
          let net = 0, retained = 0, cost = 0, contacted = 0;
          for (const x of valued) {
            if ((await deliver(p, x.id, `agent-eval-${seed}-${m}-${x.id}`)) === undefined) continue;
            contacted++;
            net += x.v.net;
            if (p === 'learning-agent') byReason[reasonOf.get(x.id) === 'explore' ? 'explore' : 'exploit'] += x.v.net;
            retained += x.v.retained;
            cost += x.v.cost;
          }
          month[p] = { contacted, netValue: Math.round(net), retained: round(retained, 1), cost: Math.round(cost) };
        }
        months.push(month);
        agentMonths.push({ ...agentMonth!, exploitValue: Math.round(byReason.exploit), exploreValue: Math.round(byReason.explore) });
        log(`seed ${seed} month ${m + 1}: ` + RETENTION_POLICIES.map((p) => `${p} ${month[p].netValue} (${month[p].contacted})`).join(', ') + ` | agent ${JSON.stringify(agentMonths[m])}`);
        if (m < o.months - 1) await advance(1);
      }
      // The agent's own measure: churn within the window among its contacted and held-out customers.
      const holdout = { contacted: 0, contactedChurned: 0, heldOut: 0, heldOutChurned: 0 };
      for (const [id, e] of agent.ledger) {
        if (e.at === pilotAt) continue;
        const rec = twins.engine.contactRecord(id);
        const churned = rec !== undefined && rec.leftAt > 0 && rec.leftAt - e.at <= HORIZON_MONTHS * MONTH_MS ? 1 : 0;
        if (e.heldOut) {
          holdout.heldOut++;
          holdout.heldOutChurned += churned;
        } else {
          holdout.contacted++;
          holdout.contactedChurned += churned;
        }
      }
      const answers = { presented: 0, accepted: 0, declined: 0, ignored: 0 };
      for (const id of twins.engine.customerIds()) {
        const rec = twins.engine.contactRecord(id);
        if (!rec) continue;
        answers.presented += rec.presented;
        answers.accepted += rec.accepted;
        answers.declined += rec.declined;
        answers.ignored += rec.ignored;
      }
      // The first month's contacts are each policy's single decision; the single-decision agent was judged without acting.
      const firstDecision = { agent: singleDecision!, 'agent-with-ends': singleWithEnds!, 'answer-oracle': answerOracle!, 'type-oracle': typeOracle!, ...months[0] };
      return { seed, activeCustomers, budget: budget0, pilot: pilotSummary, singleDecisionLeft, contractEnds: endReading!, firstDecision, months, agentMonths, holdout, calibration, answers };
    } finally {
      await twins.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Offer = OfferTerms & { readonly id: string };

/** The true expected value of contacting a customer with the offer now. */
function valueNow(oracle: SandboxOracle, id: string, offer: Offer, contactCost: number): ContactValue {
  const t = oracle.offerEffect(id, offer.id);
  return contactValueOf(t, t.monthlyPrice, offer, contactCost);
}

/** Sum of the true expected value of contacting `picks` in `world` now (without contacting anyone). */
function judge(world: object, picks: readonly string[], offer: Offer, contactCost: number): PolicyMonth {
  const oracle = createOracle(world);
  let net = 0, retained = 0, cost = 0;
  for (const id of picks) {
    const v = valueNow(oracle, id, offer, contactCost);
    net += v.net;
    retained += v.retained;
    cost += v.cost;
  }
  return { contacted: picks.length, netValue: Math.round(net), retained: round(retained, 1), cost: Math.round(cost) };
}

/** Brier score of the profiles against the true types, by contacts so far, beside the true mixes' (the bucket's and the base's). */
export function calibrateProfiles(profiles: ReadonlyMap<string, { classes: Record<string, number>; contacts: number }>, truth: (id: string) => number): ProfileCalibration[] {
  const mixOf = (ids: readonly string[]) => RESPONSE_CLASSES.map((_, k) => ids.filter((id) => truth(id) === k).length / Math.max(1, ids.length));
  /** Brier score of one probability vector per row against the true type. */
  const brierOf = (rows: readonly string[], p: (id: string) => readonly number[]) => {
    let sum = 0;
    for (const id of rows) {
      const t = truth(id);
      const q = p(id);
      for (let k = 0; k < RESPONSE_CLASSES.length; k++) sum += (q[k] - (k === t ? 1 : 0)) ** 2;
    }
    return round(sum / Math.max(1, rows.length), 4);
  };
  const baseMix = mixOf([...profiles.keys()]);
  return CONTACT_BUCKETS.map((bucket) => {
    const rows = [...profiles].filter(([, p]) => bucketOf(p.contacts) === bucket).map(([id]) => id);
    const shares = mixOf(rows);
    return {
      contacts: bucket,
      customers: rows.length,
      brier: brierOf(rows, (id) => RESPONSE_CLASSES.map((c) => profiles.get(id)!.classes[c])),
      brierOfShares: brierOf(rows, () => shares),
      brierOfBaseMix: brierOf(rows, () => baseMix),
      profileMix: RESPONSE_CLASSES.map((c) => round(rows.reduce((a, id) => a + profiles.get(id)!.classes[c], 0) / Math.max(1, rows.length), 3)),
      trueMix: shares.map((x) => round(x, 3)),
    };
  });
}
