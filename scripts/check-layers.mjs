#!/usr/bin/env node
// Checks the import graph of src/ (see ARCHITECTURE.md):
// - a module imports only its own layer and the layers the table below allows (fails otherwise);
// - nothing outside the sandbox and the evaluation code reaches the sandbox's ground truth,
//   `src/sandbox/oracle` (fails otherwise);
// - the composition root, `interfaces/runtime`, imports no edge (http, cli, mcp, console, bench): the
//   edges stand on it (fails otherwise);
// - a folder with an index.ts is entered through it: from outside the folder, only its index.ts
//   (or the index.ts of a folder inside it) may be imported (fails otherwise; the benchmarks in
//   interfaces/bench time internal parts on purpose and are exempt). A folder without one is
//   entered file by file (docs/decisions/0007-index-files-are-doors.md);
// - no import loop, counting `import type` and the worker files a module spawns with
//   `new URL('./x.js', import.meta.url)` or `startScriptWorker(import.meta.url, 'x', …)` (fails).
// It prints the table of allowed imports, which ARCHITECTURE.md quotes.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..', 'src');

// Issue 17 removed the last loops: a new one fails the build.
const FAIL_ON_IMPORT_LOOPS = true;

// The arrows of ARCHITECTURE.md's diagram: what each layer sits on. A layer may import the
// layers its arrows reach, following arrows down through the layers; the ports (store, bus) only
// where an arrow points at them directly, because the twin stands between them and the layers above.
const arrows = {
  domain: [],
  store: ['domain'],
  bus: ['domain'],
  twin: ['domain', 'store', 'bus'],
  intelligence: ['twin'],
  decisioning: ['intelligence'],
  simulation: ['intelligence'],
  agents: ['decisioning', 'simulation', 'store', 'bus'],
  sandbox: ['domain'],
  evaluation: ['decisioning', 'simulation', 'sandbox'],
  interfaces: ['agents', 'evaluation', 'sandbox', 'store', 'bus'],
};
const ports = new Set(['store', 'bus']);

// Imports allowed although no arrow draws them: each skips a layer, and says why.
const skips = [
  ['intelligence', 'store', 'the model registry (models are versioned beside the twins) and the event log that training sets are read from as of past cutoffs'],
  ['decisioning', 'store', 'the record store (the offer catalogue, the decision log) and the governance store the budget ledger books spend in'],
  ['decisioning', 'bus', 'allowed, unused'],
  ['simulation', 'store', 'the document store that keeps the simulation runs'],
  ['evaluation', 'store', 'the throw-away event stores of the experiments it runs'],
  ['evaluation', 'bus', 'allowed, unused'],
  ['evaluation', 'agents', 'the agent evaluation runs the retention agent and judges it against the oracle'],
];

// Only these may import the oracle (the hidden ground truth).
const oracleReaders = new Set(['sandbox', 'evaluation']);
// The edges of `interfaces`; `interfaces/runtime`, which puts the running operator together, may import none.
const EDGES = new Set(['http', 'cli', 'mcp', 'console', 'bench']);

/** Layers reachable from `layer` along the arrows (ports only by a direct arrow), plus the skips. */
function allowedFrom(layer) {
  const reach = new Set();
  const visit = (l) => {
    for (const next of arrows[l]) {
      if (reach.has(next) || (ports.has(next) && l !== layer && !arrows[layer].includes(next))) continue;
      reach.add(next);
      visit(next);
    }
  };
  visit(layer);
  // Every layer shares the domain's vocabulary.
  if (layer !== 'domain') reach.add('domain');
  for (const [from, to] of skips) if (from === layer) reach.add(to);
  return reach;
}
const allowed = Object.fromEntries(Object.keys(arrows).map((l) => [l, allowedFrom(l)]));

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

// Static imports and re-exports (type-only ones included), side-effect imports, dynamic imports,
// and modules named relative to this one (`new URL('./x.js', import.meta.url)` and
// `(import.meta.url, 'x'` as startScriptWorker takes them: worker entry points; data files read
// that way are not imports).
const importRe = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|new URL\(\s*['"]([^'"]+\.[jt]s)['"]\s*,\s*import\.meta\.url\s*\)|\(\s*import\.meta\.url\s*,\s*['"]([\w.-]+)['"]/g;

/** The source file a relative specifier names (`./x.js` is `./x.ts` in src/), or null outside src/. */
function targetOf(file, spec) {
  const abs = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
  const rel = relative(root, abs);
  return rel.startsWith('..') ? null : rel;
}

// Folders with an index.ts (relative to src/): the doors.
const doors = [...files(root)].filter((f) => f.endsWith(`${sep}index.ts`)).map((f) => relative(root, dirname(f)));
const inside = (path, folder) => path.startsWith(folder + sep);
const BENCH = join('interfaces', 'bench');

/** Why `rel` may not import `target` past a door, or null when it may. */
function doorProblem(rel, target) {
  if (inside(rel, BENCH)) return null;
  for (const door of doors) {
    if (!inside(target, door) || inside(rel, door)) continue;
    const throughDoor = target.endsWith(`${sep}index.ts`) && doors.some((d) => (d === door || inside(d, door)) && target === join(d, 'index.ts'));
    if (!throughDoor) return `src/${door} is entered through its index.ts: import what it offers from there (export it there if it is missing)`;
  }
  return null;
}

const problems = [];
const graph = new Map(); // file → files it imports (relative to src/)
const uses = new Map(); // "from→to" layer pair → files using it
for (const file of files(root)) {
  const rel = relative(root, file);
  const layer = rel.split(sep)[0];
  if (!(layer in allowed)) {
    problems.push(`${rel}: folder src/${layer} is not a known layer (add it to scripts/check-layers.mjs and ARCHITECTURE.md)`);
    continue;
  }
  const isTest = file.endsWith('.test.ts');
  const edges = new Set();
  for (const m of readFileSync(file, 'utf8').matchAll(importRe)) {
    // A thread's script named beside this module, `startScriptWorker(import.meta.url, 'name', …)`
    // (or a class that passes them on, `new ThreadClient(import.meta.url, 'name', …)`): `./name.js`.
    const spec = m[1] ?? m[2] ?? m[3] ?? m[4] ?? (m[5] === undefined ? undefined : `./${m[5]}.js`);
    if (!spec.startsWith('.')) continue;
    const target = targetOf(file, spec);
    if (target === null) continue;
    edges.add(target);
    const door = doorProblem(rel, target);
    if (door) problems.push(`${rel} imports ${spec}: ${door}`);
    const targetLayer = target.split(sep)[0];
    if (target.split(sep).includes('oracle') && targetLayer === 'sandbox' && !oracleReaders.has(layer) && !isTest) {
      problems.push(`${rel} imports the sandbox oracle (${spec}); only sandbox and evaluation may`);
    }
    if (layer === 'interfaces' && rel.split(sep)[1] === 'runtime' && targetLayer === 'interfaces' && EDGES.has(target.split(sep)[1])) {
      problems.push(`${rel} imports ${spec}: interfaces/runtime is the composition root the edges stand on and may import no edge`);
    }
    if (targetLayer === layer) continue;
    if (!isTest) {
      const key = `${layer}→${targetLayer}`;
      uses.set(key, (uses.get(key) ?? new Set()).add(rel));
    }
    if (!allowed[layer].has(targetLayer)) {
      problems.push(`${rel} (layer ${layer}) imports ${spec} from layer ${targetLayer}, which it may not (scripts/check-layers.mjs lists what it may)`);
    }
  }
  graph.set(rel, [...edges]);
}

/** Strongly connected components of the import graph with more than one file, or a file importing itself (Tarjan). */
function importLoops() {
  let index = 0;
  const stack = [];
  const meta = new Map();
  const loops = [];
  const connect = (v) => {
    const m = { index, low: index, onStack: true };
    index++;
    meta.set(v, m);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      const n = meta.get(w);
      if (!n) {
        connect(w);
        m.low = Math.min(m.low, meta.get(w).low);
      } else if (n.onStack) m.low = Math.min(m.low, n.index);
    }
    if (m.low !== m.index) return;
    const component = [];
    let w;
    do {
      w = stack.pop();
      meta.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) loops.push(component.sort());
  };
  for (const v of graph.keys()) if (!meta.has(v)) connect(v);
  return loops;
}

/** One shortest cycle through the component's first file, to show how the loop closes. */
function cycleThrough(component) {
  const inside = new Set(component);
  const start = component[0];
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of graph.get(v) ?? []) {
      if (w === start) {
        const path = [start];
        for (let x = v; x !== start; x = previous.get(x)) path.splice(1, 0, x);
        return [...path, start];
      }
      if (inside.has(w) && !previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** The table ARCHITECTURE.md quotes: what each layer may import, the skips marked, then why each skip is allowed. */
function printTable() {
  const order = Object.keys(arrows);
  const skipped = new Set(skips.map(([from, to]) => `${from}→${to}`));
  const width = Math.max(...order.map((l) => l.length));
  console.log('Allowed imports (↷ skips a layer: no arrow of the diagram draws it):');
  for (const layer of order) {
    const targets = order.filter((to) => allowed[layer].has(to)).map((to) => `${skipped.has(`${layer}→${to}`) ? '↷ ' : ''}${to}`);
    console.log(`  ${layer.padEnd(width)}  ${targets.length ? targets.join(', ') : '—'}`);
  }
  console.log('Layer-skipping imports allowed (files using each today):');
  for (const [from, to, why] of skips) console.log(`  ${from} → ${to} (${uses.get(`${from}→${to}`)?.size ?? 0}): ${why}`);
}

printTable();

const loops = importLoops();
if (loops.length) {
  const lines = loops.map((c, i) => `loop ${i + 1} (${c.length} files): ${cycleThrough(c).join(' → ')}${c.length > 2 ? `\n      all its files: ${c.join(', ')}` : ''}`);
  const report = `${loops.length} import loop${loops.length === 1 ? '' : 's'} (a module importing, through others, itself; break each by moving what both sides need into a module of its own):\n  ${lines.join('\n  ')}`;
  if (FAIL_ON_IMPORT_LOOPS) problems.push(report);
  else console.warn(`Import loops, reported and not yet failing (FAIL_ON_IMPORT_LOOPS in scripts/check-layers.mjs): ${report}`);
}

if (problems.length) {
  console.error(`Layering check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`Layering check passed (${graph.size} files${loops.length ? `; ${loops.length} import loops reported` : ', no import loop'}).`);
