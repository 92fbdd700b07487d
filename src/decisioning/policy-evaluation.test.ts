import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../domain/time.js';
import { DO_NOTHING, type DecisionRecord } from './decision-record.js';
import { coverageText, evaluateLoggedPolicy, policyEvaluationText } from './policy-evaluation.js';

const T0 = Date.UTC(2026, 2, 1);
const candidates = [
  { actionId: 'retain-10', score: 2, expectedValue: 2, propensity: 0.6 },
  { actionId: DO_NOTHING, score: 0, expectedValue: 0, propensity: 0.4 },
];
const d = (id: string, at: number, chosen: string, outcome?: DecisionRecord['outcome']): DecisionRecord => ({
  decisionId: id, customerId: 'C1', at, channel: 'call', contextKey: 'call|low-risk', candidates, chosen, propensity: chosen === DO_NOTHING ? 0.4 : 0.6, ...(outcome ? { outcome } : {}),
});
const answered = (at: number, result: 'accepted' | 'declined' | 'not-acted') => ({ accepted: result === 'accepted', reward: result === 'accepted' ? 1 : 0, at, result });

describe('twinloop policy evaluate, GET /decisions/evaluation: the counts', () => {
  const log = [
    d('a', T0, 'retain-10', answered(T0 + 1000, 'accepted')),
    d('b', T0, DO_NOTHING, answered(T0 + 7 * DAY_MS, 'not-acted')),
    d('c', T0, 'retain-10', answered(T0 + 7 * DAY_MS, 'not-acted')),
    d('cpr:p:C2', T0, 'retain-10', answered(T0 + 2 * DAY_MS, 'declined')),
    d('e', T0 + DAY_MS, 'retain-10'),
    d('f', T0 + 9 * DAY_MS, 'retain-10'),
  ];

  it('add up, each said in words: logged = with an outcome + without; evaluated = with an outcome less those nobody carried out', () => {
    const e = evaluateLoggedPolicy(log, 'greedy');
    const lines = policyEvaluationText(e);
    expect(lines[0]).toBe('decision log: 6 decisions as of 2026-03-10 00:00 UTC, by who decided: nba 5, churn-prevention 1');
    expect(lines[1].trim()).toBe('4 with an outcome (accepted 1, declined 1, not-acted 2)');
    expect(lines[2].trim()).toBe('2 without one yet: 1 still inside their 7-day window, 1 past it and not closed yet (the outcome watch closes them at its next sweep)');
    expect(lines[3].trim()).toBe('past their 7-day window: 4 of 5 came back (80.0 %); by who decided: nba 3 of 4, churn-prevention 1 of 1');
    expect(lines[4].trim()).toBe('evaluated: 3 = the 4 with an outcome less 1 that recommended an action nobody carried out (what they chose never happened)');
    // The estimate is on exactly the decisions the coverage calls evaluated, and waits on exactly those without an outcome.
    expect(e.estimate).toMatchObject({ decisions: e.coverage.evaluated, withoutOutcome: e.coverage.withoutOutcome });
    expect(lines[5]).toMatch(/^policy greedy on the 3 evaluated decisions \(the 2 without an outcome wait for one\)/);
  });

  it('says none is due yet where no decision is past its window, not 100 % of 0', () => {
    const lines = coverageText(evaluateLoggedPolicy([d('x', T0, 'retain-10')], 'greedy').coverage);
    expect(lines.find((l) => l.includes('past their 7-day window'))).toMatch(/past their 7-day window: none yet$/);
    expect(lines.join('\n')).not.toContain('%');
  });

  it('has no estimate, and says why, while no decision can be evaluated', () => {
    const e = evaluateLoggedPolicy([d('x', T0, 'retain-10', answered(T0 + 7 * DAY_MS, 'not-acted'))], 'greedy');
    expect(e.estimate).toBeNull();
    expect(policyEvaluationText(e).at(-1)).toMatch(/none of the 1 logged decisions has an outcome that can be evaluated yet/);
    expect(policyEvaluationText(evaluateLoggedPolicy([], 'greedy'))).toEqual(['decision log: no decision logged', expect.stringMatching(/^the decision log is empty/)]);
  });
});
