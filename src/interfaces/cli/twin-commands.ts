import type { Command } from 'commander';
import { TwinloopError } from '../../domain/errors.js';
import { loadChampion } from '../../intelligence/live/churn-model-service.js';
import { LiveScoring, type TwinScores } from '../../intelligence/live/live-scoring.js';
import { NOT_SCORED_YET } from '../../intelligence/live/live-intelligence.js';
import { LiveProfiles, type ProfileView } from '../../intelligence/profile/live-profiles.js';
import { openModelRegistry } from '../../store/open-model-registry.js';
import { resolveStoreOptions } from '../../store/store-options.js';
import { verifyReplay } from '../../twin/replay-verify.js';
import { OFFER_KINDS } from '../../twin/twin-responses.js';
import type { TwinView } from '../../twin/twin-view.js';
import { globalOptions, openTwins, type GlobalOptions } from './cli-context.js';
import { setExitCode } from './cli-edge.js';
import { formatCount, intOption } from './cli-numbers.js';
import { createProgress } from './progress.js';
import { callServer, serverTarget, type ServerTarget } from './server-client.js';

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

/**
 * The churn and lifetime-value lines of a twin read as GET /twins/:id answers it: each figure with
 * its 90 % interval and the time it is as of. `undefined` is a past read (scores are served for the
 * current twin only); `null` a current read with no model serving.
 */
export function formatScores(asOf: string, scores: TwinScores | null | undefined): string[] {
  if (scores === undefined) return [];
  if (scores === null) return [`  churn, lifetime value: ${NOT_SCORED_YET}`];
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const money = (x: number) => x.toFixed(2);
  const c = scores.churn;
  const churn = c.probability === null
    ? `  churn: not scored (${c.note}), as of ${asOf}`
    : `  churn ${pct(c.probability)} [${pct(c.interval[0])}–${pct(c.interval[1])}] within ${c.horizonDays} days, as of ${asOf} (model ${scores.model.id} v${scores.model.version})`;
  const v = scores.clv;
  return [churn, `  lifetime value ${money(v.value)} [${money(v.low)}–${money(v.high)}], ${money(v.monthlyRevenue)}/month, as of ${asOf}`];
}

/** A short human reading of a twin, with its scores and response profile when given. */
export function formatTwin(view: TwinView, profile?: ProfileView, scores?: TwinScores | null): string {
  const f = view.features;
  const lines = [
    `${view.customerId}  as of ${view.asOf}`,
    ...formatScores(view.asOf, scores),
    view.profile
      ? `  ${view.profile.segment} ${view.profile.billing}, contract ${view.profile.contractMonths} months${view.profile.contractEnd ? ` ending ${view.profile.contractEnd} (in ${f.contract_days_left} days)` : ''}, pays by ${view.profile.paymentMethod}, customer since ${view.profile.since.slice(0, 10)} (${f.tenure_days} days)`
      : '  (no profile yet)',
    ...view.products.map((p) => `  ${p.kind} ${p.productId ?? '?'} [${p.subscriptionId}] ${p.status}, ${p.monthlyPrice.toFixed(2)}/month`),
    ...(view.cells.length > 0 ? [`  cells: ${view.cells.map((x) => `${x.cellId}${x.siteId ? ` (${x.siteId})` : ''} ×${x.records}`).join(', ')}`] : []),
    `  data ${formatCount(f.data_mb_7d)} / ${formatCount(f.data_mb_30d)} / ${formatCount(f.data_mb_90d)} MB (7/30/90 d), trend ${(f.data_trend * 100).toFixed(0)} %, over allowance ${f.months_over_allowance_3m} of the last 3 complete months`,
    `  ARPU ${f.arpu_3m}, last bill ${f.bill_last}, late payments (90 d) ${f.payments_late_90d}, failed ${f.payments_failed_90d}`,
    `  open tickets ${f.open_tickets}, complaints (90 d) ${f.complaints_90d}, network impact (30 d) ${f.network_minutes_30d} min in ${f.network_incidents_30d} incidents`,
    ...(profile ? formatProfile(view, profile) : []),
    `  ${view.eventCount} events, ${view.firstEventAt ?? '-'} … ${view.lastEventAt ?? '-'}${f.churned ? '  CHURNED' : ''}`,
  ];
  return lines.join('\n');
}

/** What `replay` found, in words: what it compared and, on success, that it verified it. */
export function replayText(r: { twins: number; identical: number; different: number; missing: number; events: number; seconds: number; examples: readonly string[] }, throughSeq: number): string {
  const what = `the ${r.twins} twins rebuilt from the log's ${r.events} events (through seq ${throughSeq}, in ${r.seconds} s)`;
  if (r.identical === r.twins) return `verified: ${what} are byte for byte the twins stored (checkpoint and log as a restart reads them)`;
  return `NOT verified: of ${what}, ${r.identical} are the twins stored; ${r.different} differ and ${r.missing} are missing: ${r.examples.join(', ')}${r.examples.length < r.different + r.missing ? ', …' : ''}`;
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
        const global = globalOptions(command);
        // The same answer as GET /twins/:id: from the running server when there is one, else read here.
        const server = serverTarget(global);
        const answer = server ? await twinFromServer(server, id, at) : await twinInProcess(global, id, at, opts.at);
        const { scores, responseProfile, ...view } = answer;
        process.stdout.write(opts.json ? `${JSON.stringify(answer, null, 2)}\n` : `${formatTwin(view, responseProfile, scores)}\n`);
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
          // Through the seq the stored twins were read at: a server running on the data dir goes on writing meanwhile.
          const through = twins.appliedSeq();
          const result = await verifyReplay(twins.store, twins.engine, (seq) => progress.update(seq), undefined, through);
          progress.stop();
          const seconds = (performance.now() - started) / 1000;
          const out = { twins: result.twins, identical: result.identical, different: result.different.length, missing: result.missing.length, events: result.events, seconds: Number(seconds.toFixed(2)), examples: [...result.different, ...result.missing].slice(0, 10) };
          if (opts.json) process.stdout.write(`${JSON.stringify(out)}\n`);
          else process.stdout.write(`${replayText(out, through)}\n`);
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
          // Said in words when there are none: a blank answer read as a command that did nothing (JSON lines stay none).
          if (items.length === 0 && !opts.json) process.stdout.write('no dead letters: no record given to the intake was refused\n');
          for (const d of items) {
            process.stdout.write(opts.json ? `${JSON.stringify(d)}\n` : `#${d.id} ${new Date(d.at).toISOString()} [${d.source}] ${d.reason}\n    ${d.record.slice(0, 160)}\n`);
          }
        } finally {
          await twins.close({ checkpoint: false });
        }
      },
    );
}

/** A twin as GET /twins/:id answers it: the view, its live scores on a current read, its response profile. */
type TwinAnswer = TwinView & { scores?: TwinScores | null; responseProfile?: ProfileView };

async function twinFromServer(server: ServerTarget, id: string, at: number | undefined): Promise<TwinAnswer> {
  const query = at === undefined ? '' : `?at=${encodeURIComponent(new Date(at).toISOString())}`;
  return (await callServer(server, 'GET', `/twins/${encodeURIComponent(id)}${query}`)) as TwinAnswer;
}

/** The answer built here the way the server builds it: scores from the champion model on a current read. */
async function twinInProcess(global: GlobalOptions, id: string, at: number | undefined, atText: string | undefined): Promise<TwinAnswer> {
  const twins = await openTwins(global, undefined, 'read');
  try {
    const view = at === undefined ? twins.engine.view(id) : await twins.history.asOf(id, at);
    if (!view) throw new TwinloopError('NOT_FOUND', `twin "${id}" not found${atText ? ` as of ${atText}` : ''}`);
    // The profile is read with the response model fitted now over every twin's answers.
    const responseProfile = new LiveProfiles(twins.engine).profileOf(view);
    if (at !== undefined) return { ...view, responseProfile };
    const registry = await openModelRegistry(resolveStoreOptions(global, process.env));
    try {
      const champion = await loadChampion(registry);
      const scores = champion ? new LiveScoring(twins.engine, champion).decorate(view).scores : null;
      return { ...view, scores, responseProfile };
    } finally {
      await registry.close();
    }
  } finally {
    await twins.close({ checkpoint: false });
  }
}
