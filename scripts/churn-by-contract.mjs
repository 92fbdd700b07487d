#!/usr/bin/env node
// The live churn score against the truth by how many days a customer's contract has left, on the
// dumps `twinloop agent evaluate --dump DIR` writes (one per world and seed), pooled per world:
// - the single decision's candidates: the served 30-day score, their true churn within 30 days (the
//   oracle's locked-in hazard and, at a contract's end inside the window, its decision: leaving with
//   1 − (1 − h_m2m)^months, `contractEnd`), and over the offer's three months as the agent reads it
//   (the score compounded) and in truth;
// - last quarter's controls (its held out and the customers its sample left out): their churn over
//   the three months since against the score at the campaign compounded, the expectation the pilot
//   reads its effects against.
// Reads only the dumps (the truth is in them); docs/learning.md, "The churn model at a renewal".
//
//   node scripts/churn-by-contract.mjs DIR/*.json
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node scripts/churn-by-contract.mjs DUMP.json… (from twinloop agent evaluate --dump DIR)\n');
  process.exit(2);
}
const BANDS = [['ends in 0-30 days', 0, 30], ['ends in 31-91 days', 31, 91], ['ends in 92-365 days', 92, 365], ['ends in > 365 days', 366, Infinity], ['month to month']];
const byWorld = new Map();
for (const file of files) {
  const d = JSON.parse(readFileSync(file, 'utf8'));
  const H = d.horizonMonths;
  const daysLeft = d.featureNames.indexOf('contract_days_left');
  const months = d.featureNames.indexOf('contract_months');
  const bandOf = (f) => (f[months] === 0 ? BANDS.length - 1 : BANDS.findIndex(([, lo, hi]) => f[daysLeft] >= lo && f[daysLeft] <= hi));
  if (!byWorld.has(d.world)) byWorld.set(d.world, { seeds: [], bands: BANDS.map(() => ({ n: 0, score: 0, true30: 0, agent: 0, trueH: 0, controls: 0, churned: 0, expected: 0 })) });
  const w = byWorld.get(d.world);
  w.seeds.push(d.seed);
  for (const c of d.candidates) {
    const r = c.response;
    if (!r) throw new Error(`${file}: the candidates carry no true response (dumps since 2026-12-06 11:00 UTC do)`);
    const end = r.contractEnd;
    const staysThroughEnd = end ? (1 - end.hazardUntreated) ** end.hazardMonths : 1;
    const b = w.bands[bandOf(c.features)];
    b.n++;
    b.score += c.churn;
    b.agent += 1 - (1 - c.churn) ** H;
    b.true30 += 1 - (1 - r.hazardUntreated) * (end && end.inDays < 30 ? staysThroughEnd : 1);
    b.trueH += 1 - (1 - r.hazardUntreated) ** H * (end && end.inDays < H * 30.4375 ? staysThroughEnd : 1);
  }
  for (const q of [...d.pilot.filter((p) => !p.treated), ...(d.notSampled ?? [])]) {
    const b = w.bands[bandOf(q.features)];
    b.controls++;
    b.churned += q.churned ? 1 : 0;
    b.expected += 1 - (1 - q.hazard) ** H;
  }
}
const fix = (x, n) => (n > 0 ? (x / n).toFixed(3) : '–');
for (const [world, w] of byWorld) {
  process.stdout.write(`${world}, seeds ${w.seeds.sort((a, b) => a - b).join(',')}\n`);
  process.stdout.write('  contract              candidates  30-day score  true 30-day  agent 3 months  true 3 months | controls  churned  expected\n');
  BANDS.forEach(([name], i) => {
    const b = w.bands[i];
    process.stdout.write(`  ${name.padEnd(20)} ${String(b.n).padStart(11)} ${fix(b.score, b.n).padStart(13)} ${fix(b.true30, b.n).padStart(12)} ${fix(b.agent, b.n).padStart(15)} ${fix(b.trueH, b.n).padStart(14)} | ${String(b.controls).padStart(8)} ${String(b.churned).padStart(8)} ${b.expected.toFixed(1).padStart(9)}\n`);
  });
}
