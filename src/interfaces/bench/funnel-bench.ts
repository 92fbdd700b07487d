import { CHANNELS } from '../../domain/events.js';
import { seededRandom } from '../../domain/seeded-random.js';
import type { AcceptanceModel } from '../../decisioning/acceptance-model.js';
import { DecisionFunnel, type FunnelOptions } from '../../decisioning/decision-funnel.js';
import { loadCatalogue } from '../../decisioning/offer-catalogue.js';
import { syntheticCatalogueDocument, syntheticFeatures } from '../../decisioning/synthetic-catalogue.js';
import { FEATURE_COUNT } from '../../twin/twin-features.js';
import { consume, sampleStats, timeEach } from './bench-stats.js';

/** Timing of a decision bench, in microseconds per decision. */
export interface DecisionBenchResult {
  readonly decisions: number;
  readonly offers: number;
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
}

/** Decisions run untimed first, so the JIT has compiled the funnel. */
const WARMUP = 1_000;

/** A synthetic customer of the funnel benches: features and the scores the funnel reads. */
export interface SyntheticCustomer {
  readonly f: Float64Array;
  readonly churn: number;
  readonly clv: number;
}

/** 256 synthetic customers drawn from `random` (decisions cycle through them). */
export function syntheticCustomers(random: () => number): SyntheticCustomer[] {
  return Array.from({ length: 256 }, () => ({ f: syntheticFeatures(random), churn: random() * 0.6, clv: 100 + random() * 900 }));
}

/**
 * Times `n` decisions over a synthetic `offers`-offering catalogue (default 50) for synthetic
 * customers on random channels; a warm-up of min(n, 1000) decisions runs first.
 */
export function benchDecisions(
  n: number,
  options: { offers?: number; seed?: number; explain?: boolean; acceptance?: AcceptanceModel; exploration?: FunnelOptions['exploration'] } = {},
): DecisionBenchResult {
  const offers = options.offers ?? 50;
  const random = seededRandom(options.seed ?? 7);
  const funnel = new DecisionFunnel({
    catalogue: loadCatalogue(syntheticCatalogueDocument(offers, options.seed ?? 7)),
    random,
    explain: options.explain,
    acceptance: options.acceptance,
    exploration: options.exploration,
    newId: (() => {
      let i = 0;
      return () => `bench-${i++}`;
    })(),
  });
  const customers = syntheticCustomers(random);
  const decide = (i: number): void => {
    const c = customers[i & 255];
    funnel.decide(`c${i & 255}`, c.f, c, {
      channel: CHANNELS[i % CHANNELS.length],
      direction: i % 4 === 0 ? 'outbound' : 'inbound',
      reason: i % 5 === 0 ? 'cancel_request' : undefined,
      now: Date.UTC(2026, 0, 1, 12),
    });
  };
  const s = sampleStats(timeEach(n, decide, Math.min(n, WARMUP)), ['mean', 'p50', 'p99', 'max']);
  return { decisions: n, offers, meanUs: s.mean, p50Us: s.p50, p99Us: s.p99, maxUs: s.max };
}

/** The baseline of `benchDecisions`: its loop over the same synthetic customers, reading the features and scores, no funnel; µs per call. */
export function baselineDecisions(n: number, seed = 7): Float64Array {
  const customers = syntheticCustomers(seededRandom(seed));
  const out = new Float64Array(FEATURE_COUNT);
  let sink = 0;
  const times = timeEach(
    n,
    (i) => {
      const c = customers[i & 255];
      out.set(c.f);
      sink += out[i % FEATURE_COUNT] + c.churn * c.clv + CHANNELS[i % CHANNELS.length].length;
    },
    Math.min(n, WARMUP),
  );
  consume(sink);
  return times;
}
