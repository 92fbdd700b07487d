import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { namedWorld } from '../sandbox/index.js';
import { calibrateProfiles, evaluateRetentionAgent, FIRST_DECISION_POLICIES, HORIZON_MONTHS, judgeTargets, RETENTION_POLICIES, shareOf, type FirstDecisionDump, type MonthDump } from './agent-evaluation.js';
import { HORIZON_DAYS, horizonSurvival } from './retention-yardstick.js';
import { defaultCatalogue } from '../decisioning/default-catalogue.js';
import { acceptanceCovariates } from '../intelligence/uplift/acceptance-covariates.js';
import { DEFAULT_CONTACT_EFFECT_PRIORS, fitPilotUplift, planSingleDecision } from '../intelligence/uplift/pilot-uplift.js';

describe('agent evaluate', () => {
  it('runs monthly campaigns on identical world copies and judges every policy against the truth', async () => {
    const dump = mkdtempSync(join(tmpdir(), 'twinloop-agent-dump-'));
    const r = await evaluateRetentionAgent({ seeds: [2], world: namedWorld('small'), customers: 700, historyMonths: 6, months: 2, dump });
    const s = r.seeds[0];
    // The first decision is written for offline planners: candidates with the truth beside, and last quarter's campaign.
    const d = JSON.parse(readFileSync(join(dump, `${r.options.world}-seed2.json`), 'utf8')) as FirstDecisionDump;
    // And each month of the learning agent: every active customer with what it did and why, the feature oracle's value beside.
    const months = [1, 2].map((m) => JSON.parse(readFileSync(join(dump, `${r.options.world}-seed2-month${m}.json`), 'utf8')) as MonthDump);
    rmSync(dump, { recursive: true, force: true });
    for (const [m, month] of months.entries()) {
      expect(month.month).toBe(m + 1);
      const contacted = month.rows.filter((x) => /^(class|design)-(exploit|explore)$/.test(x.status)).length;
      expect(contacted).toBeGreaterThanOrEqual(s.months[m]['learning-agent'].contacted);
      expect(month.rows.every((x) => Number.isFinite(x.featureOracle) && Number.isFinite(x.truth) && x.status.length > 0)).toBe(true);
      expect(month.strata.length).toBeGreaterThan(0);
    }
    expect(d.budget).toBe(s.budget);
    expect(d.offerKind).toBe('discount');
    // The offered customers' contact records hold their answer to the campaign, read after it.
    expect(d.now).toBeGreaterThan(d.pilotAt);
    for (const q of d.pilot.filter((x) => x.treated)) expect(q.record?.presented).toBe(1);
    expect(d.pilot.filter((q) => q.accepted).every((q) => q.record?.accepted === 1)).toBe(true);
    expect(d.pilot).toHaveLength(s.pilot.customers);
    expect(d.pilot.some((q) => q.treated) && d.pilot.some((q) => !q.treated)).toBe(true);
    expect(d.pilot.filter((q) => q.accepted).every((q) => q.treated)).toBe(true);
    expect(d.candidates.length).toBeGreaterThan(s.budget);
    for (const c of d.candidates.slice(0, 20)) {
      expect(c.features).toHaveLength(d.featureNames.length);
      expect(Number.isFinite(c.truth) && Number.isFinite(c.featureOracle)).toBe(true);
    }
    // Each candidate's true response is in the dump (the staged decision's replay draws its first wave's
    // answers and churn from it), and it is the truth's: valued as the harness values a contact, it gives the truth beside it,
    // a contract ending inside the horizon with the decision of that day in each branch.
    for (const c of d.candidates) {
      const t = c.response!;
      const stays = horizonSurvival({ ...t, acceptProbability: t.accept });
      const retained = t.accept * stays.accepted + (1 - t.accept) * stays.declined - stays.untreated;
      expect(retained * t.value - d.contactCost - t.accept * c.offerCost).toBeCloseTo(c.truth, 6);
    }
    const ending = d.candidates.filter((c) => c.response!.contractEnd && c.response!.contractEnd.inDays < HORIZON_DAYS);
    expect(ending.length).toBeGreaterThan(0);
    expect(ending.every((c) => horizonSurvival({ ...c.response!, acceptProbability: 0 }).untreated < (1 - c.response!.hazardUntreated) ** HORIZON_MONTHS)).toBe(true);
    // The candidates are the single decision's: each once, none of last quarter's offered arm (their offer still runs).
    const offered = new Set(d.pilot.filter((q) => q.treated).map((q) => q.id));
    expect(new Set(d.candidates.map((c) => c.id)).size).toBe(d.candidates.length);
    expect(d.candidates.filter((c) => offered.has(c.id))).toEqual([]);
    expect(s.months).toHaveLength(2);
    // Nobody beats the oracle on the first decision: it takes exactly the positive true values.
    for (const p of FIRST_DECISION_POLICIES) expect(s.firstDecision[p].netValue).toBeLessThanOrEqual(s.firstDecision.oracle.netValue);
    expect(s.firstDecision.oracle.netValue).toBeGreaterThanOrEqual(0);
    // Last quarter's campaign is valued at the truth (what it cost every policy's history) and read by the
    // single-decision agent, whose non-acceptors' multiplier is at least 1 (an offer not taken keeps nobody).
    expect(Number.isFinite(s.pilot.netValue)).toBe(true);
    expect(s.pilot.declinedMultiplier.mean).toBeGreaterThanOrEqual(1);
    expect(s.pilot.declinedMultiplier.sd).toBeGreaterThan(0);
    expect(s.firstDecision.agent.contacted).toBeLessThanOrEqual(s.budget);
    // The contract-end model is fitted on the history's ends and read beside the 30-day score on the candidates whose end falls in the horizon.
    expect(s.contractEnds.ends).toBeGreaterThan(0);
    expect(s.contractEnds.coefficients).not.toBeNull();
    expect(s.contractEnds.candidates).toBeGreaterThan(0);
    for (const x of [s.contractEnds.horizonChurn.withEnds, s.contractEnds.leaveAtEnd.model]) expect(x > 0 && x < 1).toBe(true);
    expect(s.firstDecision['agent-with-ends'].contacted).toBeLessThanOrEqual(s.budget);
    // The dump holds that reading for every candidate and campaign customer, so a planner replayed offline reads renewals as
    // agent-with-ends does: the end's decision where the contract ends inside the horizon, the live score held elsewhere.
    const withEnds = d.withEnds!;
    const endsIn = (f: readonly number[]) => f[d.featureNames.indexOf('contract_days_left')] < HORIZON_DAYS;
    for (const q of [...d.pilot, ...d.notSampled]) expect(withEnds.campaign[q.id]).toBeDefined();
    for (const c of d.candidates) {
      const r = withEnds.candidates[c.id];
      if (endsIn(c.features)) expect(r.endHazard > 0 && r.endHazard < 1).toBe(true);
      else expect(r).toEqual({ hazard: c.churn, endHazard: 0 });
    }
    const replay = fitPilotUplift(
      [...d.pilot, ...d.notSampled.map((q) => ({ ...q, treated: false, accepted: false }))].map((q) => ({
        covariates: acceptanceCovariates(Float64Array.from(q.features), q.hazard), treated: q.treated, accepted: q.accepted, churned: q.churned,
        expectedChurn: 1 - (1 - withEnds.campaign[q.id].hazard) ** HORIZON_MONTHS * (1 - withEnds.campaign[q.id].endHazard),
      })),
      { ...DEFAULT_CONTACT_EFFECT_PRIORS, acceptedMultiplier: 1 - defaultCatalogue().byId.get(d.offerId)!.retentionEffect! },
    );
    const picks = planSingleDecision(replay, d.candidates.map((c) => ({ customerId: c.id, covariates: acceptanceCovariates(Float64Array.from(c.features), c.churn), value: c.clv, offerCost: c.offerCost, ...withEnds.candidates[c.id] })), { contacts: d.budget, contactCost: d.contactCost, horizonMonths: HORIZON_MONTHS }).contact;
    expect(picks.length).toBe(s.firstDecision['agent-with-ends'].contacted);
    expect(picks.reduce((a, c) => a + d.candidates.find((x) => x.id === c.customerId)!.truth, 0)).toBeCloseTo(s.firstDecision['agent-with-ends'].netValue, 0);
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
    // Where the fit put the churn it watched: each class's untreated hazard ratio, beside the multipliers.
    expect(s.agentMonths[0].hazardRatio).toHaveLength(4);
    for (const x of s.agentMonths[0].hazardRatio) expect(x).toBeGreaterThan(0);
    // The learning agent's value splits into what it made exploiting and exploring (each rounded).
    for (let m = 0; m < 2; m++) expect(Math.abs(s.agentMonths[m].exploitValue + s.agentMonths[m].exploreValue - s.months[m]['learning-agent'].netValue)).toBeLessThanOrEqual(1);
    // The type oracle (types known, strain and frailty not) contacts only where that knowledge says a contact pays.
    expect(s.firstDecision['type-oracle'].contacted).toBeLessThanOrEqual(s.budget);
    // Offers left unanswered reach the twins as ignored once their window passes (the small world's customers ignore some);
    // the last month's are still pending at the end.
    expect(s.answers.ignored).toBeGreaterThan(0);
    expect(s.answers.accepted + s.answers.declined + s.answers.ignored).toBeLessThanOrEqual(s.answers.presented);
  }, 600_000);

  it("scores the profiles by contacts beside the base's true mix and each bucket's own", () => {
    // Six customers: four never contacted (types 0, 0, 0, 1), two contacted once (types 2, 3).
    const types = [0, 0, 0, 1, 2, 3];
    const at = (p: number[], contacts: number) => ({ classes: { 'sure-thing': p[0], 'lost-cause': p[1], persuadable: p[2], 'sleeping-dog': p[3] }, contacts });
    const base = [0.5, 1 / 6, 1 / 6, 1 / 6];
    const profiles = new Map(types.map((_, i) => [`C${i}`, i < 4 ? at(base, 0) : at([0, 0, 0.5, 0.5], 1)]));
    const [none, one, two] = calibrateProfiles(profiles, (id) => types[Number(id.slice(1))]);
    // A profile at the base's mix scores exactly the base's mix; the bucket's own mix (3/4 sure things) scores better.
    const brier = (q: number[], t: number) => q.reduce((s, x, k) => s + (x - (k === t ? 1 : 0)) ** 2, 0);
    const never = (q: number[]) => [0, 0, 0, 1].reduce((s, t) => s + brier(q, t), 0) / 4;
    expect(none.customers).toBe(4);
    expect(none.brier).toBeCloseTo(never(base), 4);
    expect(none.brierOfBaseMix).toBeCloseTo(never(base), 4);
    expect(none.brierOfShares).toBeCloseTo(never([0.75, 0.25, 0, 0]), 4);
    expect(none.brierOfShares).toBeLessThan(none.brierOfBaseMix);
    // The contacted pair's profiles, split between their two true types, beat the base's mix on them.
    expect(one.brier).toBeCloseTo(0.5, 4);
    expect(one.brierOfBaseMix).toBeCloseTo((brier(base, 2) + brier(base, 3)) / 2, 4);
    expect(one.brier).toBeLessThan(one.brierOfBaseMix);
    expect(two.customers).toBe(0);
    // Which way the profiles are off: their mean beside the bucket's true mix.
    expect(none.profileMix).toEqual([0.5, 0.167, 0.167, 0.167]);
    expect(none.trueMix).toEqual([0.75, 0.25, 0, 0]);
    expect(one.profileMix).toEqual([0, 0, 0.5, 0.5]);
    expect(one.trueMix).toEqual([0, 0, 0.5, 0.5]);
  });

  it('judges a share only of a yardstick that made something, and the single decision by its difference otherwise', () => {
    const at = (mean: number, low = mean, high = mean) => ({ mean, low, high });
    const targets = { agentVsFeatureOracle: 0.8, learningVsOracle: 0.5 };
    expect(shareOf([[0, 0], [0, -5]])).toBeNull();
    expect(shareOf([[40, 50], [7, 0]])?.mean).toBeCloseTo(0.8, 9);
    // The feature oracle contacts nobody: an agent that contacts nobody loses nothing against it; one that loses money misses.
    const nothing = judgeTargets(at(0), null, at(0), [at(0)], [at(0)], at(0), targets);
    expect(nothing.singleDecision.met).toBe(true);
    expect(nothing.singleDecision.why).toMatch(/no share of it/);
    expect(judgeTargets(at(0), null, at(-30), [at(0)], [at(0)], at(0), targets).singleDecision.met).toBe(false);
    // Equal to the feature oracle is not above it; a month whose interval reaches below zero is named.
    expect(nothing.learningAboveFeatureOracle.met).toBe(false);
    const months = judgeTargets(at(100), at(0.9), at(-10), [at(5), at(20)], [at(10, 2, 18), at(15, -3, 33)], at(0.3), targets);
    expect(months.singleDecision.met).toBe(true);
    expect(months.learningAboveFeatureOracle.met).toBe(true);
    expect(months.noMonthBelowZero).toEqual({ met: false, why: 'months whose 90 % interval reaches below zero: 2 15 [-3, 33]' });
    expect(months.shareOfOracle.met).toBe(false);
  });

  it('refuses an unknown offer and a horizon out of range with the reason', async () => {
    await expect(evaluateRetentionAgent({ seeds: [1], world: namedWorld('small'), offerId: 'nope' })).rejects.toThrow(/unknown offer "nope"/);
    await expect(evaluateRetentionAgent({ seeds: [1], world: namedWorld('small'), months: 0 })).rejects.toThrow(/months must be/);
    await expect(evaluateRetentionAgent({ seeds: [1], world: namedWorld('small'), dump: '/dev/null/dumps' })).rejects.toThrow(/cannot write the first decisions to "\/dev\/null\/dumps"/);
  });
});
