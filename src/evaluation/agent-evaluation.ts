import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planRetention, type RetentionCandidate } from '../agents/retention/retention-planner.js';
import { defaultCatalogue } from '../decisioning/default-catalogue.js';
import { TwinloopError } from '../domain/errors.js';
import { LiveScoring } from '../intelligence/live/live-scoring.js';
import { createRng, shuffleInPlace } from '../intelligence/random.js';
import { trainChurnFromTwins } from '../intelligence/twin-training/train-churn-from-twins.js';
import { fitAcceptance } from '../intelligence/uplift/acceptance-model.js';
import { createSandboxWorld, loadWorldDocument, namedWorld } from '../sandbox/index.js';
import { createOracle, type OfferTruth } from '../sandbox/oracle/index.js';
import { openEventStore } from '../store/open-event-store.js';
import { FEATURE_INDEX } from '../twin/twin-features.js';
import { openTwinService } from '../twin/twin-service.js';
import { MODEL_FEATURES } from './offer-experiment.js';

const DEFAULT_CATALOGUE = defaultCatalogue();

/** The policies compared. */
export const RETENTION_POLICIES = ['agent', 'oracle', 'highest-risk', 'random'] as const;
export type RetentionPolicy = (typeof RETENTION_POLICIES)[number];

/** Options of `evaluateRetentionAgent`; every field has a documented default. */
export interface AgentEvaluationOptions {
  readonly seeds: readonly number[];
  /** Sandbox population (default 6,000). */
  readonly customers?: number;
  /** History backfilled before the intent is given (default 9 months). */
  readonly historyMonths?: number;
  /** Offer of the world's catalogue used for retention (default retain-10). */
  readonly offerId?: string;
  /** Contacts the budget pays for, as a share of active customers (default 10 %). */
  readonly budgetShare?: number;
  /** Share of the active customers in last quarter's randomised campaign (half offered, half held out; default 30 %). */
  readonly pilotShare?: number;
  /** Cost of one contact (default 2). */
  readonly contactCost?: number;
  readonly log?: (line: string) => void;
}

/** The horizon the intent's value is measured over: three simulated months. */
export const HORIZON_MONTHS = 3;

/** One seed's result per policy. */
export interface SeedResult {
  readonly seed: number;
  readonly activeCustomers: number;
  readonly budget: number;
  readonly pilot: { readonly customers: number; readonly acceptedShare: number; readonly effectPerAcceptance: number };
  readonly policies: Record<RetentionPolicy, { readonly contacted: number; readonly netValue: number; readonly retained: number; readonly cost: number }>;
}

/** Mean over seeds with a 90 % t-interval. */
export interface Interval {
  readonly mean: number;
  readonly low: number;
  readonly high: number;
}

export interface AgentEvaluation {
  readonly options: Required<Omit<AgentEvaluationOptions, 'log'>>;
  readonly seeds: readonly SeedResult[];
  readonly netValue: Record<RetentionPolicy, Interval>;
  readonly agentVsOracle: Interval;
  readonly agentVsHighestRisk: Interval;
  readonly targets: { readonly agentVsOracle: number; readonly agentVsHighestRisk: number };
  readonly seconds: number;
}

// Student t quantiles (0.95) for 1..9 degrees of freedom: a 90 % two-sided interval.
const T95 = [6.314, 2.92, 2.353, 2.132, 2.015, 1.943, 1.895, 1.86, 1.833];

/** Mean and 90 % t-interval of a handful of numbers. */
export function tInterval(xs: readonly number[]): Interval {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, low: mean, high: mean };
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const half = (T95[Math.min(n - 2, T95.length - 1)] * sd) / Math.sqrt(n);
  return { mean, low: mean - half, high: mean + half };
}

/** Probability of still being a customer after `months` at monthly hazard h. */
const survive = (h: number, months: number) => (1 - h) ** months;

/**
 * The true expected value of contacting a customer with the offer, from the sandbox's hidden
 * truth at the moment of the decision: acceptance is integrated over its true probability and
 * churn over the true hazards in each branch, so a policy's value does not hang on one roll of
 * the world's dice (the policies are compared on identical customers).
 */
function trueNet(t: OfferTruth, value: number, contactCost: number, offerCost: number): { net: number; retained: number; cost: number } {
  const untreated = survive(t.hazardUntreated, HORIZON_MONTHS);
  const treated = t.acceptProbability * survive(t.hazardIfAccepted, HORIZON_MONTHS) + (1 - t.acceptProbability) * survive(t.hazardIfDeclined, HORIZON_MONTHS);
  const retained = treated - untreated;
  const cost = contactCost + t.acceptProbability * offerCost;
  return { net: retained * value - cost, retained, cost };
}

/**
 * `twinloop agent evaluate`: for a retention intent with a budget, on sandbox worlds (one per
 * seed), the net value over three months (retained lifetime value less cost) of the agent's
 * plan, of the oracle that knows every customer's true response, of "contact the highest churn
 * risk" and of random targeting. The agent sees only what an operator sees: the twins, its churn
 * model, and the answers of a small randomised pilot (acceptance, observed at once), from which
 * it estimates acceptance per customer and plans by expected retained value, leaving out anyone
 * whose expected value does not beat doing nothing.
 */
export async function evaluateRetentionAgent(options: AgentEvaluationOptions): Promise<AgentEvaluation> {
  const o = {
    seeds: options.seeds,
    customers: options.customers ?? 6000,
    historyMonths: options.historyMonths ?? 9,
    offerId: options.offerId ?? 'retain-10',
    budgetShare: options.budgetShare ?? 0.1,
    pilotShare: options.pilotShare ?? 0.3,
    contactCost: options.contactCost ?? 2,
  };
  if (o.seeds.length === 0) throw new TwinloopError('BAD_INPUT', 'give at least one seed');
  if (!(o.budgetShare > 0 && o.budgetShare <= 1)) throw new TwinloopError('BAD_INPUT', `budgetShare must be in (0, 1]; got ${o.budgetShare}`);
  if (!(o.pilotShare >= 0 && o.pilotShare < 1)) throw new TwinloopError('BAD_INPUT', `pilotShare must be in [0, 1); got ${o.pilotShare}`);
  const log = options.log ?? (() => {});
  const started = performance.now();
  const seeds: SeedResult[] = [];
  for (const seed of o.seeds) seeds.push(await evaluateSeed(seed, o, log));
  const per = (p: RetentionPolicy) => seeds.map((s) => s.policies[p].netValue);
  const netValue = Object.fromEntries(RETENTION_POLICIES.map((p) => [p, tInterval(per(p))])) as Record<RetentionPolicy, Interval>;
  return {
    options: o,
    seeds,
    netValue,
    agentVsOracle: tInterval(seeds.map((s) => s.policies.agent.netValue / s.policies.oracle.netValue)),
    agentVsHighestRisk: tInterval(seeds.map((s) => s.policies.agent.netValue / s.policies['highest-risk'].netValue)),
    targets: { agentVsOracle: 0.8, agentVsHighestRisk: 1.5 },
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

async function evaluateSeed(seed: number, o: Required<Omit<AgentEvaluationOptions, 'log'>>, log: (line: string) => void): Promise<SeedResult> {
  const base = namedWorld('default');
  const config = loadWorldDocument({ ...base, population: { ...base.population, customers: o.customers } });
  const offer = config.offers.catalogue.find((x) => x.id === o.offerId);
  if (!offer) throw new TwinloopError('BAD_INPUT', `unknown offer "${o.offerId}"; the world offers: ${config.offers.catalogue.map((x) => x.id).join(', ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-agent-eval-'));
  try {
    const world = createSandboxWorld(config, seed, { latencyScale: 0 });
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: { now: () => Math.max(Date.now(), world.clock.now()) } });
    try {
      const t0 = performance.now();
      const cols = MODEL_FEATURES.length;
      const rng = createRng(seed * 104729 + 7);
      const featureRow = (f: Float64Array): number[] => Array.from(f).filter((_, j) => j !== FEATURE_INDEX.churned);

      // Last quarter's campaign, part of every policy's history: a random share of the active
      // customers, half offered the offer and half held out. It is what the agent learns from.
      await world.backfill({ months: o.historyMonths - HORIZON_MONTHS, sink: twins.intake });
      await twins.intake.drained();
      const past: { id: string; row: number[]; treated: 0 | 1; accepted: 0 | 1 }[] = [];
      for (let slot = 0; slot < twins.engine.table.size; slot++) {
        const id = twins.engine.table.idAt(slot);
        const f = twins.engine.features(id);
        if (!f || f[FEATURE_INDEX.churned] !== 0 || f[FEATURE_INDEX.active_plans] === 0 || rng.next() >= o.pilotShare) continue;
        past.push({ id, row: featureRow(f), treated: rng.next() < 0.5 ? 1 : 0, accepted: 0 });
      }
      for (const p of past) {
        if (!p.treated) continue;
        const r = await world.backends.campaignDelivery.deliver({ idempotencyKey: `agent-eval-${seed}-${p.id}`, campaignId: 'last-quarter', customerId: p.id, offerId: o.offerId, channel: 'app' });
        p.accepted = r.status === 'ok' && r.value.response === 'accepted' ? 1 : 0;
      }
      await world.backfill({ months: HORIZON_MONTHS, sink: twins.intake });
      await twins.intake.drained();
      const trained = await trainChurnFromTwins(twins.store, { to: twins.engine.eventClock, latenessMs: twins.engine.latenessMs, untilSeq: twins.appliedSeq(), seed });
      const live = new LiveScoring(twins.engine, { id: 'eval', version: 1, document: trained.document, metadata: trained.metadata });
      live.scoreAll();
      log(`seed ${seed}: ${o.historyMonths} months of history and a churn model (AUC ${trained.metadata.metrics.auc}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

      // What last quarter's campaign says: acceptance per customer, and the churn it prevented.
      const churnedNow = (id: string) => (twins.engine.features(id)?.[FEATURE_INDEX.churned] === 1 ? 1 : 0);
      const treatedRows = past.filter((p) => p.treated);
      const acceptance = fitAcceptance(
        { rows: treatedRows.length, cols, data: Float64Array.from(treatedRows.flatMap((p) => p.row)) },
        Uint8Array.from(treatedRows, (p) => p.accepted),
        { seed },
      );
      const rate = (rows: typeof past) => rows.reduce((a, p) => a + churnedNow(p.id), 0) / Math.max(1, rows.length);
      const controlRate = rate(past.filter((p) => !p.treated));
      const itt = controlRate - rate(treatedRows);
      // Relative churn removed per acceptance: the catalogue's prior, updated by what the campaign
      // measured (precision-weighted; a noisy campaign moves it little, a clear one a lot).
      const se = Math.sqrt((2 * controlRate * (1 - controlRate)) / Math.max(1, past.length / 2));
      const scale = Math.max(1e-9, acceptance.pooledRate * controlRate);
      const prior = DEFAULT_CATALOGUE.byId.get(o.offerId)?.retentionEffect ?? 0.2;
      const priorSd = prior / 2;
      const measured = itt / scale;
      const measuredSd = se / scale;
      const precision = 1 / priorSd ** 2 + 1 / measuredSd ** 2;
      const posterior = (prior / priorSd ** 2 + measured / measuredSd ** 2) / precision;
      // The agent plans on a cautious effect (the posterior's 5th percentile): money is spent only
      // where the campaign's evidence says it is very likely to come back.
      const effectPerAcceptance = Math.min(1, Math.max(0, posterior - 1.645 / Math.sqrt(precision)));

      // The decision moment: every active customer's features, scores and (hidden) truth.
      const oracle = createOracle(world);
      const inPast = new Set(past.filter((p) => p.treated).map((p) => p.id));
      const ids: string[] = [];
      const rows: number[] = [];
      const churn3: number[] = [];
      const value: number[] = [];
      const truth: OfferTruth[] = [];
      const offerCost: number[] = [];
      for (let slot = 0; slot < twins.engine.table.size; slot++) {
        const id = twins.engine.table.idAt(slot);
        const s = live.scoreOf(id);
        const f = twins.engine.features(id);
        // Last quarter's offer is still running for those who got it: nobody re-targets them.
        if (!s?.active || !f || f[FEATURE_INDEX.churned] !== 0 || inPast.has(id)) continue;
        ids.push(id);
        rows.push(...featureRow(f));
        // The model's horizon is a month: three months of the same hazard.
        churn3.push(1 - survive(s.churn, HORIZON_MONTHS));
        value.push(s.clv);
        truth.push(oracle.offerEffect(id, o.offerId));
        offerCost.push(offer.discountPct > 0 ? (offer.discountPct / 100) * f[FEATURE_INDEX.monthly_price] * offer.months : f[FEATURE_INDEX.monthly_price] * 0.1 * offer.months);
      }
      const n = ids.length;
      const contacts = Math.floor(n * o.budgetShare);
      const predicted = acceptance.predict({ rows: n, cols, data: Float64Array.from(rows) });
      log(
        `seed ${seed}: ${n} active, budget ${contacts} contacts; last quarter's campaign: ${past.length} customers, ${(acceptance.pooledRate * 100).toFixed(1)} % accepted, ` +
          `churn ${(controlRate * 100).toFixed(2)} % held out vs ${(rate(treatedRows) * 100).toFixed(2)} % offered → effect per acceptance ${effectPerAcceptance.toFixed(3)}`,
      );

      const byId = new Map(ids.map((id, i) => [id, i]));
      const all = ids.map((_, i) => i);
      // The agent: expected retained value per customer from its own estimates, best first, only if it beats doing nothing.
      const agentCands: RetentionCandidate[] = ids.map((customerId, i) => ({
        customerId,
        churn: churn3[i],
        value: value[i],
        acceptance: predicted[i],
        expectedCost: o.contactCost + predicted[i] * offerCost[i],
      }));
      const agentPicks = planRetention(agentCands, Number.POSITIVE_INFINITY, { kind: 'expected-value', retentionEffect: effectPerAcceptance })
        .chosen.slice(0, contacts)
        .map((c) => byId.get(c.customerId)!);
      // The oracle knows each customer's true expected net value and takes the best positive ones.
      const oraclePicks = all
        .map((i) => ({ i, net: trueNet(truth[i], value[i], o.contactCost, offerCost[i]).net }))
        .filter((x) => x.net > 0)
        .sort((a, b) => b.net - a.net)
        .slice(0, contacts)
        .map((x) => x.i);
      const riskPicks = [...all].sort((a, b) => churn3[b] - churn3[a]).slice(0, contacts);
      const shuffled = Uint32Array.from(all);
      shuffleInPlace(shuffled, rng);
      const randomPicks = Array.from(shuffled.subarray(0, contacts));

      const judge = (picked: readonly number[]) => {
        let net = 0;
        let retained = 0;
        let cost = 0;
        for (const i of picked) {
          const t = trueNet(truth[i], value[i], o.contactCost, offerCost[i]);
          net += t.net;
          retained += t.retained;
          cost += t.cost;
        }
        return { contacted: picked.length, netValue: Math.round(net), retained: Math.round(retained * 10) / 10, cost: Math.round(cost) };
      };
      const agent = judge(agentPicks);
      const result: SeedResult = {
        seed,
        activeCustomers: n,
        budget: contacts,
        pilot: { customers: past.length, acceptedShare: Math.round(acceptance.pooledRate * 1000) / 1000, effectPerAcceptance: Math.round(effectPerAcceptance * 1000) / 1000 },
        policies: { agent, oracle: judge(oraclePicks), 'highest-risk': judge(riskPicks), random: judge(randomPicks) },
      };
      log(`seed ${seed}: net value agent ${agent.netValue}, oracle ${result.policies.oracle.netValue}, highest-risk ${result.policies['highest-risk'].netValue}, random ${result.policies.random.netValue}`);
      return result;
    } finally {
      await twins.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
