#!/usr/bin/env node
// Compares retention planners on the same first decision, offline, in seconds: reads the dumps
// `twinloop agent evaluate --dump DIR` writes (one per world and seed: the candidates as the agents
// see them with the truth beside, and last quarter's randomised campaign) and, per world, sums over
// the seeds the true net value of each planner's picks:
// - the feature oracle among the same candidates (its expected value > 0, best first, up to the budget);
// - the single-decision agent as it runs (src/intelligence/uplift/pilot-uplift.ts: homogeneous
//   multipliers, contact where the value's 5th percentile is positive), and at lower cautions;
// - "trait-varying effects": the same planner with each multiplier log-linear in the acceptance
//   covariates (a Poisson regression of each branch's churners on them against the calibrated
//   expected churn, slopes N(0, 0.5²) per sd), the S-learner shrunk to the homogeneous multipliers
//   that docs/learning.md named as the way to locate the harm;
// - the learning agent's first month: the agent itself (src/agents/retention/learning-agent.ts) on the
//   twins as dumped, with last quarter's campaign in its ledger, as it runs (cautious multipliers) and
//   with no caution (the effects at their posterior medians; dumps from before 2026-12-04 22:25 lack the contact records it reads);
// and prints what the campaign shows (churners against expected per branch and contract type).
// Needs `npm run build` (reads dist/).
//
//   node scripts/agent-offline.mjs DIR/*.json
import { readFileSync } from 'node:fs';

const dist = new URL('../dist/', import.meta.url);
const { fitPilotUplift, planSingleDecision, contactValue, DEFAULT_CONTACT_EFFECT_PRIORS } = await import(new URL('intelligence/uplift/pilot-uplift.js', dist));
const { acceptanceCovariates } = await import(new URL('intelligence/uplift/acceptance-covariates.js', dist));
const { defaultCatalogue } = await import(new URL('decisioning/default-catalogue.js', dist));
const { LearningRetentionAgent } = await import(new URL('agents/retention/learning-agent.js', dist));
const { OFFER_KINDS } = await import(new URL('twin/twin-responses.js', dist));
const { offerCostOf } = await import(new URL('evaluation/retention-yardstick.js', dist));

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node scripts/agent-offline.mjs DUMP.json… (from twinloop agent evaluate --dump DIR)\n');
  process.exit(2);
}
const CAUTIONS = [1.645, 1, 0.5, 0];
const SLOPE_SD = 0.5;

/** Solves A x = b (Gauss–Jordan with partial pivoting; A is small and positive definite here). */
function solve(A, b) {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let i = 0; i < n; i++) {
    let p = i;
    for (let r = i + 1; r < n; r++) if (Math.abs(M[r][i]) > Math.abs(M[p][i])) p = r;
    [M[i], M[p]] = [M[p], M[i]];
    for (let r = 0; r < n; r++) {
      if (r === i) continue;
      const f = M[r][i] / M[i][i];
      for (let c = i; c <= n; c++) M[r][c] -= f * M[i][c];
    }
  }
  return M.map((row, i) => row[n] / row[i]);
}

/** MAP Poisson regression log μ = log e + θ·[1, z] with θ0 ~ N(prior0, sd0²), slopes ~ N(0, SLOPE_SD²); mean and covariance (Laplace). */
function poissonFit(Z, y, e, prior0, sd0) {
  const d = Z[0].length + 1;
  const pm = [prior0, ...Array(d - 1).fill(0)];
  const pv = [sd0 ** 2, ...Array(d - 1).fill(SLOPE_SD ** 2)];
  const th = [...pm];
  let Hm = [];
  for (let it = 0; it < 50; it++) {
    const g = new Array(d).fill(0);
    Hm = Array.from({ length: d }, () => new Array(d).fill(0));
    Z.forEach((z0, i) => {
      const z = [1, ...z0];
      const mu = e[i] * Math.exp(z.reduce((s, v, k) => s + v * th[k], 0));
      for (let a = 0; a < d; a++) {
        g[a] += z[a] * (y[i] - mu);
        for (let b = 0; b < d; b++) Hm[a][b] += z[a] * z[b] * mu;
      }
    });
    for (let a = 0; a < d; a++) {
      g[a] -= (th[a] - pm[a]) / pv[a];
      Hm[a][a] += 1 / pv[a];
    }
    const step = solve(Hm, g);
    step.forEach((s, a) => (th[a] += s));
    if (Math.max(...step.map(Math.abs)) < 1e-9) break;
  }
  const cov = Array.from({ length: d }, (_, j) => solve(Hm, Array.from({ length: d }, (_, i) => (i === j ? 1 : 0))));
  return { th, cov };
}

const byWorld = new Map();
for (const file of files) {
  const d = JSON.parse(readFileSync(file, 'utf8'));
  const H = d.horizonMonths;
  const survive = (h) => 1 - (1 - Math.min(1, Math.max(0, h))) ** H;
  const row = (features) => Float64Array.from(features);
  const m2mAt = d.featureNames.indexOf('contract_months');
  const obs = d.pilot.map((q) => ({ ...q, covariates: acceptanceCovariates(row(q.features), q.hazard), expectedChurn: survive(q.hazard) }));
  const retentionEffect = defaultCatalogue().byId.get(d.offerId)?.retentionEffect;
  const model = fitPilotUplift(obs, { ...DEFAULT_CONTACT_EFFECT_PRIORS, acceptedMultiplier: 1 - (retentionEffect ?? 1 - DEFAULT_CONTACT_EFFECT_PRIORS.acceptedMultiplier) });
  const candidates = d.candidates.map((c) => ({ customerId: c.id, covariates: acceptanceCovariates(row(c.features), c.churn), hazard: c.churn, value: c.clv, offerCost: c.offerCost }));
  const truth = new Map(d.candidates.map((c) => [c.id, c.truth]));
  const valueOf = (ids) => ids.reduce((s, id) => s + truth.get(id), 0);
  const w = byWorld.get(d.world) ?? { seeds: 0, rows: new Map(), pilot: new Map() };
  byWorld.set(d.world, w);
  w.seeds++;
  const add = (name, ids) => {
    const r = w.rows.get(name) ?? { contacted: 0, value: 0, perSeed: [] };
    r.contacted += ids.length;
    r.value += valueOf(ids);
    r.perSeed.push(Math.round(valueOf(ids)));
    w.rows.set(name, r);
  };
  add('feature oracle', d.candidates.filter((c) => c.featureOracle > 0).sort((a, b) => b.featureOracle - a.featureOracle).slice(0, d.budget).map((c) => c.id));
  for (const caution of CAUTIONS) add(`single decision, caution ${caution}`, planSingleDecision(model, candidates, { contacts: d.budget, contactCost: d.contactCost, horizonMonths: H, caution }).contact.map((c) => c.customerId));

  // Trait-varying effects: each branch's multiplier log-linear in the standardised covariates.
  const k = obs[0].covariates.length;
  const mean = Array.from({ length: k }, (_, j) => obs.reduce((s, o) => s + o.covariates[j], 0) / obs.length);
  const sd = mean.map((m, j) => Math.sqrt(obs.reduce((s, o) => s + (o.covariates[j] - m) ** 2, 0) / obs.length) || 1);
  const std = (x) => x.map((v, j) => (v - mean[j]) / sd[j]);
  const branch = (rows, prior) => poissonFit(rows.map((o) => std(o.covariates)), rows.map((o) => (o.churned ? 1 : 0)), rows.map((o) => model.calibration.mean * o.expectedChurn), Math.log(prior), 1 / Math.sqrt(DEFAULT_CONTACT_EFFECT_PRIORS.strength));
  const fitN = branch(obs.filter((o) => o.treated && !o.accepted), DEFAULT_CONTACT_EFFECT_PRIORS.declinedMultiplier);
  const fitA = branch(obs.filter((o) => o.treated && o.accepted), 1 - (retentionEffect ?? 0.25));
  const at = (fit, z) => {
    const g = [1, ...z];
    let m = 0, v = 0;
    for (let a = 0; a < g.length; a++) {
      m += g[a] * fit.th[a];
      for (let b = 0; b < g.length; b++) v += g[a] * fit.cov[a][b] * g[b];
    }
    return { mean: Math.exp(m), sd: Math.exp(m) * Math.sqrt(v) };
  };
  const varying = candidates.map((c) => {
    const z = std(c.covariates);
    const mA = at(fitA, z), mN = at(fitN, z);
    // The same planner per customer, with that customer's multipliers (an accepted offer drives nobody away, an unaccepted one keeps nobody).
    const own = { ...model, acceptedMultiplier: { mean: Math.min(1, mA.mean), sd: mA.sd }, declinedMultiplier: { mean: Math.max(1, mN.mean), sd: mN.sd } };
    return { id: c.customerId, v: (caution) => contactValue(own, c, { contactCost: d.contactCost, horizonMonths: H, caution }).score };
  });
  for (const caution of CAUTIONS) add(`trait-varying effects, caution ${caution}`, varying.map((x) => ({ id: x.id, s: x.v(caution) })).filter((x) => x.s > 0).sort((a, b) => b.s - a.s).slice(0, d.budget).map((x) => x.id));

  // The learning agent's first month: the agent itself on the twins as dumped (their features, contact
  // records and live scores), its ledger holding last quarter's campaign as agent evaluate's does.
  if (d.pilot[0]?.record !== undefined) {
    const never = { presented: 0, accepted: 0, declined: 0, ignored: 0 };
    const empty = { byKind: Object.fromEntries(OFFER_KINDS.map((k) => [k, never])), ...never, lastContactAt: 0, lastAcceptedAt: 0, leftAt: 0 };
    const twins = new Map(d.candidates.map((c) => [c.id, { features: row(c.features), record: empty, score: { active: true, churn: c.churn, clv: c.clv } }]));
    for (const q of d.pilot) if (q.featuresNow.length > 0) twins.set(q.id, { features: row(q.featuresNow), record: q.record ?? empty, score: undefined });
    const engine = { eventClock: d.now, customerIds: () => twins.keys(), features: (id) => twins.get(id)?.features, contactRecord: (id) => twins.get(id)?.record };
    const live = { scoreOf: (id) => twins.get(id)?.score };
    const costFor = (price) => offerCostOf(d.offerTerms ?? { discountPct: 10, months: 6 }, price);
    for (const cautious of [true, false]) {
      const agent = new LearningRetentionAgent({ offer: { id: d.offerId, kind: d.offerKind, costFor }, contactCost: d.contactCost, effectMonths: H, ...(cautious ? {} : { caution: 0 }) });
      for (const q of d.pilot) agent.remember(q.id, { at: d.pilotAt, hazard: q.hazard, heldOut: !q.treated });
      const month = agent.planMonth(engine, live, d.budget, 12, d.seed * 1000);
      add(`learning agent month 1, ${cautious ? 'as it runs' : 'no caution'}`, month.plan.contact.map((c) => c.customerId));
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
  console.log(`\n${world}, ${w.seeds} seed(s): true net value of each planner's picks (contacts), summed; per seed`);
  for (const [name, r] of w.rows) console.log(`  ${name.padEnd(36)} ${Math.round(r.value).toString().padStart(7)} (${r.contacted})  ${r.perSeed.join(' / ')}`);
  console.log("  last quarter's campaign, churners against the churn model's expectation (uncalibrated), all seeds:");
  for (const [key, p] of [...w.pilot].sort()) console.log(`    ${key.padEnd(34)} ${String(p.customers).padStart(5)} customers, ${p.churned} churned, ${p.expected.toFixed(1)} expected`);
}
