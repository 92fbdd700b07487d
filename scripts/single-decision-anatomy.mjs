#!/usr/bin/env node
// Where the single decision's value goes, beside the feature oracle's on the same customers (issue 10,
// target 1): reads the dumps `twinloop agent evaluate --dump DIR` writes (one per world and seed) and
// prints, per seed and summed per world:
// - who the feature oracle contacts (its expected value > 0, best first, up to the budget): how many,
//   their true value and its expectation, by true response type and by contract (month to month, a
//   contract ending within the offer's window, locked in beyond it);
// - the agent as it runs (src/intelligence/uplift/pilot-uplift.ts: the plan sized by the evidence) and its
//   worth list (every candidate with a positive posterior expected value, up to the budget: the plan a
//   risk-neutral planner on the same posterior makes), with the agent's own expected value per contact
//   beside the feature oracle's expectation and the truth;
// - what the pilot shows: the offered arm's churn against the controls' (intention to treat, with its sd),
//   the posterior of the two multipliers and of "no effect", and the posterior probability that the worth
//   list's value is above zero (the evidence the sizing reads);
// - what that list bets on: each posterior draw's intention to treat on the pilot's own offered arm against the
//   list's value in the draw (the share of the list's variance it explains, the reading at which the list breaks
//   even, and the posterior probability of being past it);
// - the ranking's own cap: the agent's formula at the candidates' true population effects (read from their true
//   responses), its top as many as the feature oracle picks, valued at the feature oracle's expectation;
// - what sizing alone could reach: the agent's ranking cut at its best length with hindsight (over the
//   truth, and over the feature oracle's expectation), and the feature oracle's own picks valued by the
//   agent's posterior (does the agent see the value the feature oracle plans on?).
// Needs `npm run build` (reads dist/, or DIST=DIR).
//
//   node scripts/single-decision-anatomy.mjs DIR/*.json
import { readFileSync } from 'node:fs';

const dist = process.env.DIST ? new URL(`file://${process.env.DIST.replace(/\/?$/, '/')}`) : new URL('../dist/', import.meta.url);
const { fitPilotUplift, planSingleDecision, DEFAULT_CONTACT_EFFECT_PRIORS } = await import(new URL('intelligence/uplift/pilot-uplift.js', dist));
const { acceptanceCovariates } = await import(new URL('intelligence/uplift/acceptance-covariates.js', dist));
const { defaultCatalogue } = await import(new URL('decisioning/default-catalogue.js', dist));
const { horizonSurvival } = await import(new URL('evaluation/retention-yardstick.js', dist));

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node scripts/single-decision-anatomy.mjs DUMP.json… (from twinloop agent evaluate --dump DIR)\n');
  process.exit(2);
}

const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const byWorld = new Map();
for (const file of files.sort()) {
  const d = JSON.parse(readFileSync(file, 'utf8'));
  const H = d.horizonMonths;
  const survive = (h) => 1 - (1 - Math.min(1, Math.max(0, h))) ** H;
  const row = (features) => Float64Array.from(features);
  const at = (name) => d.featureNames.indexOf(name);
  const obs = d.pilot.map((q) => ({ covariates: acceptanceCovariates(row(q.features), q.hazard), treated: q.treated, accepted: q.accepted, churned: q.churned, expectedChurn: survive(q.hazard) }));
  const notSampled = (d.notSampled ?? []).map((q) => ({ covariates: acceptanceCovariates(row(q.features), q.hazard), treated: false, accepted: false, churned: q.churned, expectedChurn: survive(q.hazard) }));
  const rows = [...obs, ...notSampled];
  const retentionEffect = defaultCatalogue().byId.get(d.offerId)?.retentionEffect;
  const model = fitPilotUplift(rows, { ...DEFAULT_CONTACT_EFFECT_PRIORS, acceptedMultiplier: 1 - (retentionEffect ?? 1 - DEFAULT_CONTACT_EFFECT_PRIORS.acceptedMultiplier) });
  const candidates = d.candidates.map((c) => ({ customerId: c.id, covariates: acceptanceCovariates(row(c.features), c.churn), hazard: c.churn, value: c.clv, offerCost: c.offerCost }));
  const byId = new Map(d.candidates.map((c) => [c.id, c]));
  const candidateOf = new Map(candidates.map((c) => [c.customerId, c]));

  // A candidate's net value in every posterior draw (the planner's formula, pilot-uplift.ts, without a contract's end: as the agent runs).
  const draws = model.draws;
  const netByDraw = (c) => {
    const a = model.acceptance(c.covariates).mean;
    const spend = d.contactCost + a * c.offerCost;
    const S = (h) => (1 - Math.min(1, Math.max(0, h))) ** H;
    return draws.map((x) => {
      const norm = a * x.selection + 1 - a;
      const hA = (c.hazard * x.calibration * x.selection) / norm;
      const hN = (c.hazard * x.calibration) / norm;
      return c.value * a * (S(hA * x.acceptedMultiplier) - S(hA)) + c.value * (1 - a) * (S(hN * x.declinedMultiplier) - S(hN)) - spend;
    });
  };
  const meanOf = (v) => v.reduce((s, x, i) => s + draws[i].weight * x, 0);
  const posteriorOfSum = (ids) => {
    const sum = new Float64Array(draws.length);
    for (const id of ids) netByDraw(candidateOf.get(id)).forEach((x, i) => (sum[i] += x));
    let mean = 0, second = 0, positive = 0;
    sum.forEach((x, i) => {
      mean += draws[i].weight * x;
      second += draws[i].weight * x * x;
      if (x > 0) positive += draws[i].weight;
    });
    return { mean, sd: Math.sqrt(Math.max(0, second - mean * mean)), positive };
  };

  const truthOf = (ids) => ids.reduce((s, id) => s + byId.get(id).truth, 0);
  const expectedOf = (ids) => ids.reduce((s, id) => s + byId.get(id).featureOracle, 0);
  const contractOf = (c) => (c.features[at('contract_months')] === 0 ? 'm2m' : c.features[at('contract_days_left')] < (H * 365.25) / 12 ? 'ends' : 'locked');
  const mix = (ids) => {
    const m = {};
    for (const id of ids) {
      const c = byId.get(id);
      m[c.type] = (m[c.type] ?? 0) + 1;
      m[contractOf(c)] = (m[contractOf(c)] ?? 0) + 1;
    }
    return m;
  };

  const fo = d.candidates.filter((c) => c.featureOracle > 0).sort((a, b) => b.featureOracle - a.featureOracle).slice(0, d.budget).map((c) => c.id);
  const plan = planSingleDecision(model, candidates, { contacts: d.budget, contactCost: d.contactCost, horizonMonths: H });
  const worth = planSingleDecision(model, candidates, { contacts: d.budget, contactCost: d.contactCost, horizonMonths: H, risk: 1 });
  const planIds = plan.contact.map((c) => c.customerId);
  const worthIds = worth.contact.map((c) => c.customerId);
  // The agent's ranking cut at its best length with hindsight: what any sizing of that ranking could reach.
  const bestPrefix = (ids, f) => {
    let s = 0, best = 0, k = 0;
    ids.forEach((id, i) => {
      s += f(id);
      if (s > best) [best, k] = [s, i + 1];
    });
    return { value: best, k };
  };
  const hindsight = bestPrefix(worthIds, (id) => byId.get(id).truth);
  const hindsightExpected = bestPrefix(worthIds, (id) => byId.get(id).featureOracle);
  const agentMean = (ids) => ids.reduce((s, id) => s + meanOf(netByDraw(candidateOf.get(id))), 0);

  // Intention to treat: the offered arm's churners against its expectation, over the controls' (calibration), with a Poisson sd.
  const arm = (rs) => ({ churned: rs.filter((r) => r.churned).length, expected: rs.reduce((s, r) => s + r.expectedChurn, 0) });
  const offered = arm(rows.filter((r) => r.treated));
  const controls = arm(rows.filter((r) => !r.treated));
  const itt = offered.churned / offered.expected / (controls.churned / controls.expected);
  const ittSd = itt * Math.sqrt(1 / Math.max(1, offered.churned) + 1 / Math.max(1, controls.churned));
  const noEffect = draws.reduce((s, x) => s + (x.acceptedMultiplier === 1 ? x.weight : 0), 0);
  const list = worthIds.length > 0 ? posteriorOfSum(worthIds) : { mean: 0, sd: 0, positive: 0 };
  // The candidates' intention to treat in truth, as the pilot measures it: churn over the window if every one were offered, against untouched.
  const ittTruth = (() => {
    let treated = 0, untreated = 0;
    for (const c of d.candidates) {
      if (!c.response) return NaN;
      const s = horizonSurvival(c.response);
      untreated += 1 - s.untreated;
      treated += 1 - (c.response.accept * s.accepted + (1 - c.response.accept) * s.declined);
    }
    return treated / untreated;
  })();

  // The ranking's own cap: the agent's formula (pilot-uplift.ts, effects shared by every candidate, a customer's
  // differences carried by its acceptance, hazard and value) at the candidates' true population effects, read from
  // their true responses (3-month churn, the contract's end counted: m_A the acceptors' treated ÷ untreated churn,
  // m_N the others', r the acceptors' untreated churn ÷ the others', the calibration the true untreated churn ÷ the
  // churn model's), the candidates ranked by it and the feature oracle's count of them taken: its expectation of them
  // against its own picks'. What no effect estimate can lift, only a richer model of who responds.
  const structure = (() => {
    if (fo.length === 0 || !d.candidates.every((c) => c.response)) return null;
    let aU = 0, aA = 0, nU = 0, nD = 0, sa = 0, sn = 0, churnTrue = 0, churnModel = 0;
    for (const c of d.candidates) {
      const s = horizonSurvival(c.response), a = c.response.accept;
      aU += a * (1 - s.untreated); aA += a * (1 - s.accepted); nU += (1 - a) * (1 - s.untreated); nD += (1 - a) * (1 - s.declined);
      sa += a; sn += 1 - a; churnTrue += 1 - s.untreated; churnModel += survive(c.churn);
    }
    const truth = { acceptedMultiplier: aA / aU, declinedMultiplier: nD / nU, selection: aU / sa / (nU / sn), calibration: churnTrue / churnModel };
    const S = (h) => (1 - Math.min(1, Math.max(0, h))) ** H;
    const at = (c, risk) => {
      const a = model.acceptance(c.covariates).mean;
      const norm = a * truth.selection + 1 - a;
      const hA = (risk.hazard * truth.calibration * truth.selection) / norm, hN = (risk.hazard * truth.calibration) / norm;
      const qA = (risk.endHazard * truth.calibration * truth.selection) / norm, qN = (risk.endHazard * truth.calibration) / norm;
      return c.value * a * (S(hA * truth.acceptedMultiplier) * (1 - qA * truth.acceptedMultiplier) - S(hA) * (1 - qA)) + c.value * (1 - a) * (S(hN * truth.declinedMultiplier) * (1 - qN * truth.declinedMultiplier) - S(hN) * (1 - qN)) - d.contactCost - a * c.offerCost;
    };
    const top = (risk) => expectedOf([...candidates].sort((x, y) => at(y, risk(y)) - at(x, risk(x))).slice(0, fo.length).map((c) => c.customerId));
    return { truth, expected: top((c) => ({ hazard: c.hazard, endHazard: 0 })), withEnds: d.withEnds?.candidates ? top((c) => d.withEnds.candidates[c.customerId]) : NaN };
  })();

  // What the worth list's value hangs on: each posterior draw's intention to treat on the pilot's own offered arm (its
  // churn if offered against untouched, the churn model's calibration cancelling: Σ e·(a·r·m_A + (1 − a)·m_N)/(a·r + 1 − a)
  // ÷ Σ e), beside the list's value in that draw. The weighted regression of the one on the other says how much of the
  // list's spread is the pilot's single reading (R²), the reading at which the list breaks even, and the posterior
  // probability that the reading is past it: a decision on this posterior is a bet on that one number.
  const bet = (() => {
    if (worthIds.length === 0) return null;
    const offeredRows = obs.filter((r) => r.treated).map((r) => ({ a: model.acceptance(r.covariates).mean, e: r.expectedChurn }));
    const value = new Float64Array(draws.length);
    for (const id of worthIds) netByDraw(candidateOf.get(id)).forEach((x, i) => (value[i] += x));
    const reading = draws.map((x) => {
      let num = 0, den = 0;
      for (const o of offeredRows) {
        num += (o.e * (o.a * x.selection * x.acceptedMultiplier + (1 - o.a) * x.declinedMultiplier)) / (o.a * x.selection + 1 - o.a);
        den += o.e;
      }
      return num / den;
    });
    const w = draws.map((x) => x.weight);
    const mean = (f) => w.reduce((a, wi, i) => a + wi * f(i), 0);
    const mx = mean((i) => reading[i]), my = mean((i) => value[i]);
    const vx = mean((i) => (reading[i] - mx) ** 2), vy = mean((i) => (value[i] - my) ** 2);
    const slope = mean((i) => (reading[i] - mx) * (value[i] - my)) / vx;
    const breakEven = mx - my / slope;
    return { itt: { mean: mx, sd: Math.sqrt(vx) }, r2: (slope * slope * vx) / vy, breakEven, pastIt: mean((i) => (slope < 0 ? reading[i] < breakEven : reading[i] > breakEven) ? 1 : 0) };
  })();

  // The feature oracle with its effect read from the same pilot: every candidate's expected value as the
  // feature oracle has it (the world's hidden model, latent parts integrated out: the best ranking the
  // observables allow), but the contact's effect, in the pilot's units, known only as far as the pilot
  // shows it. A contact's gross value (before its cost) is scaled by s, the effect's size against the
  // world's (s = 1 the truth, 0 none); s's posterior is the pilot's intention-to-treat reading against
  // the candidates' true one, log ρ̂ ~ N(log(1 − s·(1 − ρ)), 1/Y_offered + 1/Y_controls), under the
  // agent's own prior of even odds that the contact does nothing (s = 0) and the rest flat on (0, 3].
  // Planned risk-neutral (every candidate with E[value] > 0, best first, up to the budget) and sized as
  // the agent sizes (the certainty equivalent at 0.75 × the list's expected value).
  const scaled = (() => {
    if (!Number.isFinite(ittTruth) || offered.churned === 0 || controls.churned === 0) return null;
    const sigma2 = 1 / offered.churned + 1 / controls.churned;
    const grid = [{ s: 0, logP: Math.log(0.5) }, ...Array.from({ length: 300 }, (_, i) => ({ s: (i + 1) / 100, logP: Math.log(0.5 / 300) }))];
    const post = grid
      .map((g) => {
        const rho = 1 - g.s * (1 - ittTruth);
        return rho > 0 ? { s: g.s, logW: g.logP - (Math.log(itt) - Math.log(rho)) ** 2 / (2 * sigma2) } : null;
      })
      .filter(Boolean);
    const top = Math.max(...post.map((x) => x.logW));
    const total = post.reduce((a, x) => a + Math.exp(x.logW - top), 0);
    const ws = post.map((x) => Math.exp(x.logW - top) / total);
    const sMean = post.reduce((a, x, i) => a + ws[i] * x.s, 0);
    const sSd = Math.sqrt(post.reduce((a, x, i) => a + ws[i] * (x.s - sMean) ** 2, 0));
    // The contact's cost at the agent's predicted acceptance (what an operator would expect to pay; the truth's would leak who accepts).
    const cost = (c) => d.contactCost + model.acceptance(candidateOf.get(c.id).covariates).mean * c.offerCost;
    const valued = d.candidates.map((c) => ({ id: c.id, gross: c.featureOracle + cost(c), cost: cost(c) })).map((c) => ({ ...c, mean: sMean * c.gross - c.cost }));
    const list = valued.filter((c) => c.mean > 0).sort((a, b) => b.mean - a.mean).slice(0, d.budget);
    const tau = 0.75 * list.reduce((a, c) => a + c.mean, 0);
    let best = 0, k = 0;
    const plan = new Float64Array(post.length);
    list.forEach((c, n) => {
      post.forEach((x, i) => (plan[i] += x.s * c.gross - c.cost));
      if (tau > 0) {
        let m = -Infinity;
        for (let i = 0; i < plan.length; i++) m = Math.max(m, -plan[i] / tau);
        let sum = 0;
        for (let i = 0; i < plan.length; i++) sum += ws[i] * Math.exp(-plan[i] / tau - m);
        const ce = -tau * (m + Math.log(sum));
        if (ce > best) [best, k] = [ce, n + 1];
      }
    });
    const ids = list.map((c) => c.id);
    return { sMean, sSd, neutral: { n: ids.length, truth: truthOf(ids) }, sized: { n: k, truth: truthOf(ids.slice(0, k)) } };
  })();

  // The same agent reading a contract's end inside the horizon with the contract-end model (`agent-with-ends`), where the dump holds that reading.
  const ends = (() => {
    const r = d.withEnds;
    if (!r?.candidates) return null;
    const churnOver = (x) => 1 - (1 - Math.min(1, Math.max(0, x.hazard))) ** H * (1 - x.endHazard);
    const fit = fitPilotUplift(
      [...d.pilot, ...(d.notSampled ?? []).map((q) => ({ ...q, treated: false, accepted: false }))].map((q) => ({ covariates: acceptanceCovariates(row(q.features), q.hazard), treated: q.treated, accepted: q.accepted, churned: q.churned, expectedChurn: churnOver(r.campaign[q.id]) })),
      { ...DEFAULT_CONTACT_EFFECT_PRIORS, acceptedMultiplier: 1 - (retentionEffect ?? 1 - DEFAULT_CONTACT_EFFECT_PRIORS.acceptedMultiplier) },
    );
    const cs = candidates.map((c) => ({ ...c, hazard: r.candidates[c.customerId].hazard, endHazard: r.candidates[c.customerId].endHazard }));
    const options = { contacts: d.budget, contactCost: d.contactCost, horizonMonths: H };
    const sized = planSingleDecision(fit, cs, options).contact.map((c) => c.customerId);
    const list = planSingleDecision(fit, cs, { ...options, risk: 1 }).contact.map((c) => c.customerId);
    return { sized: { n: sized.length, truth: truthOf(sized) }, worth: { n: list.length, truth: truthOf(list), overlap: list.filter((id) => fo.includes(id)).length, mix: mix(list) }, hindsight: bestPrefix(list, (id) => byId.get(id).truth) };
  })();

  const seed = {
    seed: d.seed,
    budget: d.budget,
    candidates: d.candidates.length,
    fo: { n: fo.length, truth: truthOf(fo), expected: expectedOf(fo), agentMean: agentMean(fo), mix: mix(fo) },
    plan: { n: planIds.length, truth: truthOf(planIds), expected: expectedOf(planIds), agentMean: agentMean(planIds), mix: mix(planIds) },
    worth: { n: worthIds.length, truth: truthOf(worthIds), expected: expectedOf(worthIds), agentMean: list.mean, sd: list.sd, positive: list.positive, overlap: worthIds.filter((id) => fo.includes(id)).length, mix: mix(worthIds) },
    hindsight,
    hindsightExpected,
    scaled,
    ends,
    bet,
    structure,
    pilot: { offered: offered.churned, offeredExpected: offered.expected, controls: controls.churned, controlsExpected: controls.expected, itt, ittSd, ittTruth, mA: model.acceptedMultiplier, mN: model.declinedMultiplier, r: model.selection, noEffect, accepted: model.acceptedShare },
  };
  const w = byWorld.get(d.world) ?? [];
  w.push(seed);
  byWorld.set(d.world, w);
}

const mixText = (m) => ['persuadable', 'sureThing', 'lostCause', 'sleepingDog', 'm2m', 'ends', 'locked'].map((k) => `${k} ${m[k] ?? 0}`).join(', ');
for (const [world, seeds] of byWorld) {
  console.log(`\n${world}: ${seeds.length} seed(s)`);
  for (const s of seeds) {
    const p = s.pilot;
    console.log(`  seed ${s.seed}: budget ${s.budget} of ${s.candidates} candidates`);
    console.log(`    pilot: offered churned ${p.offered} of ${fmt(p.offeredExpected, 1)} expected, controls ${p.controls} of ${fmt(p.controlsExpected, 1)}; intention to treat ${fmt(p.itt, 2)} ± ${fmt(p.ittSd, 2)} (the candidates' truth ${fmt(p.ittTruth, 2)}); accepted ${fmt(p.accepted * 100)} %, m_A ${fmt(p.mA.mean, 2)} ± ${fmt(p.mA.sd, 2)}, m_N ${fmt(p.mN.mean, 2)} ± ${fmt(p.mN.sd, 2)}, r ${fmt(p.r.mean, 2)} ± ${fmt(p.r.sd, 2)}, P(m_A = 1) ${fmt(p.noEffect, 2)}`);
    console.log(`    feature oracle: ${s.fo.n} contacts, true ${fmt(s.fo.truth)}, its expectation ${fmt(s.fo.expected)} (${fmt(s.fo.expected / Math.max(1, s.fo.n), 1)} a contact), the agent's posterior mean of the same ${fmt(s.fo.agentMean)} (${fmt(s.fo.agentMean / Math.max(1, s.fo.n), 1)} a contact); ${mixText(s.fo.mix)}`);
    console.log(`    agent as it runs: ${s.plan.n} contacts, true ${fmt(s.plan.truth)}, feature oracle's expectation ${fmt(s.plan.expected)}, agent's ${fmt(s.plan.agentMean)}; ${mixText(s.plan.mix)}`);
    console.log(`    worth list (risk-neutral): ${s.worth.n} contacts (${s.worth.overlap} of them the feature oracle's), true ${fmt(s.worth.truth)}, feature oracle's expectation ${fmt(s.worth.expected)}, agent's ${fmt(s.worth.agentMean)} ± ${fmt(s.worth.sd)}, P(> 0) ${fmt(s.worth.positive, 2)}; ${mixText(s.worth.mix)}`);
    if (s.bet) console.log(`    what the worth list bets on: the pilot's intention to treat, posterior ${fmt(s.bet.itt.mean, 3)} ± ${fmt(s.bet.itt.sd, 3)} (truth ${fmt(p.ittTruth, 3)}), explains ${fmt(100 * s.bet.r2)} % of the list's variance; the list breaks even at ${fmt(s.bet.breakEven, 3)}, P(past it) ${fmt(s.bet.pastIt, 2)}`);
    if (s.scaled) console.log(`    feature oracle, its effect read from this pilot (s ${fmt(s.scaled.sMean, 2)} ± ${fmt(s.scaled.sSd, 2)} of the truth): risk-neutral ${s.scaled.neutral.n} contacts, true ${fmt(s.scaled.neutral.truth)}; sized as the agent sizes ${s.scaled.sized.n}, true ${fmt(s.scaled.sized.truth)}`);
    if (s.ends) console.log(`    with the contract-end model: as it runs ${s.ends.sized.n} contacts, true ${fmt(s.ends.sized.truth)}; worth list ${s.ends.worth.n} (${s.ends.worth.overlap} of them the feature oracle's), true ${fmt(s.ends.worth.truth)}, ${mixText(s.ends.worth.mix)}; its ranking at its best length in hindsight ${s.ends.hindsight.k}, true ${fmt(s.ends.hindsight.value)}`);
    if (s.structure && s.fo.n > 0) console.log(`    the agent's formula at the candidates' true effects (m_A ${fmt(s.structure.truth.acceptedMultiplier, 2)}, m_N ${fmt(s.structure.truth.declinedMultiplier, 2)}, r ${fmt(s.structure.truth.selection, 2)}, calibration ${fmt(s.structure.truth.calibration, 2)}): its top ${s.fo.n} worth ${fmt(s.structure.expected)} in the feature oracle's expectation (${fmt(s.structure.withEnds)} read with the contract-end model), against its own picks' ${fmt(s.fo.expected)}`);
    console.log(`    the agent's ranking at its best length in hindsight: ${s.hindsight.k} contacts, true ${fmt(s.hindsight.value)}; by the feature oracle's expectation ${s.hindsightExpected.k} contacts, ${fmt(s.hindsightExpected.value)}`);
  }
  const sum = (f) => seeds.reduce((a, s) => a + f(s), 0);
  const fo = sum((s) => s.fo.truth);
  const share = (x) => (fo > 0 ? ` (${fmt((100 * x) / fo)} %)` : '');
  console.log(`  summed: feature oracle ${fmt(fo)} (${sum((s) => s.fo.n)}), expectation ${fmt(sum((s) => s.fo.expected))}; agent ${fmt(sum((s) => s.plan.truth))}${share(sum((s) => s.plan.truth))} (${sum((s) => s.plan.n)}); worth list ${fmt(sum((s) => s.worth.truth))}${share(sum((s) => s.worth.truth))} (${sum((s) => s.worth.n)}); agent's ranking at its best length in hindsight ${fmt(sum((s) => s.hindsight.value))}${share(sum((s) => s.hindsight.value))}; feature oracle with the pilot's effect: risk-neutral ${fmt(sum((s) => s.scaled?.neutral.truth ?? 0))}${share(sum((s) => s.scaled?.neutral.truth ?? 0))} (${sum((s) => s.scaled?.neutral.n ?? 0)}), sized ${fmt(sum((s) => s.scaled?.sized.truth ?? 0))}${share(sum((s) => s.scaled?.sized.truth ?? 0))} (${sum((s) => s.scaled?.sized.n ?? 0)})`);
  if (seeds.some((s) => s.structure)) console.log(`  the agent's formula at the true effects, top as many as the feature oracle picks, in its expectation: ${fmt(sum((s) => s.structure?.expected ?? 0))} (${fmt(sum((s) => s.structure?.withEnds ?? 0))} with the contract-end model) against ${fmt(sum((s) => s.fo.expected))}`);
  if (seeds.every((s) => s.ends)) console.log(`  with the contract-end model: as it runs ${fmt(sum((s) => s.ends.sized.truth))}${share(sum((s) => s.ends.sized.truth))} (${sum((s) => s.ends.sized.n)}); worth list ${fmt(sum((s) => s.ends.worth.truth))}${share(sum((s) => s.ends.worth.truth))} (${sum((s) => s.ends.worth.n)}); its ranking at its best length in hindsight ${fmt(sum((s) => s.ends.hindsight.value))}${share(sum((s) => s.ends.hindsight.value))}`);
}
