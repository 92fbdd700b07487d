#!/usr/bin/env node
// Compares retention planners on the same first decision, offline, in seconds: reads the dumps
// `twinloop agent evaluate --dump DIR` writes (one per world and seed: the candidates as the agents
// see them with the truth beside, and last quarter's randomised campaign) and, per world, sums over
// the seeds the true net value of each planner's picks (and its contacts; then each seed's):
// - the feature oracle among the same candidates (its expected value > 0, best first, up to the budget);
//   beside each planner's true value, the feature oracle's expectation of its picks (the truth averaged over
//   what the observables leave hidden: a plan of a few customers read without their luck);
// - the single-decision agent as it runs (src/intelligence/uplift/pilot-uplift.ts: the effects read
//   from both arms and both answers, with the customers the campaign's random sample left out as
//   controls too, the selection factor integrated over; the plan sized by the evidence, the run of
//   candidates with the largest certainty equivalent, plan-size.ts), at other risk tolerances
//   (TOLERANCES), with the plan-level guard it used until 2026-12-06 (the best run that keeps at least
//   the value it drives away with 90 % posterior probability) at looser plan risks, and on the
//   posterior expected value alone (the trait-varying effects this replayed until 2026-12-05 lost
//   thousands on the mean on four worlds of five: docs/learning.md);
// - the learning agent's first month: the agent itself (src/agents/retention/learning-agent.ts) on the
//   twins as dumped, with last quarter's campaign in its ledger, as it runs (the plan-level guard at risk 0.1,
//   and the exploration batch its value of information pays for, with the numbers) and on the expected value
//   alone (dumps from before 2026-12-04 22:25 lack the contact records it reads);
// - the staged decision (src/intelligence/uplift/staged-decision.ts: a first wave with its paired holdout,
//   read, then the rest of the budget), on dumps holding each candidate's true response: the first wave's
//   answers and churn drawn from it, the world waiting between the waves (docs/learning.md, "Two waves");
// and prints what the campaign shows (churners against expected per branch and contract type).
// Needs `npm run build` (reads dist/, or DIST=DIR). Environment: TOLERANCES (the single decision's risk
// tolerances beside its default, default 0.5,1), RISKS (the plan-level guard's plan risks, default 0.1,0.2,0.3,1), STAGED (variants firstWaveRisk:firstWaveShare:holdout(1|0):risk[:confirm(1|0)[:capped(1|0)]],
// comma-separated; empty for none), STAGED_DRAWS (default 6), LEARNING=0 to skip the learning agent.
//
//   node scripts/agent-offline.mjs DIR/*.json
import { readFileSync } from 'node:fs';

const dist = process.env.DIST ? new URL(`file://${process.env.DIST.replace(/\/?$/, '/')}`) : new URL('../dist/', import.meta.url);
const { fitPilotUplift, planSingleDecision, DEFAULT_CONTACT_EFFECT_PRIORS, PLAN_TOLERANCE } = await import(new URL('intelligence/uplift/pilot-uplift.js', dist));
const { acceptanceCovariates } = await import(new URL('intelligence/uplift/acceptance-covariates.js', dist));
const { defaultCatalogue } = await import(new URL('decisioning/default-catalogue.js', dist));
const { LearningRetentionAgent } = await import(new URL('agents/retention/learning-agent.js', dist));
const { OFFER_KINDS } = await import(new URL('twin/twin-responses.js', dist));
const { offerCostOf, horizonSurvival } = await import(new URL('evaluation/retention-yardstick.js', dist));
const { planFirstWave, planSecondWave } = await import(new URL('intelligence/uplift/staged-decision.js', dist));
const { createRng } = await import(new URL('intelligence/random.js', dist));

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node scripts/agent-offline.mjs DUMP.json… (from twinloop agent evaluate --dump DIR)\n');
  process.exit(2);
}
/** The single decision's risk tolerance beside the one it runs with (`PLAN_TOLERANCE`). */
const TOLERANCES = (process.env.TOLERANCES ?? '0.5,1').split(',').filter(Boolean).map(Number);
/** The plan-level guard's plan risk: as the single decision ran until 2026-12-06 (0.1), looser, and the posterior expected value alone (1). */
const RISKS = (process.env.RISKS ?? '0.1,0.2,0.3,1').split(',').map(Number);
/**
 * The staged decision's variants (staged-decision.ts): the first wave's plan risk and share of the
 * budget, with or without its paired holdout; the second wave at plan risk 0.1. Replayed where the
 * dump holds each candidate's true response (dumps since 2026-12-06 11:00 UTC): the first wave's
 * answers and churn over the offer's window are drawn from it, as the sandbox draws them, with the
 * world waiting meanwhile (the second wave valued at the decision's truth, a held-out customer drawn
 * to leave no longer a candidate), STAGED_DRAWS times per seed, the value their mean.
 */
const STAGED = (process.env.STAGED ?? '0.1:0.25:1:0.1,0.2:0.25:1:0.1,0.2:0.25:1:0.2,0.1:0.25:1:0.1:0:1')
  .split(',')
  .filter(Boolean)
  .map((v) => {
    const [firstWaveRisk, firstWaveShare, holdout, risk, confirm, capped] = v.split(':').map(Number);
    return { firstWaveRisk, firstWaveShare, holdout: holdout === 1, risk: risk ?? 0.1, confirm: confirm === 1, capped: capped === 1 };
  });
const STAGED_DRAWS = Number(process.env.STAGED_DRAWS ?? 6);

const byWorld = new Map();
for (const file of files) {
  const d = JSON.parse(readFileSync(file, 'utf8'));
  const H = d.horizonMonths;
  const survive = (h) => 1 - (1 - Math.min(1, Math.max(0, h))) ** H;
  const row = (features) => Float64Array.from(features);
  const m2mAt = d.featureNames.indexOf('contract_months');
  const obs = d.pilot.map((q) => ({ ...q, covariates: acceptanceCovariates(row(q.features), q.hazard), expectedChurn: survive(q.hazard) }));
  // The customers the campaign's random sample left out (dumps since 2026-12-06): controls of the single decision, as in the harness.
  const notSampled = (d.notSampled ?? []).map((q) => ({ covariates: acceptanceCovariates(row(q.features), q.hazard), treated: false, accepted: false, churned: q.churned, expectedChurn: survive(q.hazard) }));
  const retentionEffect = defaultCatalogue().byId.get(d.offerId)?.retentionEffect;
  const model = fitPilotUplift([...obs, ...notSampled], { ...DEFAULT_CONTACT_EFFECT_PRIORS, acceptedMultiplier: 1 - (retentionEffect ?? 1 - DEFAULT_CONTACT_EFFECT_PRIORS.acceptedMultiplier) });
  const candidates = d.candidates.map((c) => ({ customerId: c.id, covariates: acceptanceCovariates(row(c.features), c.churn), hazard: c.churn, value: c.clv, offerCost: c.offerCost }));
  const truth = new Map(d.candidates.map((c) => [c.id, c.truth]));
  const valueOf = (ids) => ids.reduce((s, id) => s + truth.get(id), 0);
  // The feature oracle's expected value of the same picks: the truth averaged over what the twin's observables leave
  // hidden, so a plan of a few customers is read without their luck (a sleeping dog among 16 picks moved a sum by 300).
  const expectation = new Map(d.candidates.map((c) => [c.id, c.featureOracle]));
  const expectedOf = (ids) => ids.reduce((s, id) => s + expectation.get(id), 0);
  const w = byWorld.get(d.world) ?? { seeds: 0, rows: new Map(), pilot: new Map(), notes: [] };
  byWorld.set(d.world, w);
  w.seeds++;
  const add = (name, ids) => {
    const r = w.rows.get(name) ?? { contacted: 0, value: 0, expected: 0, perSeed: [] };
    r.contacted += ids.length;
    r.value += valueOf(ids);
    r.expected += expectedOf(ids);
    r.perSeed.push(`${Math.round(valueOf(ids))} (${ids.length})`);
    w.rows.set(name, r);
  };
  add('feature oracle', d.candidates.filter((c) => c.featureOracle > 0).sort((a, b) => b.featureOracle - a.featureOracle).slice(0, d.budget).map((c) => c.id));
  // The single decision as it runs (sized by the evidence), and at other risk tolerances.
  add(`single decision (as it runs)`, planSingleDecision(model, candidates, { contacts: d.budget, contactCost: d.contactCost, horizonMonths: H }).contact.map((c) => c.customerId));
  for (const tolerance of TOLERANCES.filter((t) => t !== PLAN_TOLERANCE)) add(`single decision, tolerance ${tolerance}`, planSingleDecision(model, candidates, { contacts: d.budget, contactCost: d.contactCost, horizonMonths: H, tolerance }).contact.map((c) => c.customerId));
  // The plan-level guard at each plan risk, kept for the staged decision's first wave.
  const plans = new Map();
  for (const risk of RISKS) {
    plans.set(risk, planSingleDecision(model, candidates, { contacts: d.budget, contactCost: d.contactCost, horizonMonths: H, risk }));
    add(risk === 1 ? 'single decision, expected value alone' : `single decision, guard at plan risk ${risk}`, plans.get(risk).contact.map((c) => c.customerId));
  }

  if (d.candidates[0]?.response) {
    const pilotRows = [...obs, ...notSampled];
    const byId = new Map(candidates.map((c) => [c.customerId, c]));
    const responseOf = new Map(d.candidates.map((c) => [c.id, c.response]));
    const priors = { ...DEFAULT_CONTACT_EFFECT_PRIORS, acceptedMultiplier: 1 - (retentionEffect ?? 1 - DEFAULT_CONTACT_EFFECT_PRIORS.acceptedMultiplier) };
    for (const v of STAGED) {
      const options = { contacts: d.budget, contactCost: d.contactCost, horizonMonths: H, risk: v.risk, firstWaveRisk: v.firstWaveRisk, firstWaveShare: v.firstWaveShare, holdout: v.holdout, capped: v.capped };
      let total = 0, contacted = 0, firstTotal = 0, firstContacted = 0;
      const guarded = plans.get(v.firstWaveRisk) ?? planSingleDecision(model, candidates, { ...options, risk: v.firstWaveRisk });
      plans.set(v.firstWaveRisk, guarded);
      for (let draw = 0; draw < STAGED_DRAWS; draw++) {
        const rng = createRng(d.seed * 7919 + draw);
        const first = planFirstWave(guarded, options, rng);
        const rows = [];
        const gone = new Set();
        for (const c of first.contact) {
          const r = responseOf.get(c.customerId);
          const accepted = rng.next() < r.accept;
          // The true churn over the window: the hazard's and, where the contract ends in it, the decision that day (dumps since 2026-12-06 21:00 UTC).
          const stays = horizonSurvival(r);
          rows.push({ covariates: byId.get(c.customerId).covariates, treated: true, accepted, churned: rng.next() < 1 - (accepted ? stays.accepted : stays.declined), expectedChurn: survive(byId.get(c.customerId).hazard) });
        }
        for (const id of first.holdout) {
          const churned = rng.next() < 1 - horizonSurvival(responseOf.get(id)).untreated;
          if (churned) gone.add(id);
          rows.push({ covariates: byId.get(id).covariates, treated: false, accepted: false, churned, expectedChurn: survive(byId.get(id).hazard) });
        }
        // With `confirm`, the first wave must show on its own (against every control) a plan worth making: a replication of the pilot, not its echo.
        const confirmed = !v.confirm || (rows.some((r) => r.treated) && planSecondWave(fitPilotUplift([...pilotRows.filter((r) => !r.treated), ...rows], priors), candidates.filter((c) => !gone.has(c.customerId)), first, options).contact.length > 0);
        const second = !confirmed ? [] : rows.length > 0
          ? planSecondWave(fitPilotUplift([...pilotRows, ...rows], priors), candidates.filter((c) => !gone.has(c.customerId)), first, options).contact.map((c) => c.customerId)
          : (plans.get(v.risk) ?? planSingleDecision(model, candidates, { ...options, risk: v.risk })).contact.map((c) => c.customerId);
        const firstIds = first.contact.map((c) => c.customerId);
        firstTotal += valueOf(firstIds);
        firstContacted += firstIds.length;
        total += valueOf(firstIds) + valueOf(second);
        contacted += firstIds.length + second.length;
      }
      const name = `staged ${v.firstWaveRisk}/${v.risk}, wave 1 ${v.firstWaveShare}${v.holdout ? ' + holdout' : ''}${v.confirm ? ', confirmed' : ''}${v.capped ? ', capped' : ''}`;
      const r = w.rows.get(name) ?? { contacted: 0, value: 0, perSeed: [] };
      r.contacted += Math.round(contacted / STAGED_DRAWS);
      r.value += total / STAGED_DRAWS;
      r.perSeed.push(`${Math.round(total / STAGED_DRAWS)} [w1 ${Math.round(firstTotal / STAGED_DRAWS)} (${Math.round(firstContacted / STAGED_DRAWS)})]`);
      w.rows.set(name, r);
    }
  }

  // The learning agent's first month: the agent itself on the twins as dumped (their features, contact
  // records and live scores), its ledger holding last quarter's campaign as agent evaluate's does.
  if (d.pilot[0]?.record !== undefined && process.env.LEARNING !== '0') {
    const never = { presented: 0, accepted: 0, declined: 0, ignored: 0 };
    const empty = { byKind: Object.fromEntries(OFFER_KINDS.map((k) => [k, never])), ...never, lastContactAt: 0, lastAcceptedAt: 0, leftAt: 0 };
    const twins = new Map(d.candidates.map((c) => [c.id, { features: row(c.features), record: empty, score: { active: true, churn: c.churn, clv: c.clv } }]));
    for (const q of d.pilot) if (q.featuresNow.length > 0) twins.set(q.id, { features: row(q.featuresNow), record: q.record ?? empty, score: undefined });
    const engine = { eventClock: d.now, customerIds: () => twins.keys(), features: (id) => twins.get(id)?.features, contactRecord: (id) => twins.get(id)?.record };
    const live = { scoreOf: (id) => twins.get(id)?.score };
    const costFor = (price) => offerCostOf(d.offerTerms ?? { discountPct: 10, months: 6 }, price);
    for (const risk of [undefined, 1]) {
      const agent = new LearningRetentionAgent({ offer: { id: d.offerId, kind: d.offerKind, costFor }, contactCost: d.contactCost, effectMonths: H, ...(risk === undefined ? {} : { risk }) });
      for (const q of d.pilot) agent.remember(q.id, { at: d.pilotAt, hazard: q.hazard, heldOut: !q.treated });
      const month = agent.planMonth(engine, live, d.budget, 12, d.seed * 1000);
      const name = `learning agent month 1, ${risk === undefined ? 'as it runs' : 'expected value alone'}`;
      const exploring = month.plan.contact.filter((c) => c.reason === 'explore').map((c) => c.customerId);
      add(name, month.plan.contact.map((c) => c.customerId));
      add(`  of which explore (${risk === undefined ? 'as it runs' : 'expected value alone'})`, exploring);
      if (risk === undefined) {
        const e = month.plan.exploration;
        const m = month.model;
        w.notes.push(`seed ${d.seed}: effects m_A ${m.acceptedMultiplier.mean.toFixed(2)} [${m.acceptedMultiplier.low.toFixed(2)}, ${m.acceptedMultiplier.high.toFixed(2)}], m_D ${m.contactMultiplier.mean.toFixed(2)} [${m.contactMultiplier.low.toFixed(2)}, ${m.contactMultiplier.high.toFixed(2)}]; exploration: ${e.customers} customers, value of information ${e.valueOfInformation.toFixed(0)} against cost ${e.cost.toFixed(0)} (perfect information ${e.perfectInformation.toFixed(0)} a month, ${e.monthsOfUse} months of use); counts ${JSON.stringify(month.plan.counts)}`);
      }
    }
  }

  for (const o of obs) {
    const key = `${o.treated ? (o.accepted ? 'accepted' : 'not accepted') : 'held out'}, ${o.features[m2mAt] === 0 ? 'month-to-month' : 'contract'}`;
    const p = w.pilot.get(key) ?? { customers: 0, churned: 0, expected: 0 };
    p.customers++;
    p.churned += o.churned ? 1 : 0;
    p.expected += o.expectedChurn;
    w.pilot.set(key, p);
  }
}

for (const [world, w] of byWorld) {
  console.log(`\n${world}, ${w.seeds} seed(s): true net value of each planner's picks (contacts) [the feature oracle's expectation of them], summed; per seed`);
  for (const [name, r] of w.rows) console.log(`  ${name.padEnd(42)} ${Math.round(r.value).toString().padStart(7)} (${r.contacted})${r.expected === undefined ? '' : ` [${Math.round(r.expected)}]`}  ${r.perSeed.join(' / ')}`);
  for (const note of w.notes) console.log(`  learning agent, ${note}`);
  console.log("  last quarter's campaign, churners against the churn model's expectation (uncalibrated), all seeds:");
  for (const [key, p] of [...w.pilot].sort()) console.log(`    ${key.padEnd(34)} ${String(p.customers).padStart(5)} customers, ${p.churned} churned, ${p.expected.toFixed(1)} expected`);
}
