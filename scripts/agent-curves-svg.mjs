#!/usr/bin/env node
// Draws the monthly curves of `twinloop agent evaluate --months N --json` as one SVG: cumulative
// net value per policy (mean over seeds, with the 90 % interval as a band), one panel per world; below
// it, the learning agent's cumulative value less the feature oracle's repeated monthly (issue 10's
// target: above zero), on its own scale.
// Usage: node scripts/agent-curves-svg.mjs OUT.svg RESULT.json [RESULT.json …]
// Each RESULT file is the command's output; its last line that parses as JSON is used. A file without
// one may be the command's progress log (its stderr, `seed S month M: policy V (contacts), …` lines):
// then the seeds whose every month is logged are drawn (a run on this shared machine takes most of an
// hour; its first seeds are worth a look before it ends). That needs `npm run build` (dist/).
// `--world NAME` before a log names its world (a log does not say it).
import { readFileSync, writeFileSync } from 'node:fs';

const [out, ...args] = process.argv.slice(2);
if (!out || args.length === 0) {
  console.error('usage: node scripts/agent-curves-svg.mjs OUT.svg [--world NAME] RESULT.json|RUN.log [[--world NAME] …]');
  process.exit(2);
}
const inputs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--world') inputs.push({ world: args[++i], path: args[++i] });
  else inputs.push({ path: args[i] });
}

/** The last line of a file that is a JSON object, or, from a progress log, the result of its finished seeds. */
async function resultOf({ path, world }) {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  for (const line of [...lines].reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line);
    } catch {
      // not the result line
    }
  }
  const perSeed = new Map();
  for (const line of lines) {
    const m = /^seed (\d+) month (\d+): (.*?) \| agent/.exec(line);
    if (!m) continue;
    const values = Object.fromEntries([...m[3].matchAll(/([a-z-]+) (-?\d+) \(\d+\)/g)].map((x) => [x[1], Number(x[2])]));
    const months = perSeed.get(m[1]) ?? [];
    months[Number(m[2]) - 1] = values;
    perSeed.set(m[1], months);
  }
  const monthsLogged = Math.max(0, ...[...perSeed.values()].map((ms) => ms.length));
  const seeds = [...perSeed].filter(([, ms]) => ms.length === monthsLogged && ms.every(Boolean));
  if (seeds.length === 0) throw new Error(`${path}: neither a JSON result line (run agent evaluate with --json) nor a finished seed in a progress log`);
  const { tInterval } = await import(new URL('../dist/evaluation/retention-yardstick.js', import.meta.url));
  const cumulative = (s, p, m) => s.slice(0, m + 1).reduce((a, x) => a + x[p], 0);
  const policies = Object.keys(seeds[0][1][0]);
  const months = Array.from({ length: monthsLogged }, (_, m) => m);
  return {
    options: { world: world ?? path, months: monthsLogged },
    seeds: seeds.map(([seed]) => Number(seed)),
    cumulative: Object.fromEntries(policies.map((p) => [p, months.map((m) => tInterval(seeds.map(([, s]) => cumulative(s, p, m))))])),
    learningMinusFeatureOracle: months.map((m) => tInterval(seeds.map(([, s]) => cumulative(s, 'learning-agent', m) - cumulative(s, 'feature-oracle', m)))),
  };
}

const COLORS = { 'learning-agent': '#1b6ac9', 'feature-oracle': '#e08a00', oracle: '#2a9d3a', 'highest-risk': '#c0392b', random: '#7f7f7f' };
const W = 420;
const H = 300;
const PAD = { left: 64, right: 12, top: 34, bottom: 40 };
const results = await Promise.all(inputs.map(resultOf));
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmt = (v) => (Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(Math.abs(v) >= 10000 ? 0 : 1)}k` : v.toFixed(Math.abs(v) < 10 ? 1 : 0));

function panel(r, x0, y0, series, title) {
  const months = r.options.months;
  const values = series.flatMap(([, xs]) => xs.flatMap((x) => [x.low, x.high]));
  let lo = Math.min(0, ...values);
  let hi = Math.max(0, ...values);
  if (hi === lo) hi = lo + 1;
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const sx = (m) => x0 + PAD.left + (months === 1 ? pw / 2 : (m * pw) / (months - 1));
  const sy = (v) => y0 + PAD.top + ph - ((v - lo) / (hi - lo)) * ph;
  const parts = [];
  parts.push(`<text x="${x0 + W / 2}" y="${y0 + 18}" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>`);
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    parts.push(`<line x1="${x0 + PAD.left}" x2="${x0 + W - PAD.right}" y1="${sy(v)}" y2="${sy(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${x0 + PAD.left - 6}" y="${sy(v) + 4}" text-anchor="end" font-size="10">${fmt(v)}</text>`);
  }
  parts.push(`<line x1="${x0 + PAD.left}" x2="${x0 + W - PAD.right}" y1="${sy(0)}" y2="${sy(0)}" stroke="#888"/>`);
  for (let m = 0; m < months; m++) parts.push(`<text x="${sx(m)}" y="${y0 + H - PAD.bottom + 14}" text-anchor="middle" font-size="10">${m + 1}</text>`);
  parts.push(`<text x="${x0 + PAD.left + pw / 2}" y="${y0 + H - 8}" text-anchor="middle" font-size="11">month</text>`);
  for (const [policy, xs] of series) {
    const color = COLORS[policy] ?? '#000';
    const band = [...xs.map((x, m) => `${sx(m)},${sy(x.high)}`), ...xs.map((x, m) => `${sx(m)},${sy(x.low)}`).reverse()].join(' ');
    parts.push(`<polygon points="${band}" fill="${color}" opacity="0.12"/>`);
    parts.push(`<polyline points="${xs.map((x, m) => `${sx(m)},${sy(x.mean)}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
  }
  return parts.join('\n');
}

COLORS['learning − feature oracle'] = '#6a3d9a';
const legend = Object.entries(COLORS)
  .map(([name, color], i) => `<rect x="${12 + i * 150}" y="${2 * H + 8}" width="14" height="4" fill="${color}"/><text x="${30 + i * 150}" y="${2 * H + 14}" font-size="11">${name}</text>`)
  .join('\n');
const width = Math.max(W * results.length, 150 * Object.keys(COLORS).length);
const name = (r) => `${r.options.world} — ${r.seeds.length} seeds${r.options.customers === undefined ? '' : `, ${r.options.customers} customers`}`;
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${2 * H + 40}" viewBox="0 0 ${width} ${2 * H + 40}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="12" y="${2 * H + 34}" font-size="10" fill="#555">cumulative net value (mean over seeds; band: 90 % interval); bottom row: the learning agent less the feature oracle repeated monthly (target: above 0)</text>
${results.map((r, i) => panel(r, i * W, 0, Object.entries(r.cumulative), name(r))).join('\n')}
${results.map((r, i) => panel(r, i * W, H, [['learning − feature oracle', r.learningMinusFeatureOracle]], `${r.options.world}: learning − feature oracle`)).join('\n')}
${legend}
</svg>
`;
writeFileSync(out, svg);
console.log(`${out}: ${results.length} panel(s)`);
