#!/usr/bin/env node
// What a differently designed pilot would give the single decision, offline, on the harness's dumps
// (`twinloop agent evaluate --dump DIR`, dumps since 2026-12-06 11:00 UTC hold each candidate's true
// response now). On each dump's candidates a synthetic randomised pilot is drawn, its answers and its
// churn over the offer's window drawn from their true responses (as the sandbox draws them, the world
// standing still), the single decision fitted on it as it runs (src/intelligence/uplift/pilot-uplift.ts)
// and planned on the customers the pilot did not offer; its value is the truth of its picks, beside the
// feature oracle's picks among the same customers. So pilot designs are compared on the same customers
// and truth, DRAWS pilots a seed, in seconds instead of a harness run each.
// Environment:
//   DESIGNS   comma-separated: `uniform` (a random sample), `riskK` (sampling weight ∝ the live churn
//             score to the power K: a risk-weighted pilot); default uniform,risk1
//   OFFERED   the offered share of the customers (default 0.2; the sample is twice that, half held out)
//   CONTROLS  `all` (every customer not offered, as the single decision reads a uniform campaign) or
//             `heldout` (the sample's held-out half only); default all
//   POOL      `seed` (each dump alone) or `union` (a world's seeds' candidates as one base, about three
//             times the customers: the 6,000 from 2,000-customer dumps); default seed
//   PLAN      JSON options of planSingleDecision beside the budget (e.g. {"tolerance":1} or {"risk":1})
//   DRAWS     pilots per seed (default 6)
//
//   node scripts/pilot-design.mjs DIR/*.json
import { readFileSync } from 'node:fs';

const dist = process.env.DIST ? new URL(`file://${process.env.DIST.replace(/\/?$/, '/')}`) : new URL('../dist/', import.meta.url);
const { fitPilotUplift, planSingleDecision, DEFAULT_CONTACT_EFFECT_PRIORS } = await import(new URL('intelligence/uplift/pilot-uplift.js', dist));
const { acceptanceCovariates } = await import(new URL('intelligence/uplift/acceptance-covariates.js', dist));
const { defaultCatalogue } = await import(new URL('decisioning/default-catalogue.js', dist));
const { createRng } = await import(new URL('intelligence/random.js', dist));
const { horizonSurvival } = await import(new URL('evaluation/retention-yardstick.js', dist));

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node scripts/pilot-design.mjs DUMP.json… (from twinloop agent evaluate --dump DIR)\n');
  process.exit(2);
}
const DRAWS = Number(process.env.DRAWS ?? 6);
const OFFERED = Number(process.env.OFFERED ?? 0.2);
const DESIGNS = (process.env.DESIGNS ?? 'uniform,risk1').split(',').filter(Boolean);
const CONTROLS = process.env.CONTROLS ?? 'all';
const PLAN = JSON.parse(process.env.PLAN ?? '{}');
for (const d of DESIGNS) if (d !== 'uniform' && !/^risk\d+(\.\d+)?$/.test(d)) throw new Error(`unknown design "${d}": uniform or riskK`);
if (!(OFFERED > 0 && OFFERED <= 0.5)) throw new Error(`OFFERED must be in (0, 0.5]; got ${OFFERED}`);
if (CONTROLS !== 'all' && CONTROLS !== 'heldout') throw new Error(`CONTROLS must be all or heldout; got ${CONTROLS}`);

let dumps = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));
if (!dumps.every((d) => d.candidates[0]?.response)) throw new Error("these dumps hold no candidate's true response (dumps since 2026-12-06 11:00 UTC do)");
if (process.env.POOL === 'union') {
  // One world's seeds as one base: their candidates together, their budgets summed.
  const byWorld = new Map();
  for (const d of dumps) {
    const candidates = d.candidates.map((c) => ({ ...c, id: `${d.seed}:${c.id}` }));
    const u = byWorld.get(d.world);
    if (!u) byWorld.set(d.world, { ...d, seed: 0, candidates });
    else byWorld.set(d.world, { ...u, candidates: u.candidates.concat(candidates), budget: u.budget + d.budget });
  }
  dumps = [...byWorld.values()];
}

const results = new Map();
for (const d of dumps) {
  const H = d.horizonMonths;
  const churnWithin = (h) => 1 - (1 - Math.min(1, Math.max(0, h))) ** H;
  const retentionEffect = defaultCatalogue().byId.get(d.offerId)?.retentionEffect;
  const priors = { ...DEFAULT_CONTACT_EFFECT_PRIORS, acceptedMultiplier: 1 - (retentionEffect ?? 1 - DEFAULT_CONTACT_EFFECT_PRIORS.acceptedMultiplier) };
  const pool = d.candidates.map((c) => ({ id: c.id, covariates: acceptanceCovariates(Float64Array.from(c.features), c.churn), hazard: c.churn, value: c.clv, offerCost: c.offerCost, response: c.response, truth: c.truth, featureOracle: c.featureOracle }));
  const offeredCount = Math.round(pool.length * OFFERED);
  const w = results.get(d.world) ?? new Map();
  results.set(d.world, w);
  for (const design of DESIGNS) {
    const k = design === 'uniform' ? 0 : Number(design.slice(4));
    const r = w.get(design) ?? { value: 0, contacts: 0, featureOracle: 0, perSeed: [] };
    let seedValue = 0;
    for (let draw = 0; draw < DRAWS; draw++) {
      const rng = createRng(d.seed * 1009 + draw * 7 + 1);
      // A weighted sample without replacement (Efraimidis–Spirakis keys), half of it offered at random.
      const sample = pool
        .map((p, i) => ({ i, key: Math.log(rng.next()) / Math.max(1e-9, p.hazard ** k) }))
        .sort((a, b) => b.key - a.key)
        .slice(0, 2 * offeredCount)
        .map((x) => x.i);
      const offered = new Set();
      for (const i of sample) if (offered.size < offeredCount && rng.next() < 0.5) offered.add(i);
      const inSample = new Set(sample);
      const rows = [];
      pool.forEach((p, i) => {
        if (CONTROLS === 'heldout' && !inSample.has(i)) return;
        const treated = offered.has(i);
        const accepted = treated && rng.next() < p.response.accept;
        // The true survival over the window: the hazard's and, where the contract ends in it, the decision that day (dumps since 2026-12-06 21:00 UTC).
        const stays = horizonSurvival(p.response);
        rows.push({ covariates: p.covariates, treated, accepted, churned: rng.next() < 1 - (!treated ? stays.untreated : accepted ? stays.accepted : stays.declined), expectedChurn: churnWithin(p.hazard) });
      });
      const model = fitPilotUplift(rows, priors);
      const rest = pool.filter((_, i) => !offered.has(i));
      const plan = planSingleDecision(model, rest.map((p) => ({ customerId: p.id, covariates: p.covariates, hazard: p.hazard, value: p.value, offerCost: p.offerCost })), { contacts: d.budget, contactCost: d.contactCost, horizonMonths: H, ...PLAN });
      const truth = new Map(rest.map((p) => [p.id, p.truth]));
      const value = plan.contact.reduce((s, c) => s + truth.get(c.customerId), 0);
      r.value += value / DRAWS;
      r.contacts += plan.contact.length / DRAWS;
      r.featureOracle += rest.filter((p) => p.featureOracle > 0).sort((a, b) => b.featureOracle - a.featureOracle).slice(0, d.budget).reduce((s, p) => s + p.truth, 0) / DRAWS;
      seedValue += value / DRAWS;
    }
    r.perSeed.push(Math.round(seedValue));
    w.set(design, r);
  }
}
console.log(`offered ${OFFERED} of the customers, controls ${CONTROLS}, ${DRAWS} pilots a seed${process.env.POOL === 'union' ? ", a world's seeds as one base" : ''}; plan ${JSON.stringify(PLAN)}`);
for (const [world, w] of results) {
  console.log(world);
  for (const [design, r] of w) console.log(`  ${design.padEnd(8)} ${String(Math.round(r.value)).padStart(7)} (${Math.round(r.contacts)} contacts) against the feature oracle's ${Math.round(r.featureOracle)} on the same customers; per seed ${r.perSeed.join(' / ')}`);
}
