#!/usr/bin/env node
// What size of pilot the single decision needs to reach the feature oracle (issue 10, target 1), and what
// shape of effect model: reads the dumps `twinloop agent evaluate --dump DIR` writes (one per world and seed:
// the candidates as the agent sees them with each one's true response beside) and prints, per world and summed
// over its seeds, the feature oracle's expectation of each planner's picks (the truth averaged over what the
// observables leave hidden, so a plan of a few customers is read without its luck) and their true value:
// - the feature oracle itself (its expected value > 0, best first, up to the budget) and the agent on the dump's own
//   pilot (pilot-uplift.ts: the plan sized by the evidence), as it runs (the churn model's calibration per stratum
//   of contract phase and risk, read on the campaign's controls: stratum-calibration.ts) and with one calibration
//   for all, as it ran until 2026-12-07 16:00 UTC; each also risk-neutral (the whole worth list);
// - the pilot's reading replaced by the truth (an infinite pilot): the agent's own planner
//   (`planSingleDecision`) with its effects (m_A, m_N, the selection factor r and the churn model's
//   calibration) set to the candidates' true averages, read from their true responses, either one set for
//   every candidate (the agent's shape) or one per stratum (contract: month to month, ending inside the
//   offer's window, locked in beyond it; × the churn score's tercile): what no pilot of this model can pass;
// - synthetic pilots of other sizes: a world of N customers (CUSTOMERS, default 2000,6000,24000,96000,384000)
//   drawn from the candidates with their true responses, 15 % offered (half of the harness's 30 % sample) and the
//   other 85 % controls, as `agent evaluate` runs its campaign; each offered customer accepts and churns over the
//   window, each control churns, as the sandbox draws them; REPLICATES pilots per size (default 4), the figures
//   their mean. Planned as the agent runs and with one calibration, each sized by the evidence and risk-neutral
//   (every candidate with a positive expected value, up to the budget), and with the effects too per stratum
//   (one `fitPilotUplift` per stratum, its priors the shared fit's posterior means worth STRATUM_STRENGTH
//   expected churns, default 20: shrunk to the shared effect; risk-neutral).
// The acceptance model is always the pilot's own (the dump's, or the synthetic pilot's). Needs `npm run build`
// (reads dist/, or DIST=DIR).
//
//   node scripts/single-decision-pilot-size.mjs DIR/*.json
import { readFileSync } from 'node:fs';

const dist = process.env.DIST ? new URL(`file://${process.env.DIST.replace(/\/?$/, '/')}`) : new URL('../dist/', import.meta.url);
const { fitPilotUplift, planSingleDecision, DEFAULT_CONTACT_EFFECT_PRIORS } = await import(new URL('intelligence/uplift/pilot-uplift.js', dist));
const { acceptanceCovariates } = await import(new URL('intelligence/uplift/acceptance-covariates.js', dist));
const { defaultCatalogue } = await import(new URL('decisioning/default-catalogue.js', dist));
const { horizonSurvival } = await import(new URL('evaluation/retention-yardstick.js', dist));
const { createRng } = await import(new URL('intelligence/random.js', dist));
const { fitStratumCalibration, recalibratedChurn, recalibratedHazard, contractPhase, STRATUM_CALIBRATION_STRENGTH } = await import(new URL('intelligence/uplift/stratum-calibration.js', dist));

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node scripts/single-decision-pilot-size.mjs DUMP.json… (from twinloop agent evaluate --dump DIR)\n');
  process.exit(2);
}
const SIZES = (process.env.CUSTOMERS ?? '2000,6000,24000,96000,384000').split(',').filter(Boolean).map(Number);
const REPLICATES = Number(process.env.REPLICATES ?? 4);
const STRATUM_STRENGTH = Number(process.env.STRATUM_STRENGTH ?? 20);
const CALIBRATION_STRENGTH = Number(process.env.CALIBRATION_STRENGTH ?? STRATUM_CALIBRATION_STRENGTH);
/** The harness's campaign: 30 % of the active customers sampled, half of them offered. */
const OFFERED_SHARE = 0.15;

const byWorld = new Map();
for (const file of files.sort()) {
  const d = JSON.parse(readFileSync(file, 'utf8'));
  if (!d.candidates[0]?.response) {
    process.stderr.write(`${file}: no true responses in the dump (dumps since 2026-12-06 11:00 UTC hold them); skipped\n`);
    continue;
  }
  const H = d.horizonMonths;
  const survive = (h) => 1 - (1 - Math.min(1, Math.max(0, h))) ** H;
  const row = (features) => Float64Array.from(features);
  const retentionEffect = defaultCatalogue().byId.get(d.offerId)?.retentionEffect;
  const priors = { ...DEFAULT_CONTACT_EFFECT_PRIORS, acceptedMultiplier: 1 - (retentionEffect ?? 1 - DEFAULT_CONTACT_EFFECT_PRIORS.acceptedMultiplier) };
  const options = { contacts: d.budget, contactCost: d.contactCost, horizonMonths: H };

  const cands = d.candidates.map((c) => ({ ...c, row: row(c.features), covariates: acceptanceCovariates(row(c.features), c.churn), stays: horizonSurvival(c.response) }));
  const candidates = cands.map((c) => ({ customerId: c.id, covariates: c.covariates, hazard: c.churn, value: c.clv, offerCost: c.offerCost }));
  const byId = new Map(cands.map((c) => [c.id, c]));
  const expectedOf = (ids) => ids.reduce((s, id) => s + byId.get(id).featureOracle, 0);
  const truthOf = (ids) => ids.reduce((s, id) => s + byId.get(id).truth, 0);

  // Strata: the contract's phase (what the sandbox's response drivers and a renewal's risk turn on) × the churn score's tercile.
  const scores = cands.map((c) => c.churn).sort((a, b) => a - b);
  const cut = [scores[Math.floor(scores.length / 3)], scores[Math.floor((2 * scores.length) / 3)]];
  const stratumOf = (f, churn) => `${contractPhase(row(f), H)}/${churn < cut[0] ? 'low' : churn < cut[1] ? 'mid' : 'high'}`;
  for (const c of cands) c.stratum = stratumOf(c.features, c.churn);

  // The churn model recalibrated per stratum on a campaign's controls (stratum-calibration.ts, as the agent reads it):
  // the rows' expected churn and the candidates' hazards rescaled by their stratum's factor over the pooled one.
  const recalibration = (rows) => {
    const calibration = fitStratumCalibration(rows.filter((r) => !r.treated).map((r) => ({ features: r.features, hazard: r.hazard, expectedChurn: r.expectedChurn, churned: r.churned })), H, CALIBRATION_STRENGTH);
    return {
      rows: rows.map((r) => ({ ...r, expectedChurn: recalibratedChurn(calibration, calibration.stratumOf(r.features, r.hazard), r.expectedChurn) })),
      candidates: candidates.map((c) => ({ ...c, hazard: recalibratedHazard(calibration, calibration.stratumOf(byId.get(c.customerId).row, c.hazard), c.hazard, H) })),
    };
  };

  // The true population effects of a group of candidates, in the agent's units (3-month churn, the contract's end counted).
  const truthEffects = (group) => {
    let aU = 0, aA = 0, nU = 0, nD = 0, sa = 0, sn = 0, churnTrue = 0, churnModel = 0;
    for (const c of group) {
      const s = c.stays, a = c.response.accept;
      aU += a * (1 - s.untreated); aA += a * (1 - s.accepted); nU += (1 - a) * (1 - s.untreated); nD += (1 - a) * (1 - s.declined);
      sa += a; sn += 1 - a; churnTrue += 1 - s.untreated; churnModel += survive(c.churn);
    }
    return { weight: 1, acceptedMultiplier: aU > 0 ? aA / aU : 1, declinedMultiplier: nU > 0 ? nD / nU : 1, selection: aU > 0 && nU > 0 ? aU / sa / (nU / sn) : 1, calibration: churnTrue / churnModel };
  };
  // The agent's planner on one point of the effects: the pilot's acceptance, the truth's effects.
  const pointModel = (acceptance, effects) => ({ draws: [effects], acceptance });
  const worthOf = (model, group) => planSingleDecision(model, group, { ...options, risk: 1 }).contact;
  const merged = (lists) => lists.flat().sort((x, y) => y.mean - x.mean).slice(0, d.budget).map((c) => c.customerId);
  const strata = [...new Set(cands.map((c) => c.stratum))].sort();
  const candidatesOf = (s) => candidates.filter((c) => byId.get(c.customerId).stratum === s);

  const w = byWorld.get(d.world) ?? { seeds: 0, rows: new Map(), notes: [] };
  byWorld.set(d.world, w);
  w.seeds++;
  const add = (name, ids) => {
    const r = w.rows.get(name) ?? { expected: 0, truth: 0, contacts: 0, perSeed: [] };
    r.expected += expectedOf(ids);
    r.truth += truthOf(ids);
    r.contacts += ids.length;
    r.perSeed.push(`${Math.round(expectedOf(ids))} (${ids.length})`);
    w.rows.set(name, r);
  };
  const addMean = (name, runs) => {
    const r = w.rows.get(name) ?? { expected: 0, truth: 0, contacts: 0, perSeed: [], min: [] };
    const e = runs.map((ids) => expectedOf(ids));
    r.expected += e.reduce((a, b) => a + b, 0) / runs.length;
    r.truth += runs.reduce((a, ids) => a + truthOf(ids), 0) / runs.length;
    r.contacts += runs.reduce((a, ids) => a + ids.length, 0) / runs.length;
    r.perSeed.push(`${Math.round(e.reduce((a, b) => a + b, 0) / runs.length)} [${Math.round(Math.min(...e))}, ${Math.round(Math.max(...e))}]`);
    w.rows.set(name, r);
  };

  add('feature oracle', cands.filter((c) => c.featureOracle > 0).sort((a, b) => b.featureOracle - a.featureOracle).slice(0, d.budget).map((c) => c.id));
  // The agent on the dump's own pilot, as it runs (the contract's end not read: as `decideOnce` runs without it).
  const obs = [
    ...d.pilot.map((q) => ({ covariates: acceptanceCovariates(row(q.features), q.hazard), treated: q.treated, accepted: q.accepted, churned: q.churned, expectedChurn: survive(q.hazard), features: row(q.features), hazard: q.hazard })),
    ...(d.notSampled ?? []).map((q) => ({ covariates: acceptanceCovariates(row(q.features), q.hazard), treated: false, accepted: false, churned: q.churned, expectedChurn: survive(q.hazard), features: row(q.features), hazard: q.hazard })),
  ];
  const own = fitPilotUplift(obs, priors);
  add('agent, one calibration (before 2026-12-07 16:00)', planSingleDecision(own, candidates, options).contact.map((c) => c.customerId));
  add('  one calibration, risk-neutral', worthOf(own, candidates).map((c) => c.customerId));
  const ownRecal = recalibration(obs);
  const ownRecalModel = fitPilotUplift(ownRecal.rows, priors);
  add('agent as it runs (calibration per stratum)', planSingleDecision(ownRecalModel, ownRecal.candidates, options).contact.map((c) => c.customerId));
  add('  calibration per stratum, risk-neutral', worthOf(ownRecalModel, ownRecal.candidates).map((c) => c.customerId));
  // An infinite pilot: the truth's effects, shared and per stratum.
  add('truth read, one effect for all (infinite pilot)', worthOf(pointModel(own.acceptance, truthEffects(cands)), candidates).map((c) => c.customerId));
  const shared = truthEffects(cands);
  const trueRatio = (s) => truthEffects(cands.filter((c) => c.stratum === s)).calibration / shared.calibration;
  add('truth read, one effect, calibration per stratum', merged(strata.map((s) => worthOf(pointModel(own.acceptance, { ...shared, calibration: shared.calibration * trueRatio(s) }), candidatesOf(s)))));
  add('truth read, per stratum (infinite pilot)', merged(strata.map((s) => worthOf(pointModel(own.acceptance, truthEffects(cands.filter((c) => c.stratum === s))), candidatesOf(s)))));
  w.notes.push(`seed ${d.seed}: strata ${strata.map((s) => { const t = truthEffects(cands.filter((c) => c.stratum === s)); return `${s} ${cands.filter((c) => c.stratum === s).length} m_A ${t.acceptedMultiplier.toFixed(2)} m_N ${t.declinedMultiplier.toFixed(2)}`; }).join('; ')}`);

  // Synthetic pilots of N customers, drawn from the candidates with their true responses.
  for (const N of SIZES) {
    const runs = { shared: [], neutral: [], recal: [], recalNeutral: [], strata: [] };
    for (let rep = 0; rep < REPLICATES; rep++) {
      const rng = createRng(d.seed * 1_000_003 + N * 7 + rep);
      const rows = [];
      for (let i = 0; i < N; i++) {
        const c = cands[Math.floor(rng.next() * cands.length)];
        const treated = rng.next() < OFFERED_SHARE;
        const accepted = treated && rng.next() < c.response.accept;
        const stays = !treated ? c.stays.untreated : accepted ? c.stays.accepted : c.stays.declined;
        rows.push({ covariates: c.covariates, treated, accepted, churned: rng.next() >= stays, expectedChurn: survive(c.churn), stratum: c.stratum, features: c.row, hazard: c.churn });
      }
      const model = fitPilotUplift(rows, priors);
      runs.shared.push(planSingleDecision(model, candidates, options).contact.map((c) => c.customerId));
      runs.neutral.push(worthOf(model, candidates).map((c) => c.customerId));
      const recal = recalibration(rows);
      const recalModel = fitPilotUplift(recal.rows, priors);
      runs.recal.push(planSingleDecision(recalModel, recal.candidates, options).contact.map((c) => c.customerId));
      runs.recalNeutral.push(worthOf(recalModel, recal.candidates).map((c) => c.customerId));
      // Per stratum, shrunk to the shared fit: its posterior means as the prior, worth STRATUM_STRENGTH expected churns.
      const shrunk = { ...priors, acceptedMultiplier: Math.min(0.999, model.acceptedMultiplier.mean), declinedMultiplier: Math.max(1.001, model.declinedMultiplier.mean), strength: STRATUM_STRENGTH };
      runs.strata.push(merged(strata.map((s) => {
        const sub = rows.filter((r) => r.stratum === s);
        if (!sub.some((r) => r.treated) || !sub.some((r) => !r.treated)) return [];
        return worthOf(fitPilotUplift(sub, shrunk), candidatesOf(s));
      })));
    }
    addMean(`pilot of ${N} customers: one calibration`, runs.shared);
    addMean(`pilot of ${N} customers: one calibration, risk-neutral`, runs.neutral);
    addMean(`pilot of ${N} customers: as it runs (per stratum)`, runs.recal);
    addMean(`pilot of ${N} customers: per stratum, risk-neutral`, runs.recalNeutral);
    addMean(`pilot of ${N} customers: effects per stratum, shrunk, risk-neutral`, runs.strata);
  }
}

for (const [world, w] of byWorld) {
  const fo = w.rows.get('feature oracle');
  console.log(`\n## ${world} (${w.seeds} seeds): the feature oracle's expectation of the picks, summed (share of the feature oracle's own), true value, contacts; per seed: expectation (contacts) or mean [min, max] over ${REPLICATES} pilots`);
  for (const [name, r] of w.rows) {
    const share = fo.expected > 0 ? ` ${((100 * r.expected) / fo.expected).toFixed(0)} %` : '';
    console.log(`${name.padEnd(58)} ${Math.round(r.expected).toString().padStart(8)}${share.padStart(6)}  truth ${Math.round(r.truth).toString().padStart(7)}  contacts ${Math.round(r.contacts).toString().padStart(5)}   ${r.perSeed.join(' / ')}`);
  }
  for (const n of w.notes) console.log(n);
}
