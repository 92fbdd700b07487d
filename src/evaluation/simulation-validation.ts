import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventSink } from '../domain/event-sink.js';
import { TwinloopError } from '../domain/errors.js';
import type { TwinEvent } from '../domain/events.js';
import { createRng } from '../intelligence/random.js';
import { createChurnScorer } from '../intelligence/live/churn-scorer.js';
import { trainChurnFromTwins } from '../intelligence/twin-training/train-churn-from-twins.js';
import { createSandboxWorld, loadWorldDocument, namedWorld, type SandboxWorld, type WorldConfig } from '../sandbox/index.js';
import { compileScenarios, parseScenarios, simulatePlans, twinSource, type Estimate, type Scenario } from '../simulation/index.js';
import { openEventStore } from '../store/open-event-store.js';
import { FEATURE_INDEX } from '../twin/twin-features.js';
import { openTwinService, type TwinService } from '../twin/twin-service.js';

/**
 * Checks the simulator against what really happens: predictions come from a churn model trained
 * on the twins and from a randomised pilot an operator could have run (never from the oracle);
 * each scenario is then executed in identical copies of the sandbox world, treated and untreated,
 * and the realised net value (treated − untreated revenue, less cost) is compared.
 */

/** Options of a validation run. */
export interface SimulationValidationOptions {
  readonly scenarios: number;
  readonly seed: number;
  readonly customers: number;
  /** Months of history before the cutoff (the pilot runs in its last PILOT_MONTHS). Default 10. */
  readonly historyMonths?: number;
  /** Share of the customers in the pilot (split evenly between control and each pilot offer). Default 0.4. */
  readonly pilotShare?: number;
  readonly draws?: number;
  readonly workers?: number;
  readonly log?: (line: string) => void;
}

/** One scenario's prediction against its realisation. */
export interface ValidatedScenario {
  readonly name: string;
  readonly kind: string;
  readonly horizonMonths: number;
  readonly treated: number;
  readonly predictedNetValue: Estimate;
  readonly realisedNetValue: number;
  readonly predictedChurnersAvoided: Estimate;
  readonly realisedChurnersAvoided: number;
  readonly realisedCost: number;
  /** Realised net value within the predicted 90 % interval. */
  readonly inside: boolean;
}

/** What the pilot showed for one offer (the priors the predictions use). */
export interface PilotEstimate {
  readonly offerId: string;
  readonly acceptance: { readonly mean: number; readonly sd: number };
  readonly acceptedHazardMultiplier: { readonly mean: number; readonly sd: number };
  readonly treated: number;
}

/** The validation's report. */
export interface SimulationValidationResult {
  readonly seed: number;
  readonly customers: number;
  readonly modelAuc: number;
  readonly pilot: readonly PilotEstimate[];
  readonly scenarios: readonly ValidatedScenario[];
  /** Share of realised net values inside the predicted 90 % intervals (target ≥ 0.8). */
  readonly coverage: number;
  /** mean |predicted mean − realised| / mean |realised| over the scenarios (target ≤ 0.15). */
  readonly relativeMae: number;
  readonly durationMs: number;
}

/** Pilot length: long enough to see churn, and an offer's effect (3 months) has worn off at the cutoff. */
const PILOT_MONTHS = 4;
/** The offers the pilot tries and the scenarios use. */
const PILOT_OFFERS = ['retain-10', 'retain-25'] as const;
const COST_PER_CONTACT = 1;
const COST_PER_ACCEPTANCE = 5;
const DELIVERY_ATTEMPTS = 6;

type Deliver = (world: SandboxWorld, customerId: string, offerId: string, key: string) => Promise<'accepted' | 'declined' | 'no-answer' | 'refused'>;
const deliverOnce: Deliver = async (world, customerId, offerId, key) => {
  for (let attempt = 1; attempt <= DELIVERY_ATTEMPTS; attempt++) {
    const r = await world.backends.campaignDelivery.deliver({ idempotencyKey: key, campaignId: 'sim-validation', customerId, offerId, channel: 'app' });
    if (r.status === 'transient') continue;
    return r.status === 'ok' ? r.value.response : 'refused';
  }
  return 'refused';
};

const nullSink: EventSink = { submit: async () => [] };

/** The pilot groups: ids per arm, chosen from the twins active at the pilot's start. */
interface Pilot {
  readonly arms: readonly (readonly string[])[];
}

/** History, with the pilot in its last months; identical calls in every copy give identical worlds. */
async function history(world: SandboxWorld, months: number, sink: EventSink, pilot: (world: SandboxWorld) => Promise<Pilot>): Promise<Pilot> {
  await world.backfill({ months: months - PILOT_MONTHS, sink });
  const p = await pilot(world);
  await world.backfill({ months: PILOT_MONTHS, sink });
  return p;
}

/** Hands the pilot's offers out: arm 0 is the control, arm j the j-th pilot offer. */
async function runPilot(world: SandboxWorld, arms: readonly (readonly string[])[], answers?: Map<string, string>): Promise<void> {
  for (let j = 1; j < arms.length; j++) {
    for (const id of arms[j]) {
      const r = await deliverOnce(world, id, PILOT_OFFERS[j - 1], `pilot-${id}`);
      answers?.set(id, r);
    }
  }
}

function pilotEstimates(twins: TwinService, arms: readonly (readonly string[])[], answers: Map<string, string>): PilotEstimate[] {
  const churned = (ids: readonly string[]) => ids.filter((id) => twins.engine.features(id)?.[FEATURE_INDEX.churned] === 1).length;
  const hazard = (c: number, n: number) => 1 - (1 - c / n) ** (1 / PILOT_MONTHS);
  const cC = Math.max(1, churned(arms[0]));
  const hC = hazard(cC, arms[0].length);
  return PILOT_OFFERS.map((offerId, j) => {
    const ids = arms[j + 1];
    const delivered = ids.filter((id) => answers.get(id) !== 'refused');
    const acc = delivered.filter((id) => answers.get(id) === 'accepted').length;
    const a = acc / Math.max(1, delivered.length);
    const aSd = Math.sqrt((a * (1 - a)) / Math.max(1, delivered.length));
    const cT = Math.max(1, churned(ids));
    // Intention-to-treat hazard ratio, then the acceptors' multiplier it implies (decliners unaffected).
    const ratio = hazard(cT, ids.length) / hC;
    const seLog = Math.sqrt(1 / cT + 1 / cC);
    // Clamped to what a scenario accepts: a tiny pilot can imply absurd multipliers.
    const m = Math.min(5, Math.max(0, 1 - (1 - ratio) / Math.max(0.05, a)));
    const mSd = Math.min(2, (ratio * seLog) / Math.max(0.05, a));
    return { offerId, acceptance: { mean: a, sd: aSd }, acceptedHazardMultiplier: { mean: m, sd: mSd }, treated: ids.length };
  });
}

function scenariosFor(count: number, seed: number, active: number, config: WorldConfig, pilot: readonly PilotEstimate[]): Scenario[] {
  const rng = createRng(seed * 31 + 5);
  const docs = Array.from({ length: count }, (_, i) => {
    const p = pilot[rng.int(pilot.length)];
    const o = config.offers.catalogue.find((x) => x.id === p.offerId)!;
    const offer = {
      id: o.id,
      discountPct: o.kind === 'discount' ? o.discountPct : 0,
      months: o.months,
      costPerAcceptance: COST_PER_ACCEPTANCE,
      acceptance: p.acceptance,
      acceptedHazardMultiplier: p.acceptedHazardMultiplier,
      effectMonths: config.offers.effectMonths,
    };
    const common = { name: `s${i + 1}`, horizonMonths: 2 + rng.int(5), draws: 100, seed: seed + i };
    if (i % 3 === 2) {
      const threshold = [0.02, 0.04, 0.08][rng.int(3)];
      return { kind: 'offer_launch', ...common, target: [{ field: 'churn', op: '>=', value: threshold }], channels: [{ name: 'app', reach: 0.5 + 0.5 * rng.next(), costPerContact: COST_PER_CONTACT }], offer };
    }
    const k = Math.max(20, Math.round(active * [0.05, 0.1, 0.2][rng.int(3)]));
    return { kind: 'retention_campaign', ...common, targeting: { rank: i % 2 ? 'uplift' : 'churn_value', k }, costPerContact: COST_PER_CONTACT, offer };
  });
  return [...parseScenarios(docs).scenarios];
}

/** Revenue (bill amounts) and churners of the cohort over each of the first months after the cutoff. */
interface Ledger {
  revenueByMonth: number[];
  churnersByMonth: number[];
}
function ledgerSink(cohort: ReadonlySet<string>, ledger: Ledger, month: () => number): EventSink {
  return {
    submit: async (events: readonly TwinEvent[]) => {
      const m = month();
      for (const e of events) {
        if (!cohort.has(e.customerId)) continue;
        if (e.kind === 'bill') ledger.revenueByMonth[m] += e.data.amount;
        else if (e.kind === 'subscription' && e.data.action === 'terminated') ledger.churnersByMonth[m] += 1;
      }
      return [];
    },
  };
}

/** Runs the world on `months` months from the cutoff, treating before each month when asked. */
async function horizon(world: SandboxWorld, cohort: ReadonlySet<string>, months: number, treat?: (month: number) => Promise<void>): Promise<Ledger> {
  const ledger: Ledger = { revenueByMonth: new Array<number>(months).fill(0), churnersByMonth: new Array<number>(months).fill(0) };
  let m = 0;
  const sink = ledgerSink(cohort, ledger, () => m);
  for (m = 0; m < months; m++) {
    await treat?.(m);
    await world.backfill({ months: 1, sink });
  }
  return ledger;
}

const sum = (xs: readonly number[], upTo: number) => xs.slice(0, upTo).reduce((s, x) => s + x, 0);

/** Predicts N varied scenarios with the simulator and realises each in the sandbox; see the module comment. */
export async function validateSimulations(o: SimulationValidationOptions): Promise<SimulationValidationResult> {
  const started = performance.now();
  const log = o.log ?? (() => {});
  const historyMonths = o.historyMonths ?? 10;
  const pilotShare = o.pilotShare ?? 0.4;
  if (!(o.scenarios >= 1) || !(o.customers >= 200) || historyMonths < PILOT_MONTHS + 3) {
    throw new TwinloopError('BAD_INPUT', `validation needs scenarios ≥ 1, customers ≥ 200 and historyMonths ≥ ${PILOT_MONTHS + 3}`);
  }
  const base = namedWorld('small');
  const config: WorldConfig = loadWorldDocument({ ...base, population: { ...base.population, customers: o.customers } });
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-simval-'));
  try {
    // The operator's world: history with a pilot, twins, a churn model, the predictions.
    const world = createSandboxWorld(config, o.seed, { latencyScale: 0 });
    const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: { now: () => Math.max(Date.now(), world.clock.now()) } });
    try {
      const answers = new Map<string, string>();
      const pilot = await history(world, historyMonths, twins.intake, async (w) => {
        await twins.intake.drained();
        const rng = createRng(o.seed * 13 + 1);
        const ids = [...twins.engine.customerIds()].filter((id) => twins.engine.features(id)?.[FEATURE_INDEX.churned] === 0 && rng.next() < pilotShare);
        const arms: string[][] = Array.from({ length: PILOT_OFFERS.length + 1 }, () => []);
        ids.forEach((id, i) => arms[i % arms.length].push(id));
        await runPilot(w, arms, answers);
        return { arms };
      });
      await twins.intake.drained();
      const estimates = pilotEstimates(twins, pilot.arms, answers);
      log(`pilot: ${estimates.map((e) => `${e.offerId} accept ${e.acceptance.mean.toFixed(2)}±${e.acceptance.sd.toFixed(2)}, multiplier ${e.acceptedHazardMultiplier.mean.toFixed(2)}±${e.acceptedHazardMultiplier.sd.toFixed(2)}`).join('; ')}`);
      const trained = await trainChurnFromTwins(twins.store, { to: twins.engine.eventClock, seed: o.seed });
      log(`churn model: ${trained.document.learner}, AUC ${trained.metadata.metrics.auc}`);
      const source = twinSource(twins.engine, createChurnScorer(trained.document), trained.metadata.horizonDays);
      const cohortIds: string[] = [];
      source.forEach((id) => cohortIds.push(id));
      const cohort = new Set(cohortIds);
      const scenarios = scenariosFor(o.scenarios, o.seed, cohort.size, config, estimates).map((s) => (o.draws ? { ...s, draws: o.draws } : s));
      const plans = compileScenarios(source, scenarios);
      const predicted = await simulatePlans(plans, { workers: o.workers });

      // The untreated copy, run once to the longest horizon; every scenario compares with it.
      const replay = async () => {
        const w = createSandboxWorld(config, o.seed, { latencyScale: 0 });
        await history(w, historyMonths, nullSink, async (x) => (await runPilot(x, pilot.arms), pilot));
        return w;
      };
      const longest = Math.max(...scenarios.map((s) => s.horizonMonths));
      const untreated = await horizon(await replay(), cohort, longest);
      const validated: ValidatedScenario[] = [];
      for (let j = 0; j < plans.length; j++) {
        const plan = plans[j];
        const s = plan.scenario;
        const maxContacts = s.kind === 'retention_campaign' ? s.contactPolicy.maxContacts : 1;
        const w = await replay();
        let contacts = 0;
        let accepted = 0;
        const waiting = new Set(plan.treatedIds);
        const treated = await horizon(w, cohort, s.horizonMonths, async (m) => {
          if (m >= maxContacts) return;
          for (const id of [...waiting]) {
            const r = await deliverOnce(w, id, s.kind === 'price_change' || s.kind === 'network_improvement' ? '' : s.offer.id, `sim-${s.name}-${id}-${m}`);
            if (r === 'refused') waiting.delete(id);
            else contacts++;
            if (r === 'accepted') {
              accepted++;
              waiting.delete(id);
            }
          }
        });
        const h = s.horizonMonths;
        const cost = contacts * COST_PER_CONTACT + accepted * COST_PER_ACCEPTANCE;
        const realisedNet = sum(treated.revenueByMonth, h) - sum(untreated.revenueByMonth, h) - cost;
        const avoided = sum(untreated.churnersByMonth, h) - sum(treated.churnersByMonth, h);
        const p = predicted[j].overall;
        validated.push({
          name: s.name,
          kind: s.kind,
          horizonMonths: h,
          treated: plan.treated,
          predictedNetValue: p.netValue,
          realisedNetValue: Math.round(realisedNet * 100) / 100,
          predictedChurnersAvoided: p.churnersAvoided,
          realisedChurnersAvoided: avoided,
          realisedCost: cost,
          inside: realisedNet >= p.netValue.p05 && realisedNet <= p.netValue.p95,
        });
        log(`${s.name} ${s.kind} h=${h} treated ${plan.treated}: net predicted ${p.netValue.mean.toFixed(0)} [${p.netValue.p05.toFixed(0)}, ${p.netValue.p95.toFixed(0)}], realised ${realisedNet.toFixed(0)}; avoided predicted ${p.churnersAvoided.mean.toFixed(1)}, realised ${avoided}`);
      }
      const coverage = validated.filter((v) => v.inside).length / validated.length;
      const err = validated.reduce((t, v) => t + Math.abs(v.predictedNetValue.mean - v.realisedNetValue), 0);
      const scale = validated.reduce((t, v) => t + Math.abs(v.realisedNetValue), 0);
      return {
        seed: o.seed,
        customers: o.customers,
        modelAuc: trained.metadata.metrics.auc,
        pilot: estimates,
        scenarios: validated,
        coverage,
        relativeMae: scale > 0 ? err / scale : 0,
        durationMs: Math.round(performance.now() - started),
      };
    } finally {
      await twins.close({ checkpoint: false });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
