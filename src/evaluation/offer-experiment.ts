import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventSink } from '../domain/event-sink.js';
import { TwinloopError } from '../domain/errors.js';
import type { TwinEvent } from '../domain/events.js';
import { createRng } from '../intelligence/random.js';
import { createSandboxWorld, type SandboxWorld, type WorldConfig } from '../sandbox/index.js';
import { createOracle, type OfferTruth } from '../sandbox/oracle/index.js';
import { openEventStore } from '../store/open-event-store.js';
import { FEATURE_INDEX, FEATURE_NAMES } from '../twin/twin-features.js';
import { openTwinService, type TwinService } from '../twin/twin-service.js';

/** A customer's hidden response type, as the oracle names it. */
export type ResponseType = OfferTruth['responseType'];

/** Twin features the uplift models see: everything but `churned`, which is 0 for every row at the cutoff. */
export const MODEL_FEATURES: readonly string[] = FEATURE_NAMES.filter((n) => n !== 'churned');

/**
 * A randomised offer experiment run on a sandbox world, one row per customer active at the
 * cutoff. Features and truths are as of the cutoff, before anyone was treated.
 */
export interface OfferExperiment {
  readonly rows: number;
  /** Row-major rows × MODEL_FEATURES.length twin features at the cutoff. */
  readonly features: Float64Array;
  /** 1 = offer presented (assigned to treatment), 0 = control. */
  readonly treated: Uint8Array;
  /** 1 = churned within the horizon (the twin's `churned` feature at the end). */
  readonly churned: Uint8Array;
  /** The oracle's expected change in monthly churn probability from presenting the offer. */
  readonly trueEffect: Float64Array;
  readonly responseType: readonly ResponseType[];
  /** The oracle's acceptance probability (for the expected acceptance rate). */
  readonly acceptProbability: Float64Array;
  /** Delivery answer for treated rows: 1 accepted, 0 declined or left unanswered, -1 not delivered (rejected) or control. */
  readonly accepted: Int8Array;
  /** 1 = the customer answered the delivered offer (accepted or declined); 0 = ignored it, not delivered, or control. */
  readonly answered: Uint8Array;
  /** `offer` events for each row that reached the intake during the horizon. */
  readonly offerEvents: Uint16Array;
  readonly deliveryRejected: number;
  readonly intakeRejected: number;
}

/** Options of one experiment run. */
export interface OfferExperimentOptions {
  readonly config: WorldConfig;
  readonly seed: number;
  readonly historyMonths: number;
  readonly horizonMonths: number;
  readonly offerId: string;
  readonly log: (s: string) => void;
}

/** A transient answer is retried with the same key; a handful of tries covers the configured error rates. */
const DELIVERY_ATTEMPTS = 6;

/** Backfills a world through the intake, treats a random half at the cutoff, runs on and labels churn. */
export async function runOfferExperiment(o: OfferExperimentOptions): Promise<OfferExperiment> {
  if (!o.config.offers.catalogue.some((offer) => offer.id === o.offerId)) {
    const ids = o.config.offers.catalogue.map((offer) => offer.id).join(', ');
    throw new TwinloopError('BAD_INPUT', `unknown offer "${o.offerId}"; the world offers: ${ids}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-uplift-'));
  try {
    const world = createSandboxWorld(o.config, o.seed, { latencyScale: 0 });
    const twins = await openTwinService({
      store: await openEventStore({ kind: 'sqlite', dataDir: dir }),
      clock: { now: () => Math.max(Date.now(), world.clock.now()) },
    });
    try {
      return await experimentOn(world, twins, o);
    } finally {
      await twins.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function experimentOn(world: SandboxWorld, twins: TwinService, o: OfferExperimentOptions): Promise<OfferExperiment> {
  const t0 = performance.now();
  const history = await world.backfill({ months: o.historyMonths, sink: twins.intake });
  await twins.intake.drained();
  o.log(`history: ${history.events} events over ${o.historyMonths} months in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // Snapshot at the cutoff: features, truth and type are all read before the first offer goes out.
  const oracle = createOracle(world);
  const churnedAt = FEATURE_INDEX.churned;
  const ids: string[] = [];
  const rowsData: number[] = [];
  const trueEffect: number[] = [];
  const acceptP: number[] = [];
  const types: ResponseType[] = [];
  for (let slot = 0; slot < twins.engine.table.size; slot++) {
    const id = twins.engine.table.idAt(slot);
    const f = twins.engine.features(id);
    if (!f || f[churnedAt] !== 0) continue;
    const truth = oracle.offerEffect(id, o.offerId);
    ids.push(id);
    for (let j = 0; j < FEATURE_NAMES.length; j++) if (j !== churnedAt) rowsData.push(f[j]);
    trueEffect.push(truth.effect);
    acceptP.push(truth.acceptProbability);
    types.push(truth.responseType);
  }
  const n = ids.length;
  if (n < 100) throw new TwinloopError('BAD_INPUT', `only ${n} active customers at the cutoff; use more customers`);

  // Randomisation from its own seeded stream, independent of the world's.
  const rng = createRng(o.seed * 7919 + 17);
  const treated = Uint8Array.from(ids, () => (rng.next() < 0.5 ? 1 : 0));
  const accepted = new Int8Array(n).fill(-1);
  const answered = new Uint8Array(n);
  const delivery = world.backends.campaignDelivery;
  let deliveryRejected = 0;
  for (let i = 0; i < n; i++) {
    if (!treated[i]) continue;
    const key = `uplift-eval-${o.seed}-${o.offerId}-${ids[i]}`;
    for (let attempt = 1; attempt <= DELIVERY_ATTEMPTS; attempt++) {
      const r = await delivery.deliver({ idempotencyKey: key, campaignId: `uplift-eval-${o.offerId}`, customerId: ids[i], offerId: o.offerId, channel: 'app' });
      if (r.status === 'transient') continue;
      if (r.status === 'ok') {
        accepted[i] = r.value.response === 'accepted' ? 1 : 0;
        answered[i] = r.value.response === 'no-answer' ? 0 : 1;
      } else deliveryRejected++;
      break;
    }
  }
  o.log(`cutoff: ${n} active customers, ${treated.reduce((a, b) => a + b, 0)} treated, ${deliveryRejected} deliveries refused`);

  // The horizon: the offer events lead this backfill; count them on their way into the intake.
  const rowOf = new Map(ids.map((id, i) => [id, i]));
  const offerEvents = new Uint16Array(n);
  const counting: EventSink = {
    submit(events: readonly TwinEvent[]) {
      for (const e of events) {
        if (e.kind !== 'offer') continue;
        const i = rowOf.get(e.customerId);
        if (i !== undefined) offerEvents[i]++;
      }
      return twins.intake.submit(events);
    },
  };
  const t1 = performance.now();
  const horizon = await world.backfill({ months: o.horizonMonths, sink: counting });
  await twins.intake.drained();
  o.log(`horizon: ${horizon.events} events over ${o.horizonMonths} months in ${((performance.now() - t1) / 1000).toFixed(1)} s`);

  const churned = Uint8Array.from(ids, (id) => (twins.engine.features(id)?.[churnedAt] === 1 ? 1 : 0));
  return {
    rows: n,
    features: Float64Array.from(rowsData),
    treated,
    churned,
    trueEffect: Float64Array.from(trueEffect),
    responseType: types,
    acceptProbability: Float64Array.from(acceptP),
    accepted,
    offerEvents,
    answered,
    deliveryRejected,
    intakeRejected: history.rejected + horizon.rejected,
  };
}
