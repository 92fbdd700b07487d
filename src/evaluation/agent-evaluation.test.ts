import { describe, expect, it } from 'vitest';
import { namedWorld } from '../sandbox/index.js';
import { evaluateRetentionAgent, FIRST_DECISION_POLICIES, RETENTION_POLICIES } from './agent-evaluation.js';

describe('agent evaluate', () => {
  it('runs monthly campaigns on identical world copies and judges every policy against the truth', async () => {
    const r = await evaluateRetentionAgent({ seeds: [2], world: namedWorld('small'), customers: 700, historyMonths: 6, months: 2 });
    const s = r.seeds[0];
    expect(s.months).toHaveLength(2);
    // Nobody beats the oracle on the first decision: it takes exactly the positive true values.
    for (const p of FIRST_DECISION_POLICIES) expect(s.firstDecision[p].netValue).toBeLessThanOrEqual(s.firstDecision.oracle.netValue);
    expect(s.firstDecision.oracle.netValue).toBeGreaterThanOrEqual(0);
    // The feature oracle contacts only where its expected value is positive; highest-risk and random spend the budget.
    expect(s.months[0]['highest-risk'].contacted).toBeGreaterThan(0);
    expect(s.months[0].random.contacted).toBe(s.months[0]['highest-risk'].contacted);
    for (const p of RETENTION_POLICIES) expect(r.cumulative[p]).toHaveLength(2);
    expect(r.cumulative.oracle[1].mean).toBeCloseTo(s.months[0].oracle.netValue + s.months[1].oracle.netValue, 6);
    expect(r.learningMinusFeatureOracle[1].mean).toBeCloseTo(r.cumulative['learning-agent'][1].mean - r.cumulative['feature-oracle'][1].mean, 6);
    // Profiles are scored against the true types, by contacts so far; last quarter's campaign contacted some.
    expect(r.calibration.map((c) => c.contacts)).toEqual(['0', '1', '2', '3+']);
    expect(r.calibration[1].customers).toBeGreaterThan(0);
    expect(s.agentMonths[0].acceptance).toHaveLength(4);
    // The learning agent's value splits into what it made exploiting and exploring (each rounded).
    for (let m = 0; m < 2; m++) expect(Math.abs(s.agentMonths[m].exploitValue + s.agentMonths[m].exploreValue - s.months[m]['learning-agent'].netValue)).toBeLessThanOrEqual(1);
    // The type oracle (types known, strain and frailty not) contacts only where that knowledge says a contact pays.
    expect(s.firstDecision['type-oracle'].contacted).toBeLessThanOrEqual(s.budget);
    // Offers left unanswered reach the twins as ignored once their window passes (the small world's customers ignore some);
    // the last month's are still pending at the end.
    expect(s.answers.ignored).toBeGreaterThan(0);
    expect(s.answers.accepted + s.answers.declined + s.answers.ignored).toBeLessThanOrEqual(s.answers.presented);
  }, 300_000);

  it('refuses an unknown offer and a horizon out of range with the reason', async () => {
    await expect(evaluateRetentionAgent({ seeds: [1], world: namedWorld('small'), offerId: 'nope' })).rejects.toThrow(/unknown offer "nope"/);
    await expect(evaluateRetentionAgent({ seeds: [1], world: namedWorld('small'), months: 0 })).rejects.toThrow(/months must be/);
  });
});
