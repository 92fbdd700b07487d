#!/usr/bin/env node
// Fails when a module imports from a layer above its own (see ARCHITECTURE.md), or when anything
// outside the sandbox and the evaluation code reaches the sandbox's ground truth (`sandbox/oracle`).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..', 'src');

// Each folder may import its own files and the folders listed for it, nothing else.
const allowed = {
  domain: [],
  store: ['domain'],
  bus: ['domain'],
  twin: ['domain', 'store', 'bus'],
  intelligence: ['domain', 'store', 'twin'],
  decisioning: ['domain', 'store', 'bus', 'twin', 'intelligence'],
  simulation: ['domain', 'store', 'twin', 'intelligence'],
  agents: ['domain', 'store', 'bus', 'twin', 'intelligence', 'decisioning', 'simulation'],
  sandbox: ['domain'],
  evaluation: ['domain', 'store', 'bus', 'twin', 'intelligence', 'decisioning', 'simulation', 'agents', 'sandbox'],
  interfaces: ['domain', 'store', 'bus', 'twin', 'intelligence', 'decisioning', 'simulation', 'agents', 'sandbox', 'evaluation'],
};
// Only these may import the oracle (the hidden ground truth).
const oracleReaders = new Set(['sandbox', 'evaluation']);

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

const importRe = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];
for (const file of files(root)) {
  const layer = relative(root, file).split(sep)[0];
  if (!(layer in allowed)) {
    problems.push(`${relative(root, file)}: folder src/${layer} is not a known layer (add it to scripts/check-layers.mjs and ARCHITECTURE.md)`);
    continue;
  }
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith('.')) continue;
    const target = relative(root, resolve(dirname(file), spec));
    if (target.startsWith('..')) continue;
    const targetLayer = target.split(sep)[0];
    const isTest = file.endsWith('.test.ts');
    if (target.split(sep).includes('oracle') && targetLayer === 'sandbox' && !oracleReaders.has(layer) && !isTest) {
      problems.push(`${relative(root, file)} imports the sandbox oracle (${spec}); only sandbox and evaluation may`);
    }
    if (targetLayer === layer) continue;
    if (!allowed[layer].includes(targetLayer)) {
      problems.push(`${relative(root, file)} (layer ${layer}) imports ${spec} from layer ${targetLayer}, which it may not`);
    }
  }
}
if (problems.length) {
  console.error(`Layering check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('Layering check passed.');
