import type { Command } from 'commander';
import { TwinloopError } from '../../domain/errors.js';
import { LiveProfiles, type ProfileView } from '../../intelligence/profile/live-profiles.js';
import { verifyReplay } from '../../twin/replay-verify.js';
import { OFFER_KINDS } from '../../twin/twin-responses.js';
import type { TwinView } from '../../twin/twin-view.js';
import { globalOptions, openTwins } from './cli-context.js';
import { setExitCode } from './cli-edge.js';
import { intOption } from './cli-numbers.js';
import { createProgress } from './progress.js';

/** The response profile in a few lines: the classes, then per offer kind answered so far or expected, with its range. */
function formatProfile(view: TwinView, p: ProfileView): string[] {
  const c = view.contacts;
  const pct = (x: number) => `${Math.round(x * 100)} %`;
  const range = (r: { mean: number; low: number; high: number }) => `${pct(r.mean)} [${pct(r.low)}–${pct(r.high)}]`;
  const classes = Object.entries(p.classes).map(([k, v]) => `${k} ${pct(v)}`).join(', ');
  return [
    `  offers: ${c.presented} presented, ${c.accepted} accepted, ${c.declined} declined, ${c.ignored} ignored`,
    `  response profile (${p.contacts} own answers, model of ${p.model.customers} customers): ${classes}`,
    ...OFFER_KINDS.filter((k) => k !== 'other').map((k) => `    ${k}: accepts ${range(p.acceptance[k])}, ignores ${range(p.ignore[k])}`),
  ];
}

/** A short human reading of a twin, with its response profile when given. */
export function formatTwin(view: TwinView, profile?: ProfileView): string {
  const f = view.features;
  const lines = [
    `${view.customerId}  as of ${view.asOf}`,
    view.profile
      ? `  ${view.profile.segment} ${view.profile.billing}, contract ${view.profile.contractMonths} months${view.profile.contractEnd ? ` ending ${view.profile.contractEnd} (in ${f.contract_days_left} days)` : ''}, pays by ${view.profile.paymentMethod}, customer since ${view.profile.since.slice(0, 10)} (${f.tenure_days} days)`
      : '  (no profile yet)',
    ...view.products.map((p) => `  ${p.kind} ${p.productId ?? '?'} [${p.subscriptionId}] ${p.status}, ${p.monthlyPrice.toFixed(2)}/month`),
    ...(view.cells.length > 0 ? [`  cells: ${view.cells.map((x) => `${x.cellId}${x.siteId ? ` (${x.siteId})` : ''} ×${x.records}`).join(', ')}`] : []),
    `  data ${f.data_mb_7d} / ${f.data_mb_30d} / ${f.data_mb_90d} MB (7/30/90 d), trend ${(f.data_trend * 100).toFixed(0)} %, months over allowance (3) ${f.months_over_allowance_3m}`,
    `  ARPU ${f.arpu_3m}, last bill ${f.bill_last}, late payments (90 d) ${f.payments_late_90d}, failed ${f.payments_failed_90d}`,
    `  open tickets ${f.open_tickets}, complaints (90 d) ${f.complaints_90d}, network impact (30 d) ${f.network_minutes_30d} min in ${f.network_incidents_30d} incidents`,
    ...(profile ? formatProfile(view, profile) : []),
    `  ${view.eventCount} events, ${view.firstEventAt ?? '-'} … ${view.lastEventAt ?? '-'}${f.churned ? '  CHURNED' : ''}`,
  ];
  return lines.join('\n');
}

export function registerTwinCommands(program: Command): void {
  program
    .command('twin')
    .description("Show a customer's twin, now or as of a past time")
    .argument('<customer-id>')
    .option('--at <time>', 'ISO-8601 time to read the twin as of')
    .option('--json', 'print the twin as JSON')
    .action(
      async (id: string, opts: { at?: string; json?: boolean }, command: Command) => {
        const at = opts.at === undefined ? undefined : Date.parse(opts.at);
        if (at !== undefined && Number.isNaN(at)) throw new TwinloopError('BAD_INPUT', `--at: "${opts.at}" is not an ISO-8601 time`);
        const twins = await openTwins(globalOptions(command), undefined, 'read');
        try {
          const view = at === undefined ? twins.engine.view(id) : await twins.history.asOf(id, at);
          if (!view) throw new TwinloopError('NOT_FOUND', `twin "${id}" not found${opts.at ? ` as of ${opts.at}` : ''}`);
          // The profile is read with the response model fitted now over every twin's answers.
          const profile = new LiveProfiles(twins.engine).profileOf(view);
          process.stdout.write(opts.json ? `${JSON.stringify({ ...view, responseProfile: profile }, null, 2)}\n` : `${formatTwin(view, profile)}\n`);
        } finally {
          await twins.close({ checkpoint: false });
        }
      },
    );

  program
    .command('replay')
    .description('Rebuild every twin from the event log')
    .option('--verify', 'compare the rebuilt twins byte for byte with the stored state; exit 1 on any difference')
    .option('--json', 'machine-readable result')
    .action(
      async (opts: { verify?: boolean; json?: boolean }, command: Command) => {
        const twins = await openTwins(globalOptions(command), undefined, 'read');
        try {
          const total = await twins.store.lastSeq();
          const progress = createProgress({ json: opts.json });
          progress.start(total, 'replay');
          const started = performance.now();
          const result = await verifyReplay(twins.store, twins.engine, (seq) => progress.update(seq));
          progress.stop();
          const seconds = (performance.now() - started) / 1000;
          const out = { twins: result.twins, identical: result.identical, different: result.different.length, missing: result.missing.length, events: result.events, seconds: Number(seconds.toFixed(2)), examples: [...result.different, ...result.missing].slice(0, 10) };
          if (opts.json) process.stdout.write(`${JSON.stringify(out)}\n`);
          else process.stdout.write(`replayed ${out.events} events in ${out.seconds} s: ${out.identical} of ${out.twins} twins identical to the stored state${out.different + out.missing ? `; DIFFERENT: ${out.examples.join(', ')}` : ''}\n`);
          if (opts.verify && out.identical !== out.twins) setExitCode('INTERNAL');
        } finally {
          await twins.close({ checkpoint: false });
        }
      },
    );

  program
    .command('dead-letters')
    .description('List parked records and why they were refused')
    .option('--limit <n>', 'how many', intOption('--limit', 1), 50)
    .option('--json', 'JSON lines')
    .action(
      async (opts: { limit: number; json?: boolean }, command: Command) => {
        const twins = await openTwins(globalOptions(command), undefined, 'read');
        try {
          const items = await twins.store.listDeadLetters({ limit: opts.limit });
          for (const d of items) {
            process.stdout.write(opts.json ? `${JSON.stringify(d)}\n` : `#${d.id} ${new Date(d.at).toISOString()} [${d.source}] ${d.reason}\n    ${d.record.slice(0, 160)}\n`);
          }
        } finally {
          await twins.close({ checkpoint: false });
        }
      },
    );
}
