import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../domain/time.js';
import { decisionSourceOf, DO_NOTHING, notCarriedOut, outcomeCoverage, runDecisionId, runDecisionPrefix, type DecisionRecord } from './decision-record.js';

const T0 = Date.UTC(2026, 2, 1);
const d = (id: string, at: number, chosen: string, outcome?: DecisionRecord['outcome']): DecisionRecord => ({
  decisionId: id, customerId: 'C1', at, channel: 'call', contextKey: 'call|low-risk', candidates: [], chosen, propensity: 1, ...(outcome ? { outcome } : {}),
});

describe('outcome coverage of a decision log', () => {
  it('counts decisions older than the window from the log’s newest entry, by result', () => {
    const log = [
      d('a', T0, 'retain-10', { accepted: true, reward: 1, at: T0 + 1000, result: 'accepted' }),
      d('b', T0, DO_NOTHING, { accepted: false, reward: 0, at: T0 + 7 * DAY_MS, result: 'not-acted' }),
      d('c', T0, 'retain-25', { accepted: false, reward: 0, at: T0 + 7 * DAY_MS, result: 'not-acted' }),
      d('d', T0 + DAY_MS, 'retain-10'),
      d('e', T0 + 9 * DAY_MS, 'retain-10'),
      d('f', T0 + 2 * DAY_MS, 'retain-10', { accepted: false, reward: 0, at: T0 + 2 * DAY_MS }),
    ];
    const c = outcomeCoverage(log);
    expect(c).toMatchObject({ asOf: T0 + 9 * DAY_MS, due: 5, closed: 4, share: 0.8, notCarriedOut: 1 });
    expect(c.byResult).toMatchObject({ accepted: 1, 'not-acted': 2, unknown: 1, ignored: 0 });
    expect(log.filter(notCarriedOut).map((x) => x.decisionId)).toEqual(['c']);
    expect(outcomeCoverage([])).toMatchObject({ due: 0, share: 1 });
    // The counts add up: logged = with + without an outcome; the outcomes' results sum to those with one; due = closed + overdue (d);
    // evaluated = with an outcome less the recommendation nobody carried out (c); e is inside its window.
    expect(c).toMatchObject({ logged: 6, withOutcome: 4, withoutOutcome: 2, overdue: 1, evaluated: 3 });
    expect(Object.values(c.byResult).reduce((x, y) => x + y, 0)).toBe(c.withOutcome);
    expect(c.bySource.nba).toMatchObject({ logged: 6, withOutcome: 4 });
  });
});

describe('who made a decision', () => {
  it('is read from its id, and coverage is counted by it', () => {
    expect(runDecisionId('churn-prevention', '2026-03-01-08-00', 'C1')).toBe('cpr:2026-03-01-08-00:C1');
    expect(runDecisionId('campaign', 'spring', 'C1')).toBe('cmp:spring:C1');
    // A run id too long for an event: its first 64 characters and a hash of both ids, one per customer.
    const long = 'x'.repeat(150);
    const [a, b] = [runDecisionId('campaign', long, 'C1'), runDecisionId('campaign', long, 'C2')];
    expect(a).not.toBe(b);
    expect(a.length).toBeLessThanOrEqual(128);
    expect(a.startsWith(runDecisionPrefix('campaign', long))).toBe(true);
    expect([a, 'cpr:p:C1', '0b7c1b9e-2f4e-4c47-9d6a-3c1d7c1e2a10'].map(decisionSourceOf)).toEqual(['campaign', 'churn-prevention', 'nba']);
    const log = [
      d('cpr:p:C1', T0, 'retain-10', { accepted: true, reward: 1, at: T0 + 1000, result: 'accepted' }),
      d('cpr:p:C2', T0, DO_NOTHING),
      d('cmp:c:C1', T0, 'retain-10', { accepted: false, reward: 0, at: T0 + 1000, result: 'declined' }),
      d('n1', T0 + 8 * DAY_MS, 'retain-10'),
    ];
    expect(outcomeCoverage(log).bySource).toMatchObject({
      'churn-prevention': { logged: 2, due: 2, closed: 1, share: 0.5, byResult: { accepted: 1, declined: 0 } },
      campaign: { logged: 1, due: 1, closed: 1, share: 1, byResult: { accepted: 0, declined: 1 } },
      nba: { logged: 1, due: 0, closed: 0, share: 1, byResult: { accepted: 0, declined: 0 } },
    });
  });
});
