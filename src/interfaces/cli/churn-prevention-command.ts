import { Command } from 'commander';
import { describeChurnRun, type ChurnRunView } from '../../agents/flows/churn-prevention-report.js';
import { callServer, requireServer, type ServerTarget } from './server-client.js';
import { intOption } from './cli-numbers.js';

/**
 * `twinloop churn-prevention runs` and `twinloop churn-prevention report RUN_ID`: what the running
 * server's proactive churn prevention runs did, from `GET /churn-prevention/runs[/:id]`: whom each
 * contacted, whom it left alone and why. Its settings are the action policy's `churnPrevention`
 * section (`twinloop policy show|set`).
 */
export function registerChurnPreventionCommands(program: Command): void {
  const churn = program.command('churn-prevention').description("Proactive churn prevention's runs: whom each contacted and whom it left alone, and why (settings: twinloop policy show)");
  const target = (command: Command, url: string | undefined): ServerTarget => {
    const server = requireServer(command, url);
    return server;
  };
  churn
    .command('runs')
    .description('The runs, newest first: status, scan time and what each did')
    .option('--limit <n>', 'how many', intOption('--limit', 1, 100), 20)
    .option('--url <url>', 'server URL (default: the server running on the data dir)')
    .option('--json', 'print JSON')
    .action(async (opts: { limit: number; url?: string; json?: boolean }, command: Command) => {
      const runs = (await callServer(target(command, opts.url), 'GET', `/churn-prevention/runs?limit=${opts.limit}`)) as ChurnRunView[];
      if (opts.json) return void process.stdout.write(`${JSON.stringify(runs)}\n`);
      if (runs.length === 0) return void process.stdout.write('no churn prevention run yet (the first runs once a churn model serves)\n');
      for (const r of runs) {
        process.stdout.write(`${r.workflowId}  ${r.status}  scan ${r.scanAt === null ? '?' : new Date(r.scanAt).toISOString()}\n  ${r.report ? describeChurnRun(r.report) : notReportedYet(r)}\n`);
      }
    });
  churn
    .command('report <runId>')
    .description("One run's report: whom it contacted (offer, route, cost), whom it left alone by reason, spend, settings; churn measured at its horizon")
    .option('--url <url>', 'server URL (default: the server running on the data dir)')
    .option('--json', 'print JSON')
    .action(async (runId: string, opts: { url?: string; json?: boolean }, command: Command) => {
      const run = (await callServer(target(command, opts.url), 'GET', `/churn-prevention/runs/${encodeURIComponent(runId)}`)) as ChurnRunView;
      if (opts.json) return void process.stdout.write(`${JSON.stringify(run)}\n`);
      process.stdout.write(formatChurnRun(run));
    });
}

/** The report as people read it in a terminal. */
export function formatChurnRun(run: ChurnRunView): string {
  const lines = [`${run.workflowId} (${run.status})`];
  const r = run.report;
  if (!r) return `${lines[0]}: ${notReportedYet(run)}\n`;
  lines.push(`  ${describeChurnRun(r)}`);
  if (r.settings) lines.push(`  settings: floor ${r.settings.minChurn}, min value ${r.settings.minValue}, budget ${r.settings.budget}, control ${r.settings.controlShare}, offers ${r.settings.offers.join(', ')}`);
  const byOffer = new Map<string, number>();
  for (const c of r.contacted) byOffer.set(`${c.offerId} (${c.route})`, (byOffer.get(`${c.offerId} (${c.route})`) ?? 0) + 1);
  lines.push(`  contacted ${r.contacted.length}${byOffer.size ? `: ${[...byOffer].map(([k, n]) => `${k} ${n}`).join(', ')}` : ''}${r.contacted.length ? `; first: ${r.contacted.slice(0, 5).map((c) => c.customerId).join(', ')}` : ''}`);
  for (const [why, v] of Object.entries(r.leftAlone)) lines.push(`  left alone, ${why}: ${v!.count}${v!.customerIds.length ? ` (first: ${v!.customerIds.slice(0, 5).join(', ')})` : ''}`);
  // Why the simulation check left each of them out: its expected net value is not clearly positive.
  if (r.notClearlyPositive?.length) lines.push(`  not clearly worth it (expected net value, low end of its 90 % interval): ${r.notClearlyPositive.slice(0, 5).map((v) => `${v.customerId} ${round1(v.mean)} [${round1(v.low)}]`).join(', ')}`);
  if (run.measured) lines.push(...measuredLines(run.measured));
  if (r.auditSeq !== undefined) lines.push(`  audit entry ${r.auditSeq}`);
  return `${lines.join('\n')}\n`;
}

/** What a run measured at its horizon, as sentences (the fields the flow writes; anything else as JSON). */
function measuredLines(measured: unknown): string[] {
  const m = measured as Partial<{ treatedChurnRate: number; controlChurnRate: number; reading: string; retainedEstimate: number; valueRetainedEstimate: number; acceptanceRate: number; accepted: number }>;
  if (typeof m !== 'object' || m === null || typeof m.treatedChurnRate !== 'number' || typeof m.controlChurnRate !== 'number') return [`  measured: ${JSON.stringify(measured)}`];
  const pct = (x: number) => `${round1(100 * x)} %`;
  const lines = [`  measured: churn ${pct(m.treatedChurnRate)} among the treated against ${pct(m.controlChurnRate)} in the control group`];
  if (m.reading) lines.push(`  reading: ${m.reading}`);
  if (typeof m.retainedEstimate === 'number') lines.push(`  customers kept (estimate): ${round1(m.retainedEstimate)}${typeof m.valueRetainedEstimate === 'number' ? `, value ${round1(m.valueRetainedEstimate)}` : ''}`);
  if (typeof m.acceptanceRate === 'number') lines.push(`  offers accepted: ${m.accepted ?? 0} (${pct(m.acceptanceRate)} of the treated)`);
  return lines;
}

/** A run without its report: still acting (with its contacts so far), or not yet scanned. */
function notReportedYet(run: ChurnRunView): string {
  if (run.contactedSoFar) return `acting: ${run.contactedSoFar} contacted so far; the report follows once it has gone through its list`;
  return `has not acted yet${run.scanAt === null ? '' : `; it scans at ${new Date(run.scanAt).toISOString()}`}`;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
