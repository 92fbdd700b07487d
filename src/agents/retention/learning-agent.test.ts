import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../../domain/time.js';
import type { TwinEvent } from '../../domain/events.js';
import { FEATURE_INDEX, FEATURE_NAMES } from '../../twin/twin-features.js';
import { TwinEngine } from '../../twin/twin-engine.js';
import { LearningRetentionAgent, type LearningAgentOptions } from './learning-agent.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
let n = 0;
const ev = (customerId: string, kind: TwinEvent['kind'], at: number, data: unknown) => ({ id: `e${n++}`, kind, customerId, time: new Date(at).toISOString(), source: 't', v: 1, data }) as TwinEvent;

/**
 * A base of `customers` twins on a plan since T0. `offers(i)` discount offers were presented to
 * customer i (each 10 days apart from T0 + 1 day), answered as `answer(i, k)` says; `leaves(i)`
 * ends customer i's plan on that day after T0 (0: never).
 */
function base(customers: number, offers: (i: number) => number, answer: (i: number, k: number) => 'accepted' | 'declined', leaves: (i: number) => number = () => 0): TwinEngine {
  const engine = new TwinEngine();
  const events: TwinEvent[] = [];
  for (let i = 0; i < customers; i++) {
    const id = `C${i}`;
    events.push(ev(id, 'customer', T0, { segment: 'consumer', billing: 'postpaid', contractMonths: 0, paymentMethod: 'card', since: '2024-01-01T00:00:00Z' }));
    events.push(ev(id, 'subscription', T0, { action: 'activated', subscriptionId: `S${i}`, productKind: 'plan', productId: 'p', monthlyPrice: 40 }));
    for (let k = 0; k < offers(i); k++) {
      const at = T0 + (1 + 10 * k) * DAY_MS;
      events.push(ev(id, 'offer', at, { action: 'presented', offerId: 'o', channel: 'app', treatment: 'discount' }));
      events.push(ev(id, 'offer', at, { action: answer(i, k), offerId: 'o', channel: 'app', treatment: 'discount' }));
    }
    if (leaves(i) > 0) events.push(ev(id, 'subscription', T0 + leaves(i) * DAY_MS, { action: 'terminated', subscriptionId: `S${i}`, productKind: 'plan' }));
  }
  // The day the month is planned: after every offer and every departure.
  events.push(ev('clock', 'customer', T0 + 120 * DAY_MS, { segment: 'consumer', billing: 'postpaid', contractMonths: 0, paymentMethod: 'card', since: '2024-01-01T00:00:00Z' }));
  for (const e of events.sort((a, b) => Date.parse(a.time) - Date.parse(b.time))) {
    const t = Date.parse(e.time);
    const verdict = engine.check(e, t, engine.gate(e.customerId));
    if (!verdict.ok) throw new Error(JSON.stringify(verdict));
    engine.apply(e, t);
  }
  return engine;
}

/** Every active twin at the churn model's monthly hazard `hazard` and lifetime value `value`. */
const scores = (engine: TwinEngine, hazard: number, value: number) => ({
  scoreOf: (id: string) => (engine.contactRecord(id)?.leftAt ? { active: false, churn: hazard, clv: 0 } : { active: true, churn: hazard, clv: value }),
});

const options: LearningAgentOptions = { offer: { id: 'o', kind: 'discount', costFor: (price) => price * 0.3 }, contactCost: 2, holdoutShare: 0 };

describe('learning retention agent', () => {
  // 100 customers took each of three offers (surely persuadable or sure things), 100 declined each of
  // three; 200 were never offered. No churn has been watched, so the effects are their priors'.
  const answered = (i: number) => (i < 200 ? 3 : 0);
  const answer = (i: number) => (i < 100 ? 'accepted' : 'declined');

  it('reaches the planner with its risk: the guard it sets is the one the month is planned under', () => {
    const engine = base(400, answered, answer);
    const live = scores(engine, 0.08, 4000);
    const guarded = new LearningRetentionAgent(options).planMonth(engine, live, 40, 1, 1);
    const open = new LearningRetentionAgent({ ...options, risk: 1 }).planMonth(engine, live, 40, 1, 1);
    // On the priors' effects (an accepted offer may do nothing) the guard holds the plan back; with
    // risk 1 (the expected value alone) the same month contacts the customers worth it.
    expect(guarded.plan.counts['plan-risk']).toBeGreaterThan(0);
    expect(open.plan.counts.exploit).toBe(40);
    expect(open.plan.counts['plan-risk']).toBe(0);
    expect(guarded.plan.counts.exploit).toBeLessThan(open.plan.counts.exploit);
  });

  it('remembers the churn model\u2019s own hazard for each contact, and reads the outcome against it calibrated once', () => {
    const engine = base(400, answered, answer, (i) => (i >= 350 && i < 380 ? 60 : 0));
    const live = scores(engine, 0.05, 4000);
    const agent = new LearningRetentionAgent({ ...options, risk: 1 });
    // Customers 200–399 were held out of a campaign at T0 + 30 days, when the churn model gave them
    // 0.02 a month; 30 of them left at day 60, against about 11 expected over the three months the
    // others were watched and the month those 30 were: the model runs about twice too low for them
    // (the prior's 5 churns pooled in), and the month's candidates are planned at twice its hazard.
    for (let i = 200; i < 400; i++) agent.remember(`C${i}`, { at: T0 + 30 * DAY_MS, hazard: 0.02, heldOut: true });
    const month = agent.planMonth(engine, live, 40, 1, 1);
    expect(month.calibration).toBeCloseTo((30 + 5) / ((0.02 * (170 * 90 + 30 * 30)) / 30.4375 + 5), 6);
    const contacted = month.plan.contact.map((c) => c.customerId);
    expect(contacted.length).toBeGreaterThan(0);
    for (const id of contacted) expect(agent.ledger.get(id)?.hazard).toBe(0.05);
  });

  it('reads its holdouts\u2019 churn as the randomised comparison\u2019s other arm', () => {
    // The same base, with and without a held-out arm whose churn the fit can read.
    const engine = base(400, answered, answer, (i) => (i >= 350 && i < 380 ? 60 : 0));
    const live = scores(engine, 0.05, 4000);
    const withArm = new LearningRetentionAgent(options);
    for (let i = 200; i < 400; i++) withArm.remember(`C${i}`, { at: T0 + 30 * DAY_MS, hazard: 0.05, heldOut: true });
    const read = withArm.planMonth(engine, live, 40, 1, 1);
    const unread = new LearningRetentionAgent(options).planMonth(engine, live, 40, 1, 1);
    // The 200 held out join the 200 who answered: their 30 churns are evidence of the classes'
    // untreated hazard, where without them only the prior spoke.
    expect(unread.model.customers).toBe(200);
    expect(read.model.customers).toBe(400);
    expect(read.model.hazardRatio).not.toEqual(unread.model.hazardRatio);
  });

  it('keeps what a customer showed before it was chosen again: the ended holdout\u2019s survival and untreated months', () => {
    const engine = base(400, answered, answer, (i) => (i >= 350 && i < 380 ? 60 : 0));
    const live = scores(engine, 0.05, 4000);
    const agent = new LearningRetentionAgent(options);
    // 200–399 held out at day 30 at 0.02 a month; 200–299, all still there, chosen again at day 60 (another campaign).
    for (let i = 200; i < 400; i++) agent.remember(`C${i}`, { at: T0 + 30 * DAY_MS, hazard: 0.02, heldOut: true });
    for (let i = 200; i < 300; i++) agent.remember(`C${i}`, { at: T0 + 60 * DAY_MS, hazard: 0.02, heldOut: false }, engine);
    expect(agent.ended.get('C200')).toEqual([{ at: T0 + 30 * DAY_MS, hazard: 0.02, heldOut: true, endedAt: T0 + 60 * DAY_MS, accepted: false }]);
    const month = agent.planMonth(engine, live, 40, 1, 1);
    // The arm's 30 churns against all its months watched: the 100 chosen again survived their 30 days
    // held out (left out, as until 2026-12-06, the arm kept its churners and lost those survivors).
    expect(month.calibration).toBeCloseTo((30 + 5) / ((0.02 * (70 * 90 + 30 * 30 + 100 * 30)) / 30.4375 + 5), 6);
    // Their untreated month is evidence too: 200 who answered, 100 still held out, 100 ended holdouts.
    expect(month.model.customers).toBe(400);
  });
  it('with contract-ends, chooses again a customer held out or who refused inside the window, not one whose accepted offer still runs', () => {
    // Offers at days 1, 11, 21 and 31: customers 0–99 accepted each, 100–199 declined each. At day 30
    // the agent contacted 0–199 and held out 200–299; the month is planned at day 120, inside that window.
    const engine = base(400, (i) => (i < 200 ? 4 : 0), (i) => (i < 100 ? 'accepted' : 'declined'));
    const planned = (design: 'pooled' | 'contract-ends') => {
      const agent = new LearningRetentionAgent({ ...options, risk: 1, design });
      for (let i = 0; i < 300; i++) agent.remember(`C${i}`, { at: T0 + 30 * DAY_MS, hazard: 0.05, heldOut: i >= 200 }, engine);
      return agent.planMonth(engine, scores(engine, 0.05, 4000), 40, 6, 1);
    };
    const month = planned('contract-ends');
    expect(month.profiles.has('C0')).toBe(false);
    expect(month.profiles.has('C150')).toBe(true);
    expect(month.profiles.has('C250')).toBe(true);
    expect(month.profiles.has('C350')).toBe(true);
    // Pooled (the default), everyone inside a window waits.
    const pooled = planned('pooled');
    expect(['C0', 'C150', 'C250'].map((id) => pooled.profiles.has(id))).toEqual([false, false, false]);
    expect(pooled.profiles.has('C350')).toBe(true);
  });

  it('with contract-ends, puts a contract ending inside the effect window in a stratum of its own', () => {
    const agent = new LearningRetentionAgent({ ...options, design: 'contract-ends' });
    const features = (months: number, daysLeft: number) => {
      const f = new Float64Array(FEATURE_NAMES.length);
      f[FEATURE_INDEX.contract_months] = months;
      f[FEATURE_INDEX.contract_days_left] = daysLeft;
      return f;
    };
    expect(agent.stratumOf(features(0, 9999), 'none', 0.01)).toMatch(/\|m2m$/);
    expect(agent.stratumOf(features(12, 40), 'none', 0.01)).toMatch(/\|ends$/);
    expect(agent.stratumOf(features(12, 200), 'none', 0.01)).toMatch(/\|runs$/);
    expect(agent.cellOf(features(12, 40), 'none', 0.01)).toMatch(/\|ends$/);
    expect(new LearningRetentionAgent(options).stratumOf(features(12, 40), 'none', 0.01)).toMatch(/\|contract$/);
  });

  it('with contract-stakes, reads a contract ending inside the effect window with the others, and keeps its cell apart for the stake', () => {
    const features = (months: number, daysLeft: number) => {
      const f = new Float64Array(FEATURE_NAMES.length);
      f[FEATURE_INDEX.contract_months] = months;
      f[FEATURE_INDEX.contract_days_left] = daysLeft;
      return f;
    };
    const agent = new LearningRetentionAgent({ ...options, design: 'contract-stakes' });
    expect(agent.stratumOf(features(0, 9999), 'none', 0.01)).toMatch(/\|m2m$/);
    expect(agent.cellOf(features(0, 9999), 'none', 0.01)).toMatch(/\|m2m$/);
    // One stratum for the read whatever the contract's end (decision 0094's amendment), two cells for the stake.
    expect(agent.stratumOf(features(12, 40), 'none', 0.01)).toMatch(/\|contract$/);
    expect(agent.stratumOf(features(12, 200), 'none', 0.01)).toMatch(/\|contract$/);
    expect(agent.cellOf(features(12, 40), 'none', 0.01)).toMatch(/\|contract\|ends$/);
    expect(agent.cellOf(features(12, 200), 'none', 0.01)).toMatch(/\|contract\|runs$/);
    expect(new LearningRetentionAgent(options).cellOf(features(12, 40), 'none', 0.01)).toMatch(/\|contract$/);
    // A pilot of contracts: 100 held out whose contract ended inside the window, 30 of whom left (at
    // a hazard of 0.02 the model expected about 6), and 100 offered whose contract ran past it.
    const engine = base(300, () => 0, () => 'declined', (i) => (i < 30 ? 60 : 0));
    for (let i = 0; i < 200; i++) {
      agent.remember(`C${i}`, { at: T0 + 30 * DAY_MS, hazard: 0.02, heldOut: i < 100 }, engine, { features: features(12, i < 100 ? 40 : 200), answers: 'none' });
    }
    const month = agent.planMonth(engine, scores(engine, 0.02, 4000), 40, 6, 1);
    // The read holds one contract stratum: the ending contracts' churn is not a level of its own.
    expect([...month.read.strata.keys()].filter((s) => s.endsWith('|contract'))).toHaveLength(1);
    expect([...month.read.strata.keys()].some((s) => /\|(ends|runs)$/.test(s))).toBe(false);
    const cells = agent.designEpisodes(engine, T0 + 120 * DAY_MS, 91 * DAY_MS, false, 'cell');
    expect(new Set(cells.map((e) => e.stratum.split('|').pop()))).toEqual(new Set(['ends', 'runs']));
  });
});
