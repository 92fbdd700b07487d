import { describe, expect, it } from 'vitest';
import { TwinloopError } from '../domain/errors.js';
import { FEATURE_COUNT, FEATURE_INDEX, NEVER_DAYS, type FeatureName } from '../twin/twin-features.js';
import { ContactLedger } from './contact-ledger.js';
import { seededRandom } from '../domain/seeded-random.js';
import { syntheticCatalogueDocument, syntheticFeatures } from './synthetic-catalogue.js';
import { decideForTwin, DecisionFunnel, type DecisionContext, type FunnelOptions } from './decision-funnel.js';
import { decisionAnswer } from './decision-answer.js';
import { DO_NOTHING } from './decision-record.js';
import { createOfferLearner, sampleBeta } from './offer-learner.js';
import { defaultCatalogue, DEFAULT_CATALOGUE_DOCUMENT } from './default-catalogue.js';
import { loadCatalogue, type CatalogueDocument } from './offer-catalogue.js';
import { DAY_MS } from '../domain/time.js';

const NOON = Date.UTC(2026, 0, 15, 12);

function customer(set: Partial<Record<FeatureName, number>> = {}): Float64Array {
  const f = new Float64Array(FEATURE_COUNT);
  const base: Partial<Record<FeatureName, number>> = {
    tenure_days: 800, marketing_consent: 1, active_plans: 1, monthly_price: 55, data_allowance_mb: 5120, data_mb_30d: 6000,
    months_over_allowance_3m: 2, complaints_90d: 1, days_since_offer_declined: NEVER_DAYS, days_since_offer_accepted: NEVER_DAYS,
  };
  for (const [k, v] of Object.entries({ ...base, ...set })) f[FEATURE_INDEX[k as FeatureName]] = v as number;
  return f;
}
const risky = { churn: 0.45, clv: 900, atRisk: true };
const call: DecisionContext = { channel: 'call', direction: 'inbound', now: NOON };

function funnel(options: Partial<FunnelOptions> = {}) {
  let i = 0;
  return new DecisionFunnel({ catalogue: defaultCatalogue(), newId: () => `d${i++}`, random: seededRandom(3), ...options });
}
const ids = (xs: { actionId: string }[]) => xs.map((x) => x.actionId);
const discardOf = (d: { discarded: { actionId: string; step: string; reason?: string }[] }, id: string) => d.discarded.find((x) => x.actionId === id);

describe('decision funnel', () => {
  it('ranks the offerings a risky customer qualifies for, with reasons and a logged record', () => {
    const d = funnel().decide('c1', customer(), risky, call);
    expect(ids(d.ranked)).toEqual(expect.arrayContaining(['retain-10', 'retain-25', 'data-bonus', 'upgrade', 'service-check-in', DO_NOTHING]));
    for (let i = 1; i < d.ranked.length; i++) expect(d.ranked[i - 1].score).toBeGreaterThanOrEqual(d.ranked[i].score);
    const r25 = d.ranked.find((r) => r.actionId === 'retain-25');
    // 0.3 × (0.45 × 0.45 × 900 − 0.25 × 55 × 6) = 0.3 × (182.25 − 82.5) = 29.925
    expect(r25?.expectedValue).toBeCloseTo(29.925, 6);
    // The worked example of docs/decisioning.md: the same customer calling to cancel.
    const cancel = funnel().decide('c1', customer(), risky, { ...call, reason: 'cancel_request' });
    expect(cancel.ranked.map((r) => [r.actionId, Math.round(r.score * 100) / 100])).toEqual([
      ['retain-25', 44.89], ['data-bonus', 14.44], ['retain-10', 13.65], ['service-check-in', 11.65], ['upgrade', 10.05], [DO_NOTHING, 0],
    ]);
    expect(r25?.reasons.join(' ')).toContain('retention effect 0.45');
    expect(d.chosen).toBe(d.ranked[0]);
    expect(d.record).toMatchObject({ decisionId: 'd0', customerId: 'c1', at: NOON, channel: 'call', contextKey: 'call|high-risk', chosen: d.chosen.actionId, propensity: 1 });
    expect(d.record.candidates).toHaveLength(d.ranked.length);
  });

  it('discards with the step and the reason', () => {
    const doc: CatalogueDocument = {
      productOffering: [
        ...DEFAULT_CATALOGUE_DOCUMENT.productOffering,
        { ...DEFAULT_CATALOGUE_DOCUMENT.productOffering[0], id: 'old', lifecycleStatus: 'Retired' },
        { ...DEFAULT_CATALOGUE_DOCUMENT.productOffering[0], id: 'greedy-40', productOfferingPrice: { priceType: 'discount', percentage: 40, margin: 0.3 } },
      ],
    };
    const f = funnel({ catalogue: loadCatalogue(doc) });
    const low = f.decide('c1', customer({ monthly_price: 103 }), { churn: 0.05, clv: 900 }, { ...call, channel: 'web', reason: 'billing_complaint' });
    expect(discardOf(low, 'retain-10')).toMatchObject({ step: 'eligibility', reason: expect.stringContaining('at_risk') });
    // "At risk" is the riskiest tenth of the base as live scoring serves it (an intent's at-risk too),
    // not a fixed probability: under a calibrated 30-day model the riskiest tenth starts near 0.02.
    const riskiestTenth = f.decide('c1', customer({ monthly_price: 103 }), { churn: 0.03, clv: 900, atRisk: true }, { ...call, channel: 'web', reason: 'billing_complaint' });
    expect(discardOf(riskiestTenth, 'retain-10')?.step).not.toBe('eligibility');
    const notAmongThem = f.decide('c1', customer({ monthly_price: 103 }), { churn: 0.2, clv: 900, atRisk: false }, { ...call, channel: 'web', reason: 'billing_complaint' });
    expect(discardOf(notAmongThem, 'retain-10')).toMatchObject({ step: 'eligibility' });
    expect(discardOf(low, 'old')).toMatchObject({ step: 'eligibility', reason: expect.stringContaining('Retired') });
    const web = f.decide('c1', customer({ monthly_price: 103 }), risky, { ...call, channel: 'web', reason: 'billing_complaint' });
    expect(discardOf(web, 'retain-25')).toMatchObject({ step: 'applicability', reason: expect.stringContaining('not offered on web') });
    expect(discardOf(web, 'upgrade')).toMatchObject({ step: 'applicability', reason: expect.stringContaining("reason != 'billing_complaint'") });
    const top = f.decide('c1', customer({ monthly_price: 103 }), risky, call);
    expect(discardOf(top, 'upgrade')).toMatchObject({ step: 'suitability', reason: expect.stringContaining('top plan') });
    expect(discardOf(top, 'greedy-40')).toMatchObject({ step: 'suitability', reason: expect.stringContaining('40 % discount exceeds the 30 % margin') });
    const noConsent = f.decide('c1', customer({ marketing_consent: 0 }), risky, call);
    expect(discardOf(noConsent, 'retain-10')).toMatchObject({ step: 'contact-policy', reason: expect.stringContaining('marketing consent') });
    expect(ids(noConsent.ranked)).toContain('service-check-in');
    const gone = f.decide('c1', customer({ churned: 1 }), risky, call);
    expect(ids(gone.ranked)).toEqual([DO_NOTHING]);
  });

  it('lets do-nothing win when every value is negative', () => {
    const doc: CatalogueDocument = {
      productOffering: DEFAULT_CATALOGUE_DOCUMENT.productOffering.map((o) => ({
        ...o,
        productOfferingPrice: { priceType: 'oneTime' as const, cost: { value: 10_000, unit: 'EUR' }, costPaidOn: 'presentation' as const },
        planChange: undefined,
      })),
    };
    const d = funnel({ catalogue: loadCatalogue(doc) }).decide('c1', customer(), risky, call);
    expect(d.chosen.actionId).toBe(DO_NOTHING);
    expect(d.ranked).toHaveLength(1);
    expect(d.chosen.propensity).toBe(1);
    expect(d.discarded.filter((x) => x.step === 'suitability').map((x) => x.reason)).toEqual(
      Array(5).fill(expect.stringContaining('costs more than it is expected to return')),
    );
  });

  it('keeps at most maxCandidates, discarding the rest at arbitration', () => {
    const f = funnel({ catalogue: loadCatalogue(syntheticCatalogueDocument(50)), maxCandidates: 3 });
    const d = f.decide('c1', customer(), risky, call);
    expect(d.ranked.length).toBeLessThanOrEqual(4);
    expect(d.discarded.some((x) => x.step === 'arbitration' && x.reason?.includes('only the best 3'))).toBe(true);
  });

  it('gives propensities that sum to 1 over the ranked candidates, whatever the exploration', () => {
    const learner = { mean: () => 0.2, sample: (_o: string, _c: string, u: () => number) => u() * 0.4 };
    const setups: Partial<FunnelOptions>[] = [
      {},
      { exploration: { kind: 'epsilon-greedy', epsilon: 0.2 } },
      { acceptance: learner },
      { acceptance: learner, exploration: { kind: 'thompson', draws: 16, floor: 0.1 } },
    ];
    const rand = seededRandom(11);
    for (const setup of setups) {
      const f = funnel({ catalogue: loadCatalogue(syntheticCatalogueDocument(50)), ...setup });
      for (let i = 0; i < 50; i++) {
        const d = f.decide(`c${i}`, syntheticFeatures(rand), { churn: rand() * 0.6, clv: 100 + rand() * 900 }, call);
        const sum = d.ranked.reduce((a, r) => a + r.propensity, 0);
        expect(sum).toBeCloseTo(1, 9);
        expect(d.chosen.propensity).toBeGreaterThan(0);
        expect(d.record.propensity).toBe(d.chosen.propensity);
        expect(d.ranked.some((r) => r.actionId === DO_NOTHING)).toBe(true);
      }
    }
  });

  it('says how it chose: exploit the best, explore another with its cost and the value of information, or guarded', () => {
    const learner = createOfferLearner({ prior: { mean: 0.2, strength: 4 } });
    const f = funnel({ acceptance: learner, random: seededRandom(9) });
    const made = Array.from({ length: 200 }, () => f.decide('c1', customer(), risky, { ...call, reason: 'cancel_request' }));
    const exploit = made.find((d) => d.choice.mode === 'exploit')!;
    expect(exploit.chosen.actionId).toBe(exploit.ranked[0].actionId);
    expect(exploit.choice).toMatchObject({ bestActionId: exploit.ranked[0].actionId, cost: 0 });
    expect(decisionAnswer(exploit).choice.reason).toBe(`exploit: ${exploit.chosen.actionId} has the highest expected score`);
    const explore = made.find((d) => d.choice.mode === 'explore' && d.choice.probabilityBest! > 0)!;
    const best = explore.ranked[0];
    expect(explore.chosen.actionId).not.toBe(best.actionId);
    expect(explore.choice.cost).toBeCloseTo(best.score - explore.chosen.score, 9);
    // The chosen one's logged propensity is its share of the posterior draws, lifted by the 2 % floor.
    expect(explore.chosen.propensity).toBeCloseTo(0.98 * explore.choice.probabilityBest! + 0.02 / explore.ranked.length, 9);
    // A draw in which another action won is a draw in which knowing more would have paid.
    expect(explore.choice.valueOfInformation).toBeGreaterThan(0);
    const uncertain = explore.chosen.actionId === DO_NOTHING ? best.actionId : explore.chosen.actionId;
    expect(explore.choice.belief).toMatchObject({ offerId: uncertain, mean: 0.2, weight: 10 });
    const answer = decisionAnswer(explore).choice;
    expect(answer.reason).toMatch(/^explore: the posterior gives .+ chance of being the best/);
    expect(answer.reason).toContain('value of information');
    expect(answer.reason).toContain(`${uncertain}'s acceptance in call|high-risk is 0.20 ± 0.12`);
    // A customer every guard turns away: nothing else could be chosen.
    const guarded = f.decide('c1', customer({ churned: 1 }), risky, call);
    expect(guarded.choice).toMatchObject({ mode: 'guarded', removed: { eligibility: guarded.discarded.length } });
    expect(decisionAnswer(guarded).choice.reason).toMatch(/^guarded: nothing passed the funnel's guards \(eligibility \d+\)/);
    // Offerings that cannot beat doing nothing: doing nothing is the best, not a guard's doing.
    const poor = funnel({ acceptance: { mean: () => 0 } }).decide('c1', customer(), risky, call);
    expect(poor.choice.mode).toBe('exploit');
    expect(decisionAnswer(poor).choice.reason).toMatch(/^exploit: no offering is expected to beat doing nothing \(\d+ removed for an expected value ≤ 0\)$/);
  });

  it('chooses the same without writing its reasons, and writes them when asked, as an explained decision would', () => {
    // Two funnels on the same seed and catalogue, one writing every sentence and one none: every
    // draw, choice, propensity and logged record is the same, and each ranked action's reasons
    // written later (the evidence of an action carried out) are the explained decision's words.
    const catalogue = loadCatalogue(syntheticCatalogueDocument(50));
    const people = seededRandom(7);
    const features = Array.from({ length: 300 }, () => syntheticFeatures(people));
    const run = (explain: boolean) => {
      const learner = createOfferLearner({ prior: { mean: 0.2, strength: 4 } });
      const f = funnel({ catalogue, acceptance: learner, random: seededRandom(11) });
      return Array.from({ length: 300 }, (_, i) => {
        const d = f.decide(`c${i % 7}`, features[i], { churn: (i % 10) / 20, clv: 300 + 40 * (i % 13) }, { ...call, reason: i % 3 === 0 ? 'cancel_request' : undefined }, explain);
        // The learner moves between decisions: reasons written later still state this decision's figures.
        if (d.chosen.actionId !== DO_NOTHING) learner.observe(d.chosen.actionId, d.contextKey, i % 4 === 0);
        return d;
      });
    };
    const explained = run(true);
    const compact = run(false);
    expect(compact.some((d) => d.choice.mode === 'explore') && compact.some((d) => d.ranked.length > 3)).toBe(true);
    const laterReasons = compact.map((d) => d.ranked.map((r) => d.reasonsOf(r.actionId)));
    for (const [i, d] of compact.entries()) {
      const e = explained[i];
      expect(d.explained).toBe(false);
      const figures = (x: typeof d) => ({ ...x, reasonsOf: undefined, explained: undefined, ranked: x.ranked.map((r) => ({ ...r, reasons: undefined })), chosen: { ...x.chosen, reasons: undefined }, discarded: undefined });
      expect(figures(d)).toEqual(figures(e));
      expect(d.discarded.map((x) => [x.actionId, x.step, x.reason])).toEqual(e.discarded.map((x) => [x.actionId, x.step, undefined]));
      expect(d.ranked.every((r) => r.reasons.length === 0)).toBe(true);
      expect(laterReasons[i]).toEqual(e.ranked.map((r) => r.reasons));
    }
    // The answers: explained lists every ranked action with its reasons and every discard with its
    // reason; compact the best three and the chosen one, without sentences, and the counts.
    const d = compact.find((x) => x.choice.mode === 'explore' && x.ranked.indexOf(x.chosen) >= 3) ?? compact.find((x) => x.ranked.length > 3)!;
    const e = explained[compact.indexOf(d)];
    const full = decisionAnswer(d, true);
    expect(full.ranked.map((r) => r.reasons)).toEqual(e.ranked.map((r) => r.reasons));
    // Only the discarded offers' reasons are not written later (a desktop or an approver never reads them).
    expect({ ...decisionAnswer(e, true), discarded: undefined }).toEqual({ ...full, discarded: undefined });
    const short = decisionAnswer(d, false);
    expect(short.ranked.map((r) => r.actionId)).toEqual(d.ranked.filter((r, i) => i < 3 || r === d.chosen).map((r) => r.actionId));
    expect(short.ranked.every((r) => r.reasons === undefined)).toBe(true);
    expect(short).toMatchObject({ chosen: d.chosen.actionId, rankedCount: d.ranked.length, discardedCount: d.discarded.length });
    expect(short.discarded).toBeUndefined();
  });

  it('logs Thompson propensities that match how often each action is really chosen', () => {
    const learner = { mean: () => 0.2, sample: (_o: string, _c: string, u: () => number) => u() * 0.4 };
    const f = funnel({ acceptance: learner, exploration: { kind: 'thompson', draws: 64, floor: 0.05 }, random: seededRandom(5) });
    const counts = new Map<string, number>();
    const logged = new Map<string, number[]>();
    const n = 4000;
    for (let i = 0; i < n; i++) {
      const d = f.decide('c1', customer(), risky, call);
      counts.set(d.chosen.actionId, (counts.get(d.chosen.actionId) ?? 0) + 1);
      for (const r of d.ranked) logged.set(r.actionId, [...(logged.get(r.actionId) ?? []), r.propensity]);
    }
    for (const [id, ps] of logged) {
      const mean = ps.reduce((a, b) => a + b, 0) / ps.length;
      expect(Math.abs((counts.get(id) ?? 0) / n - mean)).toBeLessThan(0.03);
    }
  });

  it("draws from each candidate's posterior read once a decision, choosing exactly as drawing through sample() does", () => {
    const learner = createOfferLearner({ prior: { mean: 0.2, strength: 10 } });
    // Some evidence, so the cells differ from their priors.
    for (let i = 0; i < 60; i++) learner.observe(i % 2 ? 'retain-10' : 'data-boost', 'call|high-risk', i % 3 === 0);
    let reads = 0;
    const counted = { ...learner, posterior: (o: string, c: string) => (reads++, learner.posterior(o, c)) };
    // The same learner without `sampler`: every draw goes through sample(), as before it existed.
    const perDraw = { mean: learner.mean, sample: learner.sample, posterior: learner.posterior };
    const a = funnel({ acceptance: learner, random: seededRandom(9) });
    const b = funnel({ acceptance: perDraw, random: seededRandom(9) });
    for (let i = 0; i < 50; i++) {
      const features = customer({ complaints_90d: i % 4, monthly_price: 30 + i });
      const da = a.decide('c1', features, risky, call);
      const db = b.decide('c1', features, risky, call);
      expect(da.ranked.length).toBeGreaterThan(2);
      expect(da.record).toEqual(db.record);
      expect(da.choice).toEqual(db.choice);
    }
    const withReads = funnel({ acceptance: { mean: learner.mean, sample: learner.sample, posterior: counted.posterior, sampler: (o: string, c: string) => {
      const { alpha, beta } = counted.posterior(o, c);
      return (u: () => number) => sampleBeta(alpha, beta, u);
    } } });
    const d = withReads.decide('c1', customer(), risky, call);
    // One read per sampled candidate (DO_NOTHING has none), not one per draw (16 each).
    expect(reads).toBe(d.ranked.length - 1);
  });

  it('uses an injected uplift estimate instead of the retention prior', () => {
    const d = funnel({ uplift: (o) => (o.id === 'retain-10' ? 0.5 : 0) }).decide('c1', customer(), risky, call);
    expect(d.ranked[0].actionId).toBe('retain-10');
    // 0.2 × (0.5 × 900 − 0.1 × 55 × 6) = 83.4
    expect(d.ranked[0].expectedValue).toBeCloseTo(83.4, 6);
    expect(discardOf(d, 'data-bonus')?.step).toBe('suitability');
  });

  it('gives each customer a stable treatment', () => {
    const f = funnel();
    const a = f.decide('c-42', customer(), risky, call).ranked.find((r) => r.actionId === 'retain-10')?.treatment;
    const b = f.decide('c-42', customer(), risky, call).ranked.find((r) => r.actionId === 'retain-10')?.treatment;
    expect(a).toEqual(b);
    expect(['thanks', 'value']).toContain(a?.id);
  });

  it("writes a later action's reasons from its own customer's features, though the next decision reuses the funnel's feature array", () => {
    // The twin source writes into the array it is given, as TwinEngine does: the funnel's scratch.
    const rows: Record<string, Float64Array> = { c1: customer({ monthly_price: 30 }), c2: customer({ monthly_price: 80, tenure_days: 100 }) };
    const twins = { features: (id: string, _at?: number, out?: Float64Array) => (rows[id] ? (out ? (out.set(rows[id]), out) : rows[id].slice()) : undefined) };
    const uplift = (_o: unknown, f: Float64Array) => f[FEATURE_INDEX.tenure_days] / 10_000;
    const f = funnel({ uplift, explain: false });
    const first = decideForTwin(f, twins, () => risky, 'c1', call, false);
    const offered = first.ranked.find((r) => r.actionId !== DO_NOTHING)!;
    const later = first.reasonsOf(offered.actionId);
    decideForTwin(f, twins, () => risky, 'c2', call, false);
    expect(first.reasonsOf(offered.actionId)).toEqual(later);
    // The same as explaining at once from c1's own row.
    const explained = funnel({ uplift }).decide('c1', rows.c1, risky, call, true);
    expect(later).toEqual(explained.ranked.find((r) => r.actionId === offered.actionId)?.reasons);
  });

  it('reads features and scores from a twin source', () => {
    const twins = { features: (id: string) => (id === 'c1' ? customer() : undefined) };
    const d = decideForTwin(funnel(), twins, () => risky, 'c1', call);
    expect(d.customerId).toBe('c1');
    expect(d.basedOn).toEqual({ scored: true, churn: risky.churn, clv: risky.clv });
    expect(() => decideForTwin(funnel(), twins, () => risky, 'nobody', call)).toThrowError(TwinloopError);
  });
});

describe('a decision on a customer with no score', () => {
  it('says it was valued on no score and why, instead of reading as churn risk 0', () => {
    const twins = { features: (id: string) => (id === 'c1' ? customer() : undefined) };
    const d = decideForTwin(funnel(), twins, () => undefined, 'c1', call, true, 'not scored yet: no churn model serves');
    expect(d.basedOn).toEqual({ scored: false, churn: null, clv: null, note: expect.stringMatching(/^not scored yet: no churn model serves: the offers are valued at churn risk 0 and lifetime value 0/) });
    // Valued without a customer to keep, no retention discount is worth its cost.
    for (const r of d.ranked.filter((x) => x.actionId.startsWith('retain-'))) expect(r.expectedValue).toBeLessThanOrEqual(0);
    // Without a reason given, it still says there was no score.
    expect(decideForTwin(funnel(), twins, () => undefined, 'c1', call).basedOn).toMatchObject({ scored: false, note: expect.stringMatching(/^no live churn score/) });
  });
});

describe('contact policy in the funnel', () => {
  const marketing = ['retain-10', 'retain-25', 'data-bonus', 'upgrade'];
  const presented = (ledger: ContactLedger, id: string, daysAgo: number, channel: 'call' | 'web' = 'call', offerId = 'data-bonus') =>
    ledger.record(id, { at: NOON - daysAgo * DAY_MS, channel, offerId, response: 'presented' });

  it('caps marketing contacts per period overall and per channel', () => {
    const ledger = new ContactLedger();
    for (const d of [1, 2, 3, 5]) presented(ledger, 'c1', d, 'web');
    const f = funnel({ ledger });
    const capped = f.decide('c1', customer(), risky, call);
    for (const id of marketing) expect(discardOf(capped, id)).toMatchObject({ step: 'contact-policy', reason: expect.stringContaining('cap is 4 per 30 days') });
    expect(ids(capped.ranked)).toContain('service-check-in');
    presented(ledger, 'c2', 1, 'call');
    presented(ledger, 'c2', 2, 'call');
    expect(discardOf(f.decide('c2', customer(), risky, call), 'retain-10')?.reason).toContain('on call');
    expect(ids(f.decide('c2', customer(), risky, { ...call, channel: 'chat' }).ranked)).toContain('retain-10');
    // Contacts older than the period no longer count.
    presented(ledger, 'c3', 40);
    presented(ledger, 'c3', 45);
    expect(ids(f.decide('c3', customer(), risky, call).ranked)).toContain('retain-10');
  });

  it('holds marketing back during the cool-down after a decline, and the declined offer longer', () => {
    const ledger = new ContactLedger();
    ledger.observe([
      { id: 'e1', customerId: 'c1', time: new Date(NOON - 3 * DAY_MS).toISOString(), source: 't', v: 1, kind: 'offer', data: { action: 'declined', offerId: 'retain-10', channel: 'call' } },
      { id: 'e2', customerId: 'c2', time: new Date(NOON - 20 * DAY_MS).toISOString(), source: 't', v: 1, kind: 'offer', data: { action: 'declined', offerId: 'retain-10', channel: 'call' } },
    ]);
    const f = funnel({ ledger });
    const recent = f.decide('c1', customer(), risky, call);
    expect(discardOf(recent, 'retain-25')).toMatchObject({ step: 'contact-policy', reason: expect.stringContaining('cool-down of 14 days') });
    const later = f.decide('c2', customer(), risky, call);
    expect(discardOf(later, 'retain-10')?.reason).toContain('same-offer cool-down of 60 days');
    expect(ids(later.ranked)).toContain('retain-25');
  });

  it('does not make an offer the customer accepted again while it runs, on any channel, and does once its months are over', () => {
    // The newcomer's C007261: data-bonus accepted from one campaign, presented again two days later by another.
    const ledger = new ContactLedger();
    const accepted = (id: string, daysAgo: number, offerId: string) =>
      ledger.observe([{ id: `a-${id}-${offerId}`, customerId: id, time: new Date(NOON - daysAgo * DAY_MS).toISOString(), source: 't', v: 1, kind: 'offer', data: { action: 'accepted', offerId, channel: 'app' } }]);
    accepted('c1', 2, 'data-bonus');
    // A 6-month discount accepted 100 days ago: past the ledger's 90 days of contacts, still in force.
    accepted('c2', 100, 'retain-10');
    accepted('c3', 95, 'data-bonus');
    const f = funnel({ ledger });
    for (const context of [call, { ...call, channel: 'web' as const, direction: 'outbound' as const }]) {
      const d = f.decide('c1', customer(), risky, context);
      expect(discardOf(d, 'data-bonus')).toMatchObject({ step: 'contact-policy', reason: expect.stringMatching(/^accepted this offer 2\.0 days ago: it runs 3 months \(until 2026-04-14\)/) });
      // Another offer is not held back by it (the caps and cool-downs say the rest).
      expect(ids(d.ranked)).toContain('retain-10');
    }
    expect(discardOf(f.decide('c2', customer(), risky, call), 'retain-10')?.reason).toMatch(/accepted this offer 100\.0 days ago: it runs 6 months/);
    // Its three months over, the bonus may be made again.
    expect(ids(f.decide('c3', customer(), risky, call).ranked)).toContain('data-bonus');
  });

  it("falls back to the twin's features for a customer the ledger has not seen", () => {
    const f = funnel({ ledger: new ContactLedger() });
    expect(discardOf(f.decide('c9', customer({ days_since_offer_declined: 5 }), risky, call), 'retain-10')?.reason).toContain('cool-down');
    expect(discardOf(f.decide('c9', customer({ offers_presented_90d: 4 }), risky, call), 'retain-10')?.reason).toContain('twin count');
    expect(ids(f.decide('c9', customer({ days_since_offer_declined: 30, offers_presented_90d: 1 }), risky, call).ranked)).toContain('retain-10');
  });

  it('keeps outbound contact out of quiet hours; inbound contact is exempt', () => {
    const f = funnel({ contactPolicy: { quietHours: { startHour: 21, endHour: 8, zone: { utcOffsetMinutes: 60 } } } });
    const late = Date.UTC(2026, 0, 15, 20, 30); // 21:30 at UTC+01:00
    const out = f.decide('c1', customer(), risky, { channel: 'app', direction: 'outbound', now: late });
    expect(ids(out.ranked)).toEqual([DO_NOTHING]);
    expect(discardOf(out, 'service-check-in')?.reason).toContain('quiet hours: no contact the operator starts from 21:00 to 08:00 UTC+01:00, and it is 21:30 there');
    expect(ids(f.decide('c1', customer(), risky, { channel: 'call', direction: 'inbound', now: late }).ranked)).toContain('retain-10');
    expect(ids(f.decide('c1', customer(), risky, { channel: 'app', direction: 'outbound', now: Date.UTC(2026, 0, 15, 19, 30) }).ranked)).toContain('retain-10');
  });

  it('reads quiet hours in an IANA time zone, daylight saving included', () => {
    const f = funnel({ contactPolicy: { quietHours: { startHour: 21, endHour: 8, zone: { timeZone: 'Europe/Berlin' } } } });
    const at = (iso: string) => f.decide('c1', customer(), risky, { channel: 'app', direction: 'outbound', now: Date.parse(iso) });
    expect(ids(at('2026-07-15T19:30:00Z').ranked)).toEqual([DO_NOTHING]); // 21:30 CEST
    expect(ids(at('2026-01-15T19:30:00Z').ranked)).toContain('retain-10'); // 20:30 CET
    expect(() => funnel({ contactPolicy: { quietHours: { startHour: 21, endHour: 8, zone: { timeZone: 'Mars/Olympus' } } } })).toThrowError(/unknown time zone/);
  });

  it('lets service communications through without marketing consent, never marketing', () => {
    const d = funnel().decide('c1', customer({ marketing_consent: 0 }), risky, call);
    expect(ids(d.ranked).sort()).toEqual([DO_NOTHING, 'service-check-in'].sort());
  });

  it('counts a response without its presentation as a contact, once', () => {
    const ledger = new ContactLedger();
    ledger.record('c1', { at: NOON - DAY_MS, channel: 'call', offerId: 'x', response: 'presented' });
    ledger.record('c1', { at: NOON - DAY_MS + 1000, channel: 'call', offerId: 'x', response: 'accepted' });
    ledger.record('c1', { at: NOON - DAY_MS, channel: 'web', offerId: 'y', response: 'accepted' });
    expect(ledger.summary('c1', NOON, 30)?.contacts).toBe(2);
    expect(ledger.summary('nobody', NOON, 30)).toBeUndefined();
  });
});
