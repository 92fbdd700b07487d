import { planRetention, type RetentionCandidate } from '../agents/retention/retention-planner.js';
import { defaultCatalogue } from '../decisioning/default-catalogue.js';
import type { LiveScoring } from '../intelligence/live/live-scoring.js';
import { fitAcceptance } from '../intelligence/uplift/acceptance-model.js';
import { FEATURE_INDEX } from '../twin/twin-features.js';
import type { TwinEngine } from '../twin/twin-engine.js';
import { MODEL_FEATURES } from './offer-experiment.js';
import { HORIZON_MONTHS, offerCostOf, survive, type OfferTerms } from './retention-yardstick.js';

/**
 * The single-decision retention agent of `agent evaluate`: what an operator can do with one
 * decision on today's observables and last quarter's randomised campaign. It estimates acceptance
 * per customer from the campaign's answers, the churn an acceptance prevents from the campaign's
 * offered-vs-held-out churn (the catalogue's prior updated precision-weighted), and plans by
 * expected retained value at that effect's 5th percentile, leaving out anyone whose expected value
 * does not beat doing nothing.
 */

const CATALOGUE = defaultCatalogue();

/** One customer of last quarter's randomised campaign. */
export interface PilotCustomer {
  readonly id: string;
  readonly row: readonly number[];
  readonly treated: boolean;
  readonly accepted: boolean;
}

/** The agent's picks (customer ids, best first) and what it learnt from the campaign. */
export interface SingleDecision {
  readonly picks: readonly string[];
  readonly acceptedShare: number;
  readonly effectPerAcceptance: number;
  readonly controlChurn: number;
  readonly offeredChurn: number;
}

/** A twin's feature row for the acceptance model (the model features without the label). */
export const featureRow = (f: Float64Array): number[] => Array.from(f).filter((_, j) => j !== FEATURE_INDEX.churned);

/** Plans the single decision over `candidates` (active customer ids) with `contacts` at most. */
export function decideOnce(
  engine: TwinEngine,
  live: LiveScoring,
  pilot: readonly PilotCustomer[],
  candidates: readonly string[],
  contacts: number,
  offer: OfferTerms & { readonly id: string },
  contactCost: number,
  seed: number,
): SingleDecision {
  const cols = MODEL_FEATURES.length;
  const churnedNow = (id: string) => (engine.features(id)?.[FEATURE_INDEX.churned] === 1 ? 1 : 0);
  const treated = pilot.filter((p) => p.treated);
  const acceptance = fitAcceptance(
    { rows: treated.length, cols, data: Float64Array.from(treated.flatMap((p) => p.row)) },
    Uint8Array.from(treated, (p) => (p.accepted ? 1 : 0)),
    { seed },
  );
  const rate = (rows: readonly PilotCustomer[]) => rows.reduce((a, p) => a + churnedNow(p.id), 0) / Math.max(1, rows.length);
  const controlRate = rate(pilot.filter((p) => !p.treated));
  const offeredRate = rate(treated);
  // Relative churn removed per acceptance: the catalogue's prior, updated by what the campaign
  // measured (precision-weighted; a noisy campaign moves it little, a clear one a lot).
  const se = Math.sqrt((2 * controlRate * (1 - controlRate)) / Math.max(1, pilot.length / 2));
  const scale = Math.max(1e-9, acceptance.pooledRate * controlRate);
  const prior = CATALOGUE.byId.get(offer.id)?.retentionEffect ?? 0.2;
  const priorSd = prior / 2;
  const measured = (controlRate - offeredRate) / scale;
  const measuredSd = se / scale;
  const precision = 1 / priorSd ** 2 + 1 / measuredSd ** 2;
  const posterior = (prior / priorSd ** 2 + measured / measuredSd ** 2) / precision;
  // Planned on a cautious effect (the posterior's 5th percentile): money is spent only where the
  // campaign's evidence says it is very likely to come back.
  const effectPerAcceptance = Math.min(1, Math.max(0, posterior - 1.645 / Math.sqrt(precision)));

  const rows: number[] = [];
  const cands: RetentionCandidate[] = [];
  for (const id of candidates) {
    const f = engine.features(id)!;
    const s = live.scoreOf(id)!;
    rows.push(...featureRow(f));
    cands.push({ customerId: id, churn: 1 - survive(s.churn, HORIZON_MONTHS), value: s.clv, acceptance: 0, expectedCost: 0 });
  }
  const predicted = acceptance.predict({ rows: cands.length, cols, data: Float64Array.from(rows) });
  const priced = cands.map((c, i) => {
    const price = engine.features(c.customerId)![FEATURE_INDEX.monthly_price];
    return { ...c, acceptance: predicted[i], expectedCost: contactCost + predicted[i] * offerCostOf(offer, price) };
  });
  const picks = planRetention(priced, Number.POSITIVE_INFINITY, { kind: 'expected-value', retentionEffect: effectPerAcceptance })
    .chosen.slice(0, contacts)
    .map((c) => c.customerId);
  return { picks, acceptedShare: acceptance.pooledRate, effectPerAcceptance, controlChurn: controlRate, offeredChurn: offeredRate };
}
