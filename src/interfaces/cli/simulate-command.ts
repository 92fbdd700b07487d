import type { Command } from 'commander';
import { toTwinloopError, TwinloopError } from '../../domain/errors.js';
import { validateSimulations, type SimulationValidationResult } from '../../evaluation/simulation-validation.js';
import { compareWarnings, describeIncidentEffect, ERROR_PARTS, parseScenarioText, type ErrorBreakdownSummary, type Estimate, type OutcomeSummary, type ScenarioFile, type ScenarioResult } from '../../simulation/index.js';
import { formatInterval, formatTable, intOption } from './cli-numbers.js';
import { globalOptions } from './cli-context.js';
import { readInputText } from './input-file.js';
import { resolveWorld } from './sandbox-commands.js';
import { serverTarget } from './server-client.js';
import { simulateHere, simulateOnServer } from './simulate-scenarios.js';

/** The validation's targets (issue 5): realised net value inside the 90 % interval, error of the means. */
const COVERAGE_TARGET = 0.8;
const RELATIVE_MAE_TARGET = 0.15;

const est = (e: Estimate | null, digits = 0) => (e ? formatInterval(e.mean, e.p05, e.p95, digits) : '—');

/** Metric rows of one outcome summary, in the order of the tables. */
const METRICS: readonly [string, (o: OutcomeSummary) => string][] = [
  ['twins (treated)', (o) => `${o.twins} (${Math.round(o.treated)})`],
  // The world without any scenario: the same draws in every column of a run (one seed and horizon), so the columns compare.
  ['churners without', (o) => est(o.churnersBaseline, 1)],
  ['churners avoided', (o) => est(o.churnersAvoided, 1)],
  ['revenue Δ', (o) => est(o.revenueDelta)],
  ['cost', (o) => est(o.cost)],
  ['net value', (o) => est(o.netValue)],
  ['return', (o) => est(o.return, 2)],
];

/** Scenarios side by side (one column each), then each scenario's segments (one row each). */
export function formatSimulation(results: readonly ScenarioResult[]): string {
  const head = ['mean [p05, p95]', ...results.map((r) => `${r.name} (${r.horizonMonths} mo, ${r.draws} draws)`)];
  const parts = [formatTable([head, ...METRICS.map(([name, f]) => [name, ...results.map((r) => f(r.overall))])])];
  // The level each group's hazards were held at: its own, times the churn model's fall after a pick over the horizon.
  if (results.some((r) => r.hazardLevel !== undefined && r.hazardLevel !== 1)) parts.push(`hazard level of the treated (the model's fall after a pick over the horizon): ${results.map((r) => `${r.name} × ${(r.hazardLevel ?? 1).toFixed(2)}`).join(', ')}`);
  // Whom an offer could not reach: the twins of its target who refused marketing contact.
  if (results.some((r) => (r.withoutConsent ?? 0) > 0)) parts.push(`left out, no marketing consent (never contacted): ${results.filter((r) => r.withoutConsent !== undefined).map((r) => `${r.name} ${r.withoutConsent}`).join(', ')}`);
  // A network scenario's effect of an incident: its own, the history's, or the churn model's (which may be none).
  for (const r of results) if (r.incidentEffect) parts.push(`${r.name}, an incident's effect on churn: ${describeIncidentEffect(r.incidentEffect)}`);
  for (const r of results) {
    if (r.segments.length <= 1) continue;
    parts.push(`\n${r.name}, by ${r.segmentBy}:`);
    parts.push(formatTable([['segment', ...METRICS.map(([name]) => name)], ...r.segments.map((s) => [s.segment, ...METRICS.map(([, f]) => f(s))])]));
  }
  return parts.join('\n');
}

/** The breakdown's parts as the report names them, in substitution order. */
const PART_LABELS: Readonly<Record<(typeof ERROR_PARTS)[number], string>> = {
  firstMonthChurn: "first month's churn",
  horizonChurn: "horizon's churn",
  acceptance: 'acceptance',
  effect: "treatment's effect",
  rest: 'rest',
};

/** Where the validation's error comes from: each scenario's parts (adding up to its error) and their sums. */
export function formatErrorBreakdown(r: SimulationValidationResult): string {
  const n = (x: number) => Math.round(x).toString();
  const ratio = (x: number | null) => (x === null ? '—' : `${x.toFixed(2)} ×`);
  const rows = r.scenarios.map((s) => {
    const b = s.errorBreakdown;
    return [s.name, s.kind, n(b.error), ...ERROR_PARTS.map((k) => n(b.parts[k])), `${b.untreatedChurners.predicted.toFixed(1)} / ${b.untreatedChurners.realised.toFixed(1)}`, `${b.substituted.horizonLevel.toFixed(2)}`];
  });
  const summary = (label: string, x: ErrorBreakdownSummary) =>
    `${label}: error ${n(x.error)} = ${ERROR_PARTS.map((k) => `${PART_LABELS[k]} ${n(x.parts[k])}`).join(' + ')}; sizes (Σ|part| / Σ|realised|) ${ERROR_PARTS.map((k) => `${PART_LABELS[k]} ${(x.relativeSize[k] * 100).toFixed(1)}%`).join(', ')}; the lab's untreated churners against the realised ${ratio(x.untreatedChurnRatio)} (first month ${ratio(x.untreatedChurnRatioFirstMonth)})`;
  return [
    "where the error (predicted − realised net value) comes from: the prediction made again with the realised first month's churn, then the horizon's, the acceptances and the treated's churn; each part is how far it moved, the rest is what is left (docs/simulation.md)",
    formatTable([['scenario', 'kind', 'error', ...ERROR_PARTS.map((k) => PART_LABELS[k]), 'untreated churners lab / realised', 'level that matches'], ...rows]),
    summary('all', r.errorBreakdown.overall),
    ...Object.entries(r.errorBreakdown.byKind).map(([k, x]) => summary(k, x)),
  ].join('\n');
}

/** The human report of `simulate validate`. */
export function formatValidation(r: SimulationValidationResult): string {
  const futures = r.realisations > 1;
  const realisedCell = (s: SimulationValidationResult['scenarios'][number]) => (futures ? `${Math.round(s.realisedNetValue)} ± ${Math.round(s.realisedSd)}` : Math.round(s.realisedNetValue).toString());
  const insideCell = (share: number) => (futures ? `${Math.round(share * 100)}%` : share === 1 ? 'yes' : 'NO');
  const rows = r.scenarios.map((s) => [s.name, s.kind, String(s.horizonMonths), String(s.treated), est(s.predictedNetValue), realisedCell(s), insideCell(s.insideShare), est(s.predictedChurnersAvoided, 1), s.realisedChurnersAvoided.toFixed(futures ? 1 : 0)]);
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const noise = (n: number | null) => (n === null ? '' : `, one future's own noise ${pct(n)}`);
  return [
    `world ${r.world}, seed ${r.seed}, ${r.customers} customers, churn model AUC ${r.modelAuc.toFixed(3)}; pilot: ${r.pilot.map((p) => `${p.offerId} acceptance ${p.acceptance.mean.toFixed(2)}, hazard × ${p.acceptedHazardMultiplier.mean.toFixed(2)} ± ${p.acceptedHazardMultiplier.sd.toFixed(2)} (pooled; own arm ${p.unpooledMultiplier.mean.toFixed(2)} ± ${p.unpooledMultiplier.sd.toFixed(2)})`).join('; ')}`,
    `a contact's own effect on those who decline: monthly hazard + ${(r.contactEffect.increase.mean * 100).toFixed(2)} ± ${(r.contactEffect.increase.sd * 100).toFixed(2)} points at their mean hazard ${(r.contactEffect.atHazard * 100).toFixed(2)} %, × (h / that)^γ, γ ${r.contactEffect.power.toFixed(2)} (${r.contactEffect.decliners} decliners against ${r.contactEffect.controls} twins not contacted; one increase for all: + ${r.pilot[0] ? (r.pilot[0].contactedHazardIncrease.mean * 100).toFixed(2) : '?'} points)`,
    formatTable([['scenario', 'kind', 'months', 'treated', 'net value predicted', futures ? `realised (mean ± sd of ${r.realisations} futures)` : 'realised', 'inside', 'churners avoided predicted', 'realised'], ...rows]),
    `by kind: ${Object.entries(r.byKind).map(([k, v]) => `${k} ${v.scenarios}: coverage ${(v.coverage * 100).toFixed(0)}%, relative MAE ${pct(v.relativeMae)}${futures ? ` (${pct(v.relativeMaeOneFuture)} against one future)` : ''}${noise(v.noise)}`).join('; ')}`,
    `coverage ${(r.coverage * 100).toFixed(0)}% (target ≥ ${COVERAGE_TARGET * 100}%: ${r.coverage >= COVERAGE_TARGET ? 'met' : 'MISSED'}); relative MAE ${pct(r.relativeMae)}${futures ? ` against the futures' mean (${pct(r.relativeMaeOneFuture)} against the first alone)` : ''} (target ≤ ${RELATIVE_MAE_TARGET * 100}%: ${r.relativeMae <= RELATIVE_MAE_TARGET ? 'met' : 'MISSED'})${noise(r.noise)}; ${(r.durationMs / 1000).toFixed(1)} s`,
  ].join('\n');
}

/** Reads and validates a scenario file; errors name the file (and the scenario path inside it). */
export function readScenarioFile(file: string): ScenarioFile {
  const text = readInputText(file, 'scenario file', 'give the path of a JSON scenario file (docs/simulation.md)');
  try {
    return parseScenarioText(text);
  } catch (thrown) {
    const err = toTwinloopError(thrown);
    throw new TwinloopError(err.code, `${file}: ${err.message}`);
  }
}

/** Adds `simulate FILE` and `simulate validate`: Monte Carlo of decisions over the twins before they are taken. */
export function registerSimulateCommands(program: Command): void {
  const sim = program
    .command('simulate')
    .description(
      'simulates the scenarios of a JSON file (docs/simulation.md) over the current twins with the churn champion: churn, revenue, cost, net value and return with 90 % intervals. ' +
        'Asks the running server (the one on the data dir, or --url) as `twin` and `decide` do: POST /simulations, its progress, then its results (kept in the console\'s Simulation lab); ' +
        'with no server, simulates here on the store, after reading the twins and every bill and top-up of the log (minutes on the default world; it says how far)',
    )
    .argument('[file]', 'scenario file (one scenario, a list, or { "scenarios": [...] })')
    .option('--url <url>', 'ask this server (default: the server running on the data dir, else simulate in this process)')
    .option('--workers <n>', 'worker threads when simulating in this process (default: the available parallelism)', intOption('--workers', 0))
    .option('--json', 'last line: one JSON object')
    .action(
      async (file: string | undefined, opts: { url?: string; workers?: number; json?: boolean }, command: Command) => {
        if (!file) throw new TwinloopError('BAD_INPUT', 'give a scenario file: twinloop simulate scenarios.json (or twinloop simulate validate)');
        const { scenarios } = readScenarioFile(file);
        const g = globalOptions(command);
        const server = serverTarget(g, opts.url);
        const say = (line: string) => !opts.json && process.stderr.write(`${line}\n`);
        const done = server ? await simulateOnServer(server, scenarios, { json: opts.json, say }) : await simulateHere(g, scenarios, { workers: opts.workers, json: opts.json, say });
        process.stdout.write(`${done.header}\n${formatSimulation(done.results)}\n`);
        // Columns of different seeds, horizons, draws or levels do not stand on one baseline: said as the API and the console say it.
        for (const w of compareWarnings(scenarios)) process.stdout.write(`warning: ${w}\n`);
        if (opts.json) process.stdout.write(`${JSON.stringify({ ...done.json, scenarios: done.results })}\n`);
      },
    );
  sim
    .command('validate')
    .description('checks the simulator against sandbox worlds: predicted 90 % intervals against what really happened (targets: coverage ≥ 80 %, relative MAE ≤ 15 %)')
    .option('--scenarios <n>', 'scenarios simulated and then run', intOption('--scenarios', 1), 10)
    .option('--customers <n>', 'sandbox population', intOption('--customers', 100), 4_000)
    .option('--seed <n>', 'world seed', intOption('--seed', 0), 1)
    .option('--config <file>', 'world configuration (JSON; may "extends" a built-in world; must offer retain-10 and retain-25), instead of the built-in small world')
    .option('--world <name>', 'built-in world instead of small')
    .option('--realisations <n>', 'futures each scenario is realised in (every chance from the cutoff drawn anew): judged against their mean, with one future\'s own noise', intOption('--realisations', 1), 1)
    .option('--only <names>', 'realise only these scenarios (comma-separated, e.g. s19,s3; all are still generated and predicted, so each is the one a full run realises): one scenario in minutes')
    .option('--pilots <n>', 'randomised pilots in the history, four months each, the last ending at the cutoff, read together (2: the operator\'s earlier pilot too, with 12 months of history; docs/simulation.md)', intOption('--pilots', 1, 3), 1)
    .option('--untreated-model', 'fit the lab\'s churn model without the rows under an offer\'s effect (a baseline of churn without contact; tried, not the default: docs/simulation.md)')
    .option('--json', 'last line: one JSON object')
    .action(
      async (opts: { scenarios: number; customers: number; seed: number; realisations: number; pilots: number; config?: string; world?: string; only?: string; untreatedModel?: boolean; json?: boolean }, command: Command) => {
        // `simulate` takes --json too and may have consumed it before this subcommand saw it.
        const json = Boolean(opts.json ?? (command.optsWithGlobals() as { json?: boolean }).json);
        const world = opts.config || opts.world ? resolveWorld({ config: opts.config, world: opts.world }) : undefined;
        const r = await validateSimulations({ scenarios: opts.scenarios, customers: opts.customers, seed: opts.seed, realisations: opts.realisations, pilots: opts.pilots, world, untreatedModel: Boolean(opts.untreatedModel), ...(opts.only === undefined ? {} : { only: opts.only.split(',').map((x) => x.trim()).filter((x) => x !== '') }), log: (l) => process.stderr.write(`${l}\n`) });
        process.stdout.write(`${formatValidation(r)}\n${formatErrorBreakdown(r)}\n`);
        if (json) process.stdout.write(`${JSON.stringify({ ...r, targets: { coverage: COVERAGE_TARGET, relativeMae: RELATIVE_MAE_TARGET } })}\n`);
      },
    );
}
