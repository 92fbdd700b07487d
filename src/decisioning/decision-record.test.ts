import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../domain/time.js';
import { DO_NOTHING, notCarriedOut, outcomeCoverage, type DecisionRecord } from './decision-record.js';

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
  });
});
