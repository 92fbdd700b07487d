#!/usr/bin/env node
// Reads the learning agent's monthly dumps of `twinloop agent evaluate --months N --dump DIR`
// (DIR/WORLD-seedS-monthM.json, one per month) and prints, month by month, what the agent did against
// what the feature oracle would have done in the agent's own world: the feature oracle's picks (its
// best positive expected values, up to the month's budget) split by what the agent did with each of
// them and why it left the rest (the class plan's or the design's contact or holdout; never-stratum,
// plan-risk, not-worth-it, budget: the design's reasons; sleeping-dog: the profile's; not-candidate:
// inside a window, or not a twin the agent scores), with their true value beside; the agent's own
// contacts' true value; and the design's read (the pooled level of ln ρ, and with --strata every
// stratum's arms and posterior).
// Usage: node scripts/agent-months.mjs [--strata] DIR/WORLD-seedS-month*.json
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const strata = args.includes('--strata');
const files = args.filter((a) => a !== '--strata').sort((a, b) => monthOf(a) - monthOf(b));
if (files.length === 0) {
  console.error('usage: node scripts/agent-months.mjs [--strata] DIR/WORLD-seedS-month*.json');
  process.exit(2);
}

function monthOf(path) {
  const m = /month(\d+)\.json$/.exec(path);
  return m ? Number(m[1]) : 0;
}

const round = (x) => Math.round(x);
for (const path of files) {
  const d = JSON.parse(readFileSync(path, 'utf8'));
  const picks = new Set(
    d.rows
      .filter((r) => r.featureOracle > 0)
      .sort((a, b) => b.featureOracle - a.featureOracle)
      .slice(0, d.budget)
      .map((r) => r.id),
  );
  const by = new Map();
  for (const r of d.rows) {
    const x = by.get(r.status) ?? { customers: 0, truth: 0, picks: 0, picksTruth: 0 };
    x.customers++;
    x.truth += r.truth;
    if (picks.has(r.id)) {
      x.picks++;
      x.picksTruth += r.truth;
    }
    by.set(r.status, x);
  }
  const contacted = [...by].filter(([s]) => /^(class|design)-(exploit|explore)$/.test(s));
  const agentTruth = contacted.reduce((a, [, x]) => a + x.truth, 0);
  const agentContacts = contacted.reduce((a, [, x]) => a + x.customers, 0);
  const foTruth = [...by.values()].reduce((a, x) => a + x.picksTruth, 0);
  console.log(
    `month ${d.month}: budget ${d.budget}; agent ${agentContacts} contacts, ${round(agentTruth)} in truth; feature oracle's picks here ${picks.size}, ${round(foTruth)} in truth; ` +
      `design level ln ρ ${d.level.mean.toFixed(3)} ± ${d.level.sd.toFixed(3)}, spread ${d.spread.toFixed(3)}; churn calibration ${d.calibration.toFixed(3)}`,
  );
  for (const [status, x] of [...by].sort((a, b) => b[1].picksTruth - a[1].picksTruth)) {
    console.log(`  ${status.padEnd(15)} ${String(x.customers).padStart(5)} customers, ${String(round(x.truth)).padStart(6)} in truth; the feature oracle's picks ${String(x.picks).padStart(4)}, ${String(round(x.picksTruth)).padStart(6)}`);
  }
  if (strata) {
    for (const s of d.strata) {
      const arm = (a) => `${a.churned}/${a.expected.toFixed(1)} of ${a.customers}`;
      console.log(`    ${s.stratum.padEnd(24)} contacted ${arm(s.contacted).padEnd(18)} held out ${arm(s.heldOut).padEnd(20)} ln ρ ${s.mean.toFixed(3)} ± ${s.sd.toFixed(3)}  P(ρ > 1) ${s.harm.toFixed(2)}  floor ${s.floor.toFixed(2)}`);
    }
  }
}
