import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventSink } from '../domain/event-sink.js';
import { TwinloopError } from '../domain/errors.js';
import { DO_NOTHING, type DecisionRecord, type LoggedCandidate } from '../decisioning/decision-record.js';
import { estimatePolicyValue, type PolicyEstimate, type TargetPolicy } from '../decisioning/off-policy-estimators.js';
import { crossFittedRewardModel } from '../decisioning/reward-model.js';
import { createOfferLearner, type OfferLearnerSnapshot } from '../decisioning/offer-learner.js';
import { doNothingPolicy, greedyPolicy, loggingPolicy, thresholdPolicy, uniformPolicy } from '../decisioning/target-policies.js';
import { createRng, type Rng } from '../intelligence/random.js';
import { createSandboxWorld, loadWorldDocument, namedWorld, type SandboxWorld, type WorldConfig } from '../sandbox/index.js';
import { createOracle } from '../sandbox/oracle/index.js';
import { openEventStore } from '../store/open-event-store.js';
import { FEATURE_INDEX } from '../twin/twin-features.js';
import { openTwinService } from '../twin/twin-service.js';

/** A named policy to check. */
export interface NamedPolicy {
  readonly name: string;
  readonly policy: TargetPolicy;
}

/** Options of `checkOffPolicy`. */
export interface OffPolicyCheckOptions {
  readonly seed: number;
  /** Population of the world (overrides the world's `population.customers`). */
  readonly customers: number;
  /** Logged decisions, one per sampled active customer (with replacement once they run out). */
  readonly decisions: number;
  /** World to run; default the built-in `small`. */
  readonly world?: WorldConfig;
  /** History generated before the decisions. Default 2 months. */
  readonly historyMonths?: number;
  /** Policies to evaluate; default greedy, do-nothing, uniform, logging and threshold:20. */
  readonly policies?: readonly NamedPolicy[];
  /** Share of the logging policy spread uniformly over the candidates (exploration). Default 0.2. */
  readonly epsilon?: number;
  /** Softmax temperature of the logging policy, in currency units of expected value. Default 10. */
  readonly temperature?: number;
  /** Cost of presenting an offer, accepted or not. Default 5. */
  readonly contactCost?: number;
  /** Bootstrap resamples of the estimators' intervals. Default 500. */
  readonly bootstrap?: number;
  readonly log?: (line: string) => void;
}

/** The three estimators the check reports. */
export const CHECKED_ESTIMATORS = ['ips', 'snips', 'dr'] as const;
/** One of CHECKED_ESTIMATORS. */
export type CheckedEstimator = (typeof CHECKED_ESTIMATORS)[number];

/** One policy's estimates from the logs against its value measured by running it. */
export interface PolicyCheck {
  readonly name: string;
  readonly estimates: Readonly<Record<CheckedEstimator, PolicyEstimate>>;
  readonly effectiveSampleSize: number;
  /**
   * Value per decision: `realised` by delivering the policy's choices on an identical copy of the
   * world (one draw of the customers' answers), `expected` from the oracle's acceptance
   * probabilities (the value the estimators aim at, without the copy's sampling noise).
   */
  readonly truth: { readonly realised: number; readonly expected: number };
  /** Whether each estimator's interval holds the realised and the expected value. */
  readonly inside: Readonly<Record<CheckedEstimator, { readonly realised: boolean; readonly expected: boolean }>>;
  /** Estimate − expected truth, per estimator. */
  readonly error: Readonly<Record<CheckedEstimator, number>>;
}

/** What `checkOffPolicy` returns (plain data). */
export interface OffPolicyCheckResult {
  readonly seed: number;
  readonly customers: number;
  readonly activeCustomers: number;
  readonly decisions: number;
  /** The reward the check uses, in words. */
  readonly reward: string;
  readonly loggedMeanReward: number;
  readonly acceptanceRate: number;
  readonly deliveriesRefused: number;
  /** True when every copy's hidden state matched the logging world's at the cutoff. */
  readonly identicalCopies: boolean;
  readonly policies: readonly PolicyCheck[];
  /** The online learner after the logged decisions (what a live system would persist). */
  readonly learner: OfferLearnerSnapshot;
}

/** A transient delivery answer is retried with the same key; a handful of tries covers the configured error rates. */
const DELIVERY_ATTEMPTS = 6;
/** The channel of every logged decision (assisted, like the contact-centre next-best-action). */
const CHANNEL = 'call';
/** A customer in their first year counts as new: early tenure is where acceptance differs most. */
const NEW_CUSTOMER_DAYS = 365;

/** Everything about one logged decision the truth needs, besides the record. */
interface DecisionTruth {
  /** Net value booked on acceptance, per offer id. */
  readonly net: ReadonlyMap<string, number>;
  /** Oracle acceptance probability, per offer id. */
  readonly pAccept: ReadonlyMap<string, number>;
}

const REWARD_TEXT =
  'per decision: 0 for do-nothing; for an offer delivered, −contactCost plus, if accepted, ' +
  "the customer's monthly price × (offers.effectMonths − discountPct/100 × offer months); 0 if the delivery was refused";

/**
 * Checks the off-policy estimators on a sandbox world: logs `decisions` made by a randomised
 * logging policy (ε-softmax over the learner's expected values, exact propensities), delivers them,
 * then for each target policy compares the IPS, SNIPS and DR estimates from the log with its value
 * measured by really running it on an identical copy of the world.
 */
export async function checkOffPolicy(o: OffPolicyCheckOptions): Promise<OffPolicyCheckResult> {
  const log = o.log ?? (() => {});
  if (!(Number.isInteger(o.decisions) && o.decisions >= 10)) throw new TwinloopError('BAD_INPUT', `decisions must be an integer ≥ 10; got ${o.decisions}`);
  if (!(Number.isInteger(o.customers) && o.customers >= 10)) throw new TwinloopError('BAD_INPUT', `customers must be an integer ≥ 10; got ${o.customers}`);
  const epsilon = o.epsilon ?? 0.2;
  if (!(epsilon > 0 && epsilon <= 1)) throw new TwinloopError('BAD_INPUT', `epsilon must be in (0, 1] so every action keeps a propensity > 0; got ${epsilon}`);
  const temperature = o.temperature ?? 10;
  if (!(temperature > 0)) throw new TwinloopError('BAD_INPUT', `temperature must be > 0; got ${temperature}`);
  const contactCost = o.contactCost ?? 5;
  const historyMonths = o.historyMonths ?? 2;
  const base = o.world ?? namedWorld('small');
  const config = loadWorldDocument({ ...base, population: { ...base.population, customers: o.customers } });
  const policies = o.policies ?? [
    { name: 'greedy', policy: greedyPolicy },
    { name: 'do-nothing', policy: doNothingPolicy },
    { name: 'uniform', policy: uniformPolicy },
    { name: 'logging', policy: loggingPolicy },
    { name: 'threshold:20', policy: thresholdPolicy(20) },
  ];
  const rejectRate = config.backends.campaignDelivery.permanentRejectionRate;

  // 1. The logging world, backfilled into a twin service so decisions read real twin features.
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-ope-'));
  const world = createSandboxWorld(config, o.seed, { latencyScale: 0 });
  const twins = await openTwinService({
    store: await openEventStore({ kind: 'sqlite', dataDir: dir }),
    clock: { now: () => Math.max(Date.now(), world.clock.now()) },
  });
  const learner = createOfferLearner({ prior: { mean: 0.2, strength: 2 } });
  const records: DecisionRecord[] = [];
  const truths: DecisionTruth[] = [];
  let activeCustomers: number;
  let fingerprint: number[];
  let accepted = 0;
  let delivered = 0;
  let refused = 0;
  try {
    await world.backfill({ months: historyMonths, sink: twins.intake });
    await twins.intake.drained();
    const active: string[] = [];
    for (let slot = 0; slot < twins.engine.table.size; slot++) {
      const id = twins.engine.table.idAt(slot);
      if (twins.engine.features(id)?.[FEATURE_INDEX.churned] === 0) active.push(id);
    }
    activeCustomers = active.length;
    if (activeCustomers === 0) throw new TwinloopError('BAD_INPUT', 'no active customers at the cutoff; use more customers or fewer history months');
    const rng = createRng(o.seed * 7919 + 29);
    const sampled = sampleCustomers(active, o.decisions, rng);
    const oracle = createOracle(world);
    fingerprint = sampled.map((id) => oracle.churnProbability(id));
    const offers = config.offers.catalogue;
    log(`logging world: ${activeCustomers} active customers, ${o.decisions} decisions`);

    for (let i = 0; i < sampled.length; i++) {
      const id = sampled[i];
      const f = twins.engine.features(id);
      if (!f) throw new TwinloopError('INTERNAL', `no twin for sampled customer ${id}`);
      const price = f[FEATURE_INDEX.monthly_price];
      const contextKey = `${CHANNEL}|${f[FEATURE_INDEX.contract_months] > 0 ? 'contract' : 'm2m'}|${f[FEATURE_INDEX.tenure_days] < NEW_CUSTOMER_DAYS ? 'new' : 'settled'}`;
      const net = new Map(offers.map((offer) => [offer.id, price * (config.offers.effectMonths - (offer.discountPct / 100) * offer.months)]));
      const values = [DO_NOTHING, ...offers.map((offer) => offer.id)].map((a) => (a === DO_NOTHING ? 0 : learner.mean(a, contextKey) * (net.get(a) ?? 0) - contactCost));
      const probs = loggingPropensities(values, epsilon, temperature);
      const candidates: LoggedCandidate[] = values.map((v, k) => ({
        actionId: k === 0 ? DO_NOTHING : offers[k - 1].id,
        score: v,
        propensity: probs[k],
        expectedValue: v,
      }));
      const k = drawIndex(probs, rng);
      const decisionId = `ope-${o.seed}-${i}`;
      const answer = await deliverChoice(world, decisionId, id, candidates[k].actionId);
      if (answer === 'refused') refused++;
      if (answer === 'accepted' || answer === 'declined' || answer === 'no-answer') {
        delivered++;
        if (answer === 'accepted') accepted++;
        learner.observe(candidates[k].actionId, contextKey, answer === 'accepted');
      }
      const reward = rewardOf(answer, net.get(candidates[k].actionId) ?? 0, contactCost);
      records.push({
        decisionId,
        customerId: id,
        at: world.clock.now(),
        channel: CHANNEL,
        contextKey,
        candidates,
        chosen: candidates[k].actionId,
        propensity: probs[k],
        outcome: { accepted: answer === 'accepted', reward, at: world.clock.now() },
      });
      truths.push({ net, pAccept: new Map(offers.map((offer) => [offer.id, oracle.offerEffect(id, offer.id).acceptProbability])) });
    }
  } finally {
    await twins.close();
    rmSync(dir, { recursive: true, force: true });
  }

  // 2. Each policy: estimates from the log, and its value on an identical copy of the world.
  // The direct model of DR is fitted on the log's rewards, cross-fitted (each decision predicted by
  // the model of the other folds), as `policy evaluate` fits it on a server's log: one way for both.
  const rewardModel = crossFittedRewardModel(records);
  const expectedReward = (t: DecisionTruth, a: string) =>
    a === DO_NOTHING ? 0 : (1 - rejectRate) * ((t.pAccept.get(a) ?? 0) * (t.net.get(a) ?? 0) - contactCost);
  let identicalCopies = true;
  const checks: PolicyCheck[] = [];
  for (const [p, { name, policy }] of policies.entries()) {
    const est = estimatePolicyValue(records, policy, { rewardModel, bootstrap: o.bootstrap ?? 500, seed: o.seed + p });
    const copy = createSandboxWorld(config, o.seed, { latencyScale: 0 });
    await copy.backfill({ months: historyMonths, sink: discardingSink });
    const copyOracle = createOracle(copy);
    if (records.some((r, i) => copyOracle.churnProbability(r.customerId) !== fingerprint[i])) identicalCopies = false;
    const rng = createRng(o.seed * 104_729 + p);
    let realised = 0;
    let expected = 0;
    for (const [i, r] of records.entries()) {
      const pi = policy(r);
      for (const [a, q] of pi) expected += q * expectedReward(truths[i], a);
      const a = drawAction(pi, rng);
      const answer = await deliverChoice(copy, `ope-${o.seed}-${name}-${i}`, r.customerId, a);
      realised += rewardOf(answer, truths[i].net.get(a) ?? 0, contactCost);
    }
    realised /= records.length;
    expected /= records.length;
    const estimates = { ips: est.ips, snips: est.snips, dr: est.dr ?? est.ips };
    const inside = (e: PolicyEstimate) => ({ realised: e.lower <= realised && realised <= e.upper, expected: e.lower <= expected && expected <= e.upper });
    checks.push({
      name,
      estimates,
      effectiveSampleSize: est.effectiveSampleSize,
      truth: { realised, expected },
      inside: { ips: inside(estimates.ips), snips: inside(estimates.snips), dr: inside(estimates.dr) },
      error: { ips: estimates.ips.value - expected, snips: estimates.snips.value - expected, dr: estimates.dr.value - expected },
    });
    log(`${name}: IPS ${est.ips.value.toFixed(2)} SNIPS ${est.snips.value.toFixed(2)} DR ${estimates.dr.value.toFixed(2)}; true ${realised.toFixed(2)} realised, ${expected.toFixed(2)} expected`);
  }

  return {
    seed: o.seed,
    customers: o.customers,
    activeCustomers,
    decisions: records.length,
    reward: REWARD_TEXT,
    loggedMeanReward: records.reduce((s, r) => s + (r.outcome?.reward ?? 0), 0) / records.length,
    acceptanceRate: delivered > 0 ? accepted / delivered : 0,
    deliveriesRefused: refused,
    identicalCopies,
    policies: checks,
    learner: learner.snapshot(),
  };
}

/** The logging policy: ε spread uniformly, the rest a softmax of expected value / temperature. */
export function loggingPropensities(values: readonly number[], epsilon: number, temperature: number): number[] {
  const top = Math.max(...values);
  const exps = values.map((v) => Math.exp((v - top) / temperature));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => (1 - epsilon) * (e / sum) + epsilon / values.length);
}

type Answer = 'none' | 'accepted' | 'declined' | 'no-answer' | 'refused';

function rewardOf(answer: Answer, net: number, contactCost: number): number {
  if (answer === 'none' || answer === 'refused') return 0;
  return (answer === 'accepted' ? net : 0) - contactCost;
}

/** Delivers the chosen offer (nothing for DO_NOTHING), retrying transient answers with the same key. */
async function deliverChoice(world: SandboxWorld, decisionId: string, customerId: string, actionId: string): Promise<Answer> {
  if (actionId === DO_NOTHING) return 'none';
  for (let attempt = 1; attempt <= DELIVERY_ATTEMPTS; attempt++) {
    const r = await world.backends.campaignDelivery.deliver({
      idempotencyKey: decisionId,
      campaignId: 'off-policy-check',
      customerId,
      offerId: actionId,
      channel: CHANNEL,
      decisionId,
    });
    if (r.status === 'transient') continue;
    return r.status === 'ok' ? r.value.response : 'refused';
  }
  return 'refused';
}

/** Distinct customers while they last, then with replacement. */
function sampleCustomers(active: readonly string[], n: number, rng: Rng): string[] {
  const pool = [...active];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i < pool.length) {
      const j = i + rng.int(pool.length - i);
      [pool[i], pool[j]] = [pool[j], pool[i]];
      out.push(pool[i]);
    } else out.push(pool[rng.int(pool.length)]);
  }
  return out;
}

function drawIndex(probs: readonly number[], rng: Rng): number {
  let u = rng.next();
  for (let k = 0; k < probs.length; k++) {
    if (u < probs[k]) return k;
    u -= probs[k];
  }
  return probs.length - 1;
}

function drawAction(pi: ReadonlyMap<string, number>, rng: Rng): string {
  const entries = [...pi];
  return entries[drawIndex(entries.map(([, q]) => q), rng)][0];
}

/** The copies need the world's state, not its events: they go nowhere. */
const discardingSink: EventSink = {
  submit: (events) => Promise.resolve(events.map((e) => ({ status: 'accepted' as const, id: e.id }))),
};
