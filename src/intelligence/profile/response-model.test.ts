import { describe, expect, it } from 'vitest';
import { OFFER_KINDS, type OfferKind } from '../../twin/twin-responses.js';
import { createRng } from '../random.js';
import { acceptanceOf, DEFAULT_RESPONSE_PRIORS, fitResponseModel, ignoreOf, RESPONSE_CLASSES, responseProfile, type ProfileEvidence } from './response-model.js';

/** A synthetic base whose true classes are known: acceptance and churn effects per class, two cells. */
function population(n: number, seed: number) {
  const rng = createRng(seed);
  const accept = [0.24, 0.03, 0.45, 0.06];
  const shares: Record<string, number[]> = { a: [0.5, 0.1, 0.3, 0.1], b: [0.4, 0.15, 0.05, 0.4] };
  const out: { truth: number; e: ProfileEvidence }[] = [];
  for (let i = 0; i < n; i++) {
    const cell = rng.next() < 0.5 ? 'a' : 'b';
    let u = rng.next() - shares[cell][0];
    let truth = 0;
    while (truth < 3 && u >= 0) u -= shares[cell][++truth];
    const presented = 1 + rng.int(6);
    let accepted = 0;
    let last = false;
    for (let k = 0; k < presented; k++) {
      last = rng.next() < accept[truth];
      if (last) accepted++;
    }
    // In the contact's window (treated) then after it (untreated), each class with its own baseline.
    const ratio = [0.6, 2.5, 1.3, 1.1][truth];
    const m = truth === 3 ? 2 : truth === 2 && last ? 0.4 : 1;
    const inWindow = rng.next() < 1 - Math.exp(-ratio * m * 0.15);
    const after = !inWindow && rng.next() < 1 - Math.exp(-ratio * 0.3);
    const answers = Object.fromEntries(OFFER_KINDS.map((k) => [k, { presented: 0, accepted: 0, declined: 0 }])) as Record<OfferKind, { presented: number; accepted: number; declined: number }>;
    answers.discount = { presented, accepted, declined: presented - accepted };
    const periods = [{ expected: 0.15, churned: inWindow, branch: last ? ('accepted' as const) : ('contacted' as const) }, ...(inWindow ? [] : [{ expected: 0.3, churned: after, branch: 'none' as const }])];
    out.push({ truth, e: { cell, answers, periods } });
  }
  return out;
}

const brier = (rows: { truth: number; e: ProfileEvidence }[], model: ReturnType<typeof fitResponseModel>) =>
  rows.reduce((s, r) => {
    const p = responseProfile(model, r.e).classes;
    return s + RESPONSE_CLASSES.reduce((t, c, k) => t + (p[c] - (k === r.truth ? 1 : 0)) ** 2, 0);
  }, 0) / rows.length;

describe('response model', () => {
  const rows = population(20_000, 3);
  const model = fitResponseModel(rows.map((r) => r.e));

  it('recovers the acceptance of the well-separated classes and the direction of the churn effects', () => {
    const a = acceptanceOf(model, 'discount');
    expect(Math.abs(a[2] - 0.45)).toBeLessThan(0.06);
    expect(Math.abs(a[0] - 0.24)).toBeLessThan(0.06);
    expect(a[3]).toBeLessThan(0.12);
    expect(a[1]).toBeLessThan(0.12);
    expect(model.contactMultiplier.mean).toBeGreaterThan(1.2);
    expect(model.acceptedMultiplier.mean).toBeLessThan(0.9);
    expect(model.contactMultiplier.low).toBeLessThan(model.contactMultiplier.mean);
    // Lost causes churn more than sure things with the same expected churn.
    expect(model.hazardRatio[1]).toBeGreaterThan(model.hazardRatio[0]);
  });

  it('pools by cell: the class shares of each cell follow its customers', () => {
    expect(model.cellShares.b[3]).toBeGreaterThan(model.cellShares.a[3]);
    expect(model.cellShares.a[2]).toBeGreaterThan(model.cellShares.b[2]);
  });

  it('profiles sharpen with the customer\u2019s own answers', () => {
    const shares = [0.45, 0.125, 0.175, 0.25];
    const byContacts = (k: number) => rows.filter((r) => r.e.answers.discount.presented === k);
    const base = (rs: typeof rows) => rs.reduce((s, r) => s + shares.reduce((t, p, k) => t + (p - (k === r.truth ? 1 : 0)) ** 2, 0), 0) / rs.length;
    expect(brier(byContacts(6), model)).toBeLessThan(brier(byContacts(1), model));
    expect(brier(rows, model)).toBeLessThan(base(rows));
    // A customer who accepted three of three is very likely persuadable or a sure thing, not a sleeping dog.
    const keen = responseProfile(model, { ...rows[0].e, cell: 'b', answers: { ...rows[0].e.answers, discount: { presented: 3, accepted: 3 } }, periods: [] });
    expect(keen.classes['sleeping-dog']).toBeLessThan(0.02);
    expect(keen.classes.persuadable + keen.classes['sure-thing']).toBeGreaterThan(0.95);
    expect(keen.contacts).toBe(3);
  });

  it('learns from ignored offers: who leaves offers unanswered, and what an ignore says about a customer', () => {
    // The same base, but each non-acceptance is an ignore with a class's own rate (sleeping dogs and
    // lost causes mostly ignore), and a fifth of the offers are still unanswered (pending).
    const ignoreRate = [0.2, 0.7, 0.1, 0.8];
    const rng = createRng(11);
    const withIgnores = rows.map((r) => {
      const d = r.e.answers.discount;
      let declined = 0;
      let ignored = 0;
      for (let k = 0; k < d.presented - d.accepted; k++) {
        if (rng.next() < 0.2) continue;
        if (rng.next() < ignoreRate[r.truth]) ignored++;
        else declined++;
      }
      return { truth: r.truth, e: { ...r.e, answers: { ...r.e.answers, discount: { presented: d.presented, accepted: d.accepted, declined, ignored } } } };
    });
    const m = fitResponseModel(withIgnores.map((r) => r.e));
    const ign = ignoreOf(m, 'discount');
    // Among the offers not accepted, with plenty of evidence (20,000 customers).
    expect(Math.abs(ign[3] - 0.8)).toBeLessThan(0.1);
    expect(Math.abs(ign[2] - 0.1)).toBeLessThan(0.1);
    expect(ign[3]).toBeGreaterThan(ign[0] + 0.3);
    // Knowing whether a refusal was silent sharpens the profiles.
    expect(brier(withIgnores, m)).toBeLessThan(brier(rows, model));
    const quiet = responseProfile(m, { cell: 'a', answers: { ...rows[0].e.answers, discount: { presented: 4, accepted: 0, declined: 0, ignored: 4 } } });
    const vocal = responseProfile(m, { cell: 'a', answers: { ...rows[0].e.answers, discount: { presented: 4, accepted: 0, declined: 4, ignored: 0 } } });
    expect(quiet.classes['sleeping-dog'] + quiet.classes['lost-cause']).toBeGreaterThan(vocal.classes['sleeping-dog'] + vocal.classes['lost-cause']);
    // Two fits of 20,000 customers: 26 s alone, 78 s at load 30 on two cores.
  }, 300_000);

  it('is no surer of a customer than one answer allows: a pilot acceptor moves as far as the truth says, and answers never make profiles worse', () => {
    // A base like a pilot: 300 customers in 16 cells each answered one offer. The true classes
    // accept at rates close together (as on the default sandbox world), so one acceptance says little.
    const accept = [0.24, 0.024, 0.44, 0.064];
    const ignore = [0.3, 0.6, 0.2, 0.6];
    const shares = [0.5, 0.15, 0.2, 0.15];
    const rng = createRng(5);
    const rows: { truth: number; e: ProfileEvidence }[] = [];
    const none = Object.fromEntries(OFFER_KINDS.map((k) => [k, { presented: 0, accepted: 0, declined: 0, ignored: 0 }])) as Record<OfferKind, { presented: number; accepted: number; declined: number; ignored: number }>;
    for (let i = 0; i < 300; i++) {
      let u = rng.next() - shares[0];
      let truth = 0;
      while (truth < 3 && u >= 0) u -= shares[++truth];
      const accepted = rng.next() < accept[truth] ? 1 : 0;
      const ignored = !accepted && rng.next() < ignore[truth] ? 1 : 0;
      rows.push({ truth, e: { cell: `c${rng.int(16)}`, answers: { ...none, discount: { presented: 1, accepted, declined: 1 - accepted - ignored, ignored } } } });
    }
    const m = fitResponseModel(rows.map((r) => r.e));
    const logOdds = (p: number) => Math.log(p / (1 - p));
    const before = responseProfile(m, { cell: 'c0', answers: none }).classes.persuadable;
    const after = responseProfile(m, { cell: 'c0', answers: { ...none, discount: { presented: 1, accepted: 1, declined: 0, ignored: 0 } } }).classes.persuadable;
    // The truth's shift: the persuadables' acceptance against the others' (0.44 against 0.17: +0.97).
    const others = [0, 1, 3].reduce((s, k) => s + shares[k] * accept[k], 0) / (1 - shares[2]);
    const truthShift = Math.log(accept[2] / others);
    expect(logOdds(after) - logOdds(before)).toBeGreaterThan(0);
    expect(logOdds(after) - logOdds(before)).toBeLessThan(truthShift + 0.5);
    // Against the model's own profile of a customer never contacted, an answer makes no one's profile worse on average.
    const brierOf = (p: Record<string, number>, truth: number) => RESPONSE_CLASSES.reduce((t, c, k) => t + (p[c] - (k === truth ? 1 : 0)) ** 2, 0);
    const answered = rows.reduce((s, r) => s + brierOf(responseProfile(m, r.e).classes, r.truth), 0) / rows.length;
    const unanswered = rows.reduce((s, r) => s + brierOf(responseProfile(m, { ...r.e, answers: none }).classes, r.truth), 0) / rows.length;
    expect(answered).toBeLessThan(unanswered);
  });

  it('keeps modest profiles where no one ignores an offer (every refusal a decline): no class runs away without churn evidence', () => {
    // The probe of 2026-12-05 on the live profiles: one cell, 430 customers offered one data bonus
    // each, one in five accepting, the rest declining at once, none ignoring, no churn watched.
    // The ignore prior sat at 0.4 for every class: the class that took most refusals had its
    // ignore share pulled toward the base's 0, every decline then favoured it and every profile,
    // the never-offered's too, read lost-cause 98-99 %.
    const none = Object.fromEntries(OFFER_KINDS.map((k) => [k, { presented: 0, accepted: 0, declined: 0, ignored: 0 }])) as Record<OfferKind, { presented: number; accepted: number; declined: number; ignored: number }>;
    const answered = (accepted: number) => ({ cell: 'one', answers: { ...none, data_bonus: { presented: 1, accepted, declined: 1 - accepted, ignored: 0 } } });
    const base: ProfileEvidence[] = Array.from({ length: 430 }, (_, i) => answered(i % 5 === 0 ? 1 : 0));
    const m = fitResponseModel(base);
    const never = responseProfile(m, { cell: 'one', answers: none }).classes;
    const acceptor = responseProfile(m, answered(1)).classes;
    const decliner = responseProfile(m, answered(0)).classes;
    for (const c of RESPONSE_CLASSES) {
      // One answer each and no churn: near the prior's even shares, no class sure.
      expect(never[c]).toBeGreaterThan(0.1);
      expect(never[c]).toBeLessThan(0.4);
      expect(acceptor[c]).toBeLessThan(0.6);
      expect(decliner[c]).toBeLessThan(0.6);
    }
    // A decline says the customer is less likely the class that accepts most, an acceptance more.
    expect(decliner.persuadable).toBeLessThanOrEqual(never.persuadable);
    expect(acceptor.persuadable).toBeGreaterThan(never.persuadable);
    expect(decliner['lost-cause']).toBeGreaterThanOrEqual(never['lost-cause']);
    // The classes' ignore shares stay together at the base's (near 0): no answer here tells them apart.
    const ign = ignoreOf(m, 'data_bonus');
    expect(Math.max(...ign)).toBeLessThan(0.05);
  });

  it('refuses priors of the wrong shape', () => {
    expect(() => fitResponseModel([], { ...DEFAULT_RESPONSE_PRIORS, acceptanceLogOdds: [0.5], shares: [1] })).toThrow(/one per class/);
    expect(() => fitResponseModel([], { ...DEFAULT_RESPONSE_PRIORS, ignore: [0.3, 0.3, 1, 0.3] })).toThrow(/persuadable: the acceptance log-odds must be a finite number and ignore/);
    expect(() => fitResponseModel([], { ...DEFAULT_RESPONSE_PRIORS, acceptanceLogOdds: [0, NaN, 0, 0] })).toThrow(/lost-cause/);
  });

  it('takes the level of acceptance from the base, not from a stated rate: the classes keep their order around it', () => {
    // The same answers scaled down to a base that accepts about a sixth as often.
    const rare = rows.map((r) => {
      const d = r.e.answers.discount;
      const accepted = Math.floor(d.accepted / 3);
      return { ...r.e, answers: { ...r.e.answers, discount: { presented: d.presented, accepted, declined: d.presented - accepted } } };
    });
    const before = fitResponseModel([], DEFAULT_RESPONSE_PRIORS);
    const a = acceptanceOf(fitResponseModel(rare), 'discount');
    const b = acceptanceOf(model, 'discount');
    // Never offered anything: the classes sit evenly around one half, in their order, at the prior's spread.
    const s = DEFAULT_RESPONSE_PRIORS.acceptanceSpread;
    expect(acceptanceOf(before, 'discount')[0]).toBeCloseTo(1 / (1 + Math.exp(-0.5 * s)), 6);
    expect(acceptanceOf(before, 'discount')[2]).toBeCloseTo(1 / (1 + Math.exp(-1.5 * s)), 6);
    expect(a[2]).toBeGreaterThan(a[0]);
    expect(a[2]).toBeLessThan(b[2]);
    expect(a[0]).toBeLessThan(b[0]);
  }, 300_000);
});
