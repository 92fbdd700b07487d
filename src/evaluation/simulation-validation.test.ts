import { describe, expect, it } from 'vitest';
import { createRng } from '../intelligence/random.js';
import { contactEffectByRisk, contactEffectOverPilots, OFFER_EFFECT_PRIOR_SD, PILOT_MONTHS, pilotAcceptanceModel, pilotEstimates, poolEffects, withSkepticalPrior, type ContactFitRow } from './pilot-estimates.js';
import { validateSimulations } from './simulation-validation.js';

describe('pooling the pilot offers\u2019 effects', () => {
  it('shares what noisy arms show in common: one pooled effect, surer than either arm', () => {
    // A discount that seems to double an acceptor's hazard in one noisy arm and do nothing in the other.
    const pooled = poolEffects([{ effect: 1.4, effectSe: 1.71 }, { effect: 0.01, effectSe: 1.17 }]);
    expect(pooled[0].effect).toBeCloseTo(pooled[1].effect, 10);
    expect(pooled[0].effect).toBeGreaterThan(0.01);
    expect(pooled[0].effect).toBeLessThan(1.4);
    expect(pooled[0].se).toBeLessThan(1.17);
  });

  it('keeps offers apart when their arms differ far beyond their noise', () => {
    const pooled = poolEffects([{ effect: -0.6, effectSe: 0.05 }, { effect: 0.4, effectSe: 0.05 }]);
    expect(pooled[0].effect).toBeCloseTo(-0.6, 1);
    expect(pooled[1].effect).toBeCloseTo(0.4, 1);
    expect(pooled[0].se).toBeGreaterThanOrEqual(0.04);
  });
});

describe('the prior of no effect', () => {
  it('draws a noisy pilot\u2019s effect toward none and a precise one hardly at all, surer than either', () => {
    const noisy = withSkepticalPrior({ effect: -1, se: 0.61 });
    expect(noisy.effect).toBeGreaterThan(-0.5);
    expect(noisy.effect).toBeLessThan(0);
    expect(noisy.se).toBeLessThan(Math.min(0.61, OFFER_EFFECT_PRIOR_SD));
    const precise = withSkepticalPrior({ effect: -0.4, se: 0.05 });
    expect(precise.effect).toBeCloseTo(-0.4, 1);
    expect(precise.se).toBeLessThan(0.05);
  });
});

describe('simulation validation against the sandbox', () => {
  it('predicts every kind of scenario from a pilot and a trained model, then realises each in identical worlds, in two futures', async () => {
    const r = await validateSimulations({ scenarios: 5, seed: 3, customers: 600, historyMonths: 11, pilots: 2, draws: 20, workers: 0, realisations: 2 });
    // Two pilots read together: the twins each left uncontacted, more than the base.
    expect(r.contactEffect.controls).toBeGreaterThan(600);
    expect(r.scenarios.map((s) => s.kind)).toEqual(['retention_campaign', 'retention_campaign', 'offer_launch', 'price_change', 'network_improvement']);
    expect(r.pilot.map((p) => p.offerId)).toEqual(['retain-10', 'retain-25']);
    for (const s of r.scenarios) {
      expect(s.treated).toBeGreaterThan(0);
      expect(s.predictedNetValue.p05).toBeLessThanOrEqual(s.predictedNetValue.p95);
      // Offers cost contacts and acceptances; a price change or a free network fix costs nothing.
      if (s.kind === 'retention_campaign' || s.kind === 'offer_launch') expect(s.realisedCost).toBeGreaterThan(0);
      else expect(s.realisedCost).toBe(0);
    }
    // A price change moves the revenue of the plan's customers in the sign of the change, in the world as predicted.
    const price = r.scenarios[3];
    expect(Math.sign(price.realisedNetValue)).toBe(Math.sign(price.predictedNetValue.mean));
    expect(Object.keys(r.byKind).sort()).toEqual(['network_improvement', 'offer_launch', 'price_change', 'retention_campaign']);
    // Two futures of the same history: each scenario is judged against their mean, and they differ
    // by chance (the offers' answers and the churn dice are drawn anew from the cutoff).
    for (const s of r.scenarios) {
      expect(s.realisedNetValues).toHaveLength(2);
      expect(s.realisedNetValue).toBeCloseTo((s.realisedNetValues[0] + s.realisedNetValues[1]) / 2, 1);
    }
    const offers = r.scenarios.filter((s) => s.kind === 'retention_campaign' || s.kind === 'offer_launch');
    expect(offers.some((s) => s.realisedNetValues[0] !== s.realisedNetValues[1]), `offer scenarios' values in the two futures: ${JSON.stringify(offers.map((s) => s.realisedNetValues))}`).toBe(true);
    expect(r.noise).not.toBeNull();
    expect(r.noise!).toBeGreaterThan(0);
    // Where each scenario's error comes from: parts that add up to it, the untreated churners against the futures' mean.
    for (const s of r.scenarios) {
      const b = s.errorBreakdown;
      expect(b.error).toBeCloseTo(s.predictedNetValue.mean - s.realisedNetValue, 6);
      expect(Object.values(b.parts).reduce((t, x) => t + x, 0)).toBeCloseTo(b.error, 6);
      expect(b.untreatedChurners.predicted).toBeGreaterThan(0);
      if (s.kind === 'price_change' || s.kind === 'network_improvement') expect(b.parts.acceptance).toBe(0);
    }
    const all = r.errorBreakdown.overall;
    expect(all.error).toBeCloseTo(r.scenarios.reduce((t, s) => t + s.errorBreakdown.error, 0), 6);
    expect(Object.values(all.parts).reduce((t, x) => t + x, 0)).toBeCloseTo(all.error, 6);
    expect(Object.keys(r.errorBreakdown.byKind).sort()).toEqual(Object.keys(r.byKind).sort());
    await expect(validateSimulations({ scenarios: 1, seed: 3, customers: 600, realisations: 0 })).rejects.toThrow(/realisations/);
    await expect(validateSimulations({ scenarios: 1, seed: 3, customers: 600, historyMonths: 10, pilots: 2 })).rejects.toThrow(/historyMonths ≥ pilots × 4 \+ 3 \(got 1, 600, 2, 10\)/);
    // One scenario of the same run, realised alone: the same prediction and the same world's future.
    const lines: string[] = [];
    const one = await validateSimulations({ scenarios: 5, seed: 3, customers: 600, historyMonths: 11, pilots: 2, draws: 20, workers: 0, only: ['s4'], log: (l) => lines.push(l) });
    expect(one.scenarios.map((s) => s.name)).toEqual(['s4']);
    // Yet every scenario's prediction is logged, as the full run predicts it: a change that moves no
    // twin's score is judged against an earlier run's realisations from a run realising one.
    const logged = lines.find((l) => l.startsWith('predicted: '))!;
    for (const s of r.scenarios) expect(logged).toContain(`${s.name} ${s.treated} treated, net ${s.predictedNetValue.mean.toFixed(0)} [${s.predictedNetValue.p05.toFixed(0)}, ${s.predictedNetValue.p95.toFixed(0)}]`);
    expect(one.scenarios[0].predictedNetValue).toEqual(price.predictedNetValue);
    expect(one.scenarios[0].realisedNetValue).toBeCloseTo(price.realisedNetValues[0], 2);
    await expect(validateSimulations({ scenarios: 5, seed: 3, customers: 600, only: ['s4', 's9'] })).rejects.toThrow(/not s9/);
  }, 900_000);
});

describe('the pilot\u2019s acceptance model', () => {
  it('finds who accepts from the covariates, and is surer at the pilot\u2019s average than far from it', () => {
    const rng = createRng(5);
    const arms: string[][] = [[], [], []];
    const answers = new Map<string, string>();
    const covariates = new Map<string, number[]>();
    for (let i = 0; i < 3000; i++) {
      const id = `c${i}`;
      const churnLogOdds = -3 + 2 * rng.next();
      const m2m = rng.next() < 0.4 ? 1 : 0;
      const x = [churnLogOdds, m2m, 0, rng.next() < 0.3 ? 1 : 0, 0];
      covariates.set(id, x);
      const arm = i % 3;
      arms[arm].push(id);
      if (arm === 0) continue;
      // retain-25 accepted more; month-to-month customers and the riskier accept more.
      const z = -1.5 + (arm === 2 ? 0.5 : 0) + 1.2 * m2m + 0.5 * (churnLogOdds + 2);
      answers.set(id, rng.next() < 1 / (1 + Math.exp(-z)) ? 'accepted' : rng.next() < 0.5 ? 'declined' : 'no-answer');
    }
    const m = pilotAcceptanceModel(arms, answers, covariates);
    expect(m.rows).toBe(2000);
    expect(m.slopes[1]).toBeGreaterThan(0.8);
    expect(m.slopes[1]).toBeLessThan(1.6);
    expect(m.slopes[0]).toBeGreaterThan(0.2);
    expect(Math.abs(m.slopes[2])).toBeLessThan(1e-6);
    expect(m.logOdds[1] - m.logOdds[0]).toBeGreaterThan(0.2);
    // A month-to-month customer's shift is the slope; the riskiest group is read with more doubt.
    expect(m.shift([m.centre[0], 1, 0, m.centre[3], 0]) - m.shift([m.centre[0], 0, 0, m.centre[3], 0])).toBeCloseTo(m.slopes[1], 10);
    expect(m.logOddsSd(0, [m.centre[0] + 1.5, 1, 0, m.centre[3], 0])).toBeGreaterThan(1.5 * m.logOddsSd(0, m.centre));
    expect(m.logOddsSd(0, m.centre)).toBeGreaterThan(0.05);
    expect(m.logOddsSd(0, m.centre)).toBeLessThan(0.15);
  });
});

describe('a contact\u2019s effect on decliners by their hazard', () => {
  /** A pilot of `n` decliners and `n` controls, hazards 0.5 % to 10 % a month (× `level` over its months, both groups), a contact raising a decliner's by `effect(h)` for 3 of the 4 months. */
  function pilot(n: number, effect: (h: number) => number, seed: number, level = 1): { control: ContactFitRow[]; decliners: ContactFitRow[] } {
    const rng = createRng(seed);
    const control: ContactFitRow[] = [];
    const decliners: ContactFitRow[] = [];
    for (let i = 0; i < n; i++) {
      for (const group of [control, decliners]) {
        const h = Math.exp(Math.log(0.005) + rng.next() * Math.log(20));
        const lam = level * PILOT_MONTHS * h + (group === decliners ? 3 * effect(h) : 0);
        group.push({ hazard: h, churned: rng.next() < 1 - Math.exp(-lam), ...(group === control ? { weight: 1 } : {}) });
      }
    }
    return { control, decliners };
  }

  it('tells a harm in proportion to the hazard from the same increase for everyone, and hands it to the riskiest', () => {
    // The sandbox's kind: a provoked customer's hazard × 1.3 (+0.3 h).
    const m = pilot(6_000, (h) => 0.3 * h, 3);
    const fit = contactEffectByRisk(m.control, m.decliners, 3);
    expect(fit.power).toBeGreaterThan(0.7);
    const risky = fit.groupIncrease([0.08, 0.09, 0.1]);
    const safe = fit.groupIncrease([0.005, 0.006, 0.007]);
    expect(risky.mean).toBeGreaterThan(0.7 * 0.3 * 0.09);
    expect(risky.mean).toBeLessThan(1.35 * 0.3 * 0.09);
    expect(safe.mean).toBeLessThan(0.004);
    // The same increase for everyone (+0.5 point): the power falls toward none, the riskiest get about the same.
    const flat = contactEffectByRisk(...Object.values(pilot(6_000, () => 0.005, 4)) as [ContactFitRow[], ContactFitRow[]], 3);
    expect(flat.power).toBeLessThan(0.3);
    expect(flat.groupIncrease([0.08, 0.09, 0.1]).mean).toBeLessThan(0.008);
    expect(flat.groupIncrease([0.005, 0.006, 0.007]).mean).toBeGreaterThan(0.003);
    // Two fits of 12,000 rows: 21 s at load 29, past vitest's 60 s default at load ~30 in CI; a bound, not a measure.
  }, 600_000);

  it('keeps a small pilot\u2019s uncertainty: the group\u2019s increase is wide and the powers stay open', () => {
    const m = pilot(800, (h) => 0.3 * h, 5);
    const fit = contactEffectByRisk(m.control, m.decliners, 3);
    expect(Math.max(...fit.powerWeights)).toBeLessThan(0.6);
    const risky = fit.groupIncrease([0.08, 0.09, 0.1]);
    expect(risky.sd).toBeGreaterThan(0.3 * Math.abs(risky.mean));
    expect(() => contactEffectByRisk([], m.decliners, 3)).toThrow(/control twins and decliners/);
  });

  it('reads an earlier pilot with the latest, each at its own baseline level: surer than either alone', () => {
    // Two pilots of 1,500 decliners, the same harm (+0.3 h), the latest's months churning at 1.5×
    // the model's hazards in both groups (a season, a price rise): its baseline is its own.
    const earlier = pilot(1_500, (h) => 0.3 * h, 7);
    const latest = pilot(1_500, (h) => 0.3 * h, 8, 1.5);
    const both = contactEffectOverPilots([earlier, latest], 3);
    const alone = [earlier, latest].map((m) => contactEffectByRisk(m.control, m.decliners, 3));
    expect(both.decliners).toBe(3_000);
    expect(both.controls).toBe(3_000);
    expect(both.increase.sd).toBeLessThan(0.85 * Math.min(...alone.map((f) => f.increase.sd)));
    expect(both.baselineLevel).toBeGreaterThan(1.3);
    expect(both.baselineLevel).toBeLessThan(1.7);
    const risky = both.groupIncrease([0.08, 0.09, 0.1]);
    expect(risky.mean).toBeGreaterThan(0.6 * 0.3 * 0.09);
    expect(risky.mean).toBeLessThan(1.4 * 0.3 * 0.09);
    expect(() => contactEffectOverPilots([earlier, { control: [], decliners: latest.decliners }], 3)).toThrow(/control twins and decliners; got 0 and 1500/);
  }, 600_000);
});

/**
 * A base of `customers`, the first `inPilot` split into a control arm and two offers' arms, the rest
 * left out: month-to-month customers (40 %) accept half the time and churn 30 % over the pilot, the
 * rest accept 5 % and churn 5 %; an accepted offer halves an acceptor's churn and, with `provokes`,
 * a contact doubles that of those who decline among the rest (the sleeping dogs).
 */
function syntheticPilot(seed: number, customers: number, inPilot: number, provokes: boolean) {
  const rng = createRng(seed);
  const arms: string[][] = [[], [], []];
  const leftOut: string[] = [];
  const answers = new Map<string, string>();
  const covariates = new Map<string, number[]>();
  const churned = new Set<string>();
  for (let i = 0; i < customers; i++) {
    const id = `c${i}`;
    const m2m = rng.next() < 0.4 ? 1 : 0;
    covariates.set(id, [-3, m2m, 0, 0, 0]);
    const arm = i < inPilot ? i % 3 : -1;
    if (arm < 0) leftOut.push(id);
    else arms[arm].push(id);
    let churn = m2m ? 0.3 : 0.05;
    if (arm > 0) {
      const accepts = rng.next() < (m2m ? 0.5 : 0.05);
      answers.set(id, accepts ? 'accepted' : 'declined');
      if (accepts) churn /= 2;
      else if (provokes && !m2m) churn *= 2;
    }
    if (rng.next() < churn) churned.add(id);
  }
  return { arms, leftOut, answers, covariates, churned };
}

describe('the pilot\u2019s effects on acceptors and on the contacted who decline', () => {
  it('compares each group with the control twins like it: a contact that provokes decliners is found though they are the safer customers', () => {
    // 40 % month-to-month customers: they accept half the time and churn 30 % over the pilot;
    // the rest accept 5 % and churn 5 %. A contact doubles the churn of those who decline among
    // the rest (the sleeping dogs), and an accepted offer halves an acceptor's.
    const { arms, answers, covariates, churned } = syntheticPilot(11, 27_000, 27_000, true);
    const model = pilotAcceptanceModel(arms, answers, covariates);
    const [e] = pilotEstimates((id) => churned.has(id), arms, answers, model, covariates, PILOT_MONTHS);
    // Decliners churn 15 % against 11.5 % for the control twins as likely to decline: cumulative
    // hazards 0.165 against 0.122 over 4 months, +1.06 points a month; against the whole control
    // group (15 %) they would look untouched.
    expect(e.unpooledContactedIncrease.mean).toBeGreaterThan(0.007);
    expect(e.unpooledContactedIncrease.mean).toBeLessThan(0.015);
    expect(e.contactedHazardIncrease.mean).toBeGreaterThan(0.006);
    expect(e.contactedHazardIncrease.sd).toBeLessThan(0.003);
    // Acceptors churn 13 % against 27 % for their like in the control (0.46×); against the whole
    // control group they would look barely helped (0.88×).
    expect(e.acceptedHazardMultiplier.mean).toBeLessThan(0.65);
    expect(e.acceptedHazardMultiplier.mean).toBeGreaterThan(0.3);
    expect(e.decliners).toBeGreaterThan(13_000);
    // An effect that lasts half the pilot shows half in its churn: read back per month of effect.
    const [short] = pilotEstimates((id) => churned.has(id), arms, answers, model, covariates, PILOT_MONTHS / 2);
    expect(short.unpooledContactedIncrease.mean).toBeCloseTo(2 * e.unpooledContactedIncrease.mean, 6);
  });

  it('reads the acceptors against every twin left uncontacted at random, not the control arm alone: the same effect, surer', () => {
    // A pilot of 1,200 (400 a arm) in a base of 6,000: the 4,800 left out are uncontacted at random
    // too. Month-to-month customers accept half the time and churn 30 %, the rest 5 % and 5 %; an
    // accepted offer halves an acceptor's churn.
    const { arms, leftOut, answers, covariates, churned } = syntheticPilot(5, 6_000, 1_200, false);
    const model = pilotAcceptanceModel(arms, answers, covariates);
    const [armOnly] = pilotEstimates((id) => churned.has(id), arms, answers, model, covariates, PILOT_MONTHS);
    const [all] = pilotEstimates((id) => churned.has(id), arms, answers, model, covariates, PILOT_MONTHS, [...arms[0], ...leftOut]);
    // The control side of the ratio's variance shrinks with 12 times the control twins (400 → 5,200).
    expect(all.unpooledMultiplier.sd).toBeLessThan(0.9 * armOnly.unpooledMultiplier.sd);
    expect(all.unpooledContactedIncrease.sd).toBeLessThan(0.9 * armOnly.unpooledContactedIncrease.sd);
    // Acceptors churn 13.5 % against 27 % for their like (0.46× as a cumulative hazard over the 4 months).
    expect(all.unpooledMultiplier.mean).toBeGreaterThan(0.2);
    expect(all.unpooledMultiplier.mean).toBeLessThan(0.7);
  });

  it('reads an earlier pilot of the same offers with the latest: its acceptors and decliners against its own uncontacted twins', () => {
    const latest = syntheticPilot(5, 6_000, 1_200, true);
    const earlier = syntheticPilot(6, 6_000, 1_200, true);
    const model = pilotAcceptanceModel(latest.arms, latest.answers, latest.covariates);
    const read = (p: typeof latest, earlierPilots: Parameters<typeof pilotEstimates>[7] = []) =>
      pilotEstimates((id) => p.churned.has(id), p.arms, p.answers, model, p.covariates, PILOT_MONTHS, [...p.arms[0], ...p.leftOut], earlierPilots);
    const [one] = read(latest);
    const [alone] = read(earlier);
    const [both] = read(latest, [{ churned: (id) => earlier.churned.has(id), arms: earlier.arms, answers: earlier.answers, covariatesAtStart: earlier.covariates, uncontacted: [...earlier.arms[0], ...earlier.leftOut] }]);
    // Two pilots' decliners, their reads combined by their precisions.
    expect(both.decliners).toBe(one.decliners + alone.decliners);
    expect(both.unpooledContactedIncrease.sd).toBeLessThan(0.8 * Math.min(one.unpooledContactedIncrease.sd, alone.unpooledContactedIncrease.sd));
    const lo = Math.min(one.unpooledContactedIncrease.mean, alone.unpooledContactedIncrease.mean);
    const hi = Math.max(one.unpooledContactedIncrease.mean, alone.unpooledContactedIncrease.mean);
    expect(both.unpooledContactedIncrease.mean).toBeGreaterThanOrEqual(lo);
    expect(both.unpooledContactedIncrease.mean).toBeLessThanOrEqual(hi);
    expect(both.unpooledMultiplier.sd).toBeLessThan(Math.min(one.unpooledMultiplier.sd, alone.unpooledMultiplier.sd));
    // Acceptance is the latest pilot's.
    expect(both.acceptance).toEqual(one.acceptance);
  });
});
