// Times the intent planner on a synthetic population the default world's size (20,000 active twins),
// same process, same population, same planner (screening on): the draws over every twin with the
// segment as the scenarios' target (the baseline: how planning ran before) against the segment's
// customers alone, read once (how the server plans now); and says whether both choose the same plan.
// Usage: npm run build && node scripts/intent-plan-timing.mjs [twins=20000] ["intent text"]
import { performance } from 'node:perf_hooks';
import { planIntent } from '../dist/agents/intents/intent-planner.js';
import { parseIntentText } from '../dist/agents/intents/intent-text-parser.js';
import { answeredAction, planOutcome, planScenarios } from '../dist/agents/intents/plan-simulation.js';
import { audienceFilters } from '../dist/agents/intents/segment-resolution.js';
import { simulate } from '../dist/simulation/index.js';
import { arraySource } from '../dist/simulation/twin-population.js';
import { FEATURE_COUNT, FEATURE_INDEX } from '../dist/twin/twin-features.js';
import { compileFilters, filterFields } from '../dist/twin/feature-filter.js';

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
const parsed = parseIntentText(text, { id: 'i1', now: Date.UTC(2026, 11, 16) });
if (!parsed.ok) throw new Error(parsed.reason);
const offer = () => ({ discountPct: 10, months: 3, acceptance: 0.3, costPerAcceptance: 5, retentionEffect: 0.1 });

/** The segment's customers, as the server's planning reads them: its audience filters over features and the churn score. */
function segmentRows() {
  const fields = filterFields(['churn', 'clv']);
  const test = compileFilters(audienceFilters(parsed.intent.segment), fields);
  const vec = new Float64Array(fields.names.length);
  return rows.filter((r) => {
    vec.set(r.features);
    vec[FEATURE_COUNT] = r.probability;
    vec[FEATURE_COUNT + 1] = r.features[FEATURE_INDEX.clv];
    return test(vec);
  });
}

async function timed(segmentOnly) {
  let draws = 0;
  let twinDraws = 0;
  const t = performance.now();
  const source = arraySource(segmentOnly ? segmentRows() : rows, 30);
  const many = async (plans, o) => {
    const per = plans.map((p) => planScenarios(p, 1, offer, o?.draws, segmentOnly ? [] : undefined));
    const n = per.flat().reduce((s, x) => s + x.draws, 0);
    draws += n;
    twinDraws += n * source.capacity;
    const res = await simulate(source, per.flat(), { workers: 0 });
    let at = 0;
    return per.map((s, i) => planOutcome(res.slice(at, (at += s.length)), plans[i].actions.map(answeredAction)));
  };
  const sel = await planIntent(parsed.intent, { simulate: async (p) => (await many([p]))[0], simulateMany: many });
  const ms = performance.now() - t;
  const chosen = sel.chosen;
  return { ms: Math.round(ms), twins: source.capacity, draws, twinDraws, status: sel.status, chosen: chosen?.plan.id, netValue: chosen && Math.round(chosen.outcome.netValue.mean * 10) / 10, cost: chosen && Math.round(chosen.outcome.cost.mean * 10) / 10, churnersBaseline: chosen?.outcome.baselineChurners && Math.round(chosen.outcome.baselineChurners.mean * 10) / 10, segmentSize: chosen?.outcome.segmentSize };
}
const before = await timed(false);
const after = await timed(true);
// The treated customers and their draws are the same: the plan's net value and cost are too; the
// baseline churners and the segment size are now the segment's (a churn-rate target is the segment's).
console.log(JSON.stringify({ twins: N, text, before, after, ratio: Math.round((before.ms / after.ms) * 100) / 100, samePlan: before.chosen === after.chosen }, null, 1));
