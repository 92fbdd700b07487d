// Times the intent planner on a synthetic population the default world's size (20,000 active twins),
// screening pass on (the planner as it runs) against every candidate simulated in full (the baseline,
// same process, same population), and says whether both choose the same plan.
// Usage: npm run build && node scripts/intent-plan-timing.mjs [twins=20000] ["intent text"]
import { performance } from 'node:perf_hooks';
import { planIntent } from '../dist/agents/intents/intent-planner.js';
import { parseIntentText } from '../dist/agents/intents/intent-text-parser.js';
import { answeredAction, planOutcome, planScenarios } from '../dist/agents/intents/plan-simulation.js';
import { simulate } from '../dist/simulation/index.js';
import { arraySource } from '../dist/simulation/twin-population.js';
import { FEATURE_COUNT, FEATURE_INDEX } from '../dist/twin/twin-features.js';

const N = Number(process.argv[2] ?? 20000);
const text = process.argv[3] ?? 'keep high-value customers at risk this month, budget 5000';
let seed = 7;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const rows = [];
for (let i = 0; i < N; i++) {
  const f = new Float64Array(FEATURE_COUNT);
  f[FEATURE_INDEX.monthly_price] = 15 + 60 * rnd() ** 2;
  f[FEATURE_INDEX.arpu_3m] = f[FEATURE_INDEX.monthly_price] * (0.8 + 0.4 * rnd());
  f[FEATURE_INDEX.active_plans] = 1;
  f[FEATURE_INDEX.contract_days_left] = 400 * rnd();
  f[FEATURE_INDEX.clv] = 40 * f[FEATURE_INDEX.monthly_price] * rnd();
  rows.push({ id: `t${i}`, features: f, probability: 0.9 * rnd() ** 3 });
}
const source = arraySource(rows, 30);
const parsed = parseIntentText(text, { id: 'i1', now: Date.UTC(2026, 11, 16) });
if (!parsed.ok) throw new Error(parsed.reason);
const offer = () => ({ discountPct: 10, months: 3, acceptance: 0.3, costPerAcceptance: 5, retentionEffect: 0.1 });

async function timed(screen) {
  let draws = 0;
  const many = async (plans, o) => {
    const per = plans.map((p) => planScenarios(p, 1, offer, o?.draws));
    draws += per.flat().reduce((s, x) => s + x.draws, 0);
    const res = await simulate(source, per.flat(), { workers: 0 });
    let at = 0;
    return per.map((s, i) => planOutcome(res.slice(at, (at += s.length)), plans[i].actions.map(answeredAction)));
  };
  const t = performance.now();
  const sel = await planIntent(parsed.intent, { simulate: async (p) => (await many([p]))[0], simulateMany: many, ...(screen ? {} : { screenDraws: 0 }) });
  const ms = performance.now() - t;
  return { ms, draws, status: sel.status, chosen: sel.chosen?.plan.id, netValue: sel.chosen?.outcome.netValue.mean, candidates: sel.candidates.length, full: sel.candidates.filter((c) => !c.screenedOnly).length };
}
const before = await timed(false);
const after = await timed(true);
console.log(JSON.stringify({ twins: N, text, before, after, ratio: Math.round((before.ms / after.ms) * 100) / 100, samePlan: before.chosen === after.chosen && before.netValue === after.netValue }, null, 1));
