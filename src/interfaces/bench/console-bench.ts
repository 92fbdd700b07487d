import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { TwinloopError } from '../../domain/errors.js';
import { localApiKey } from '../auth/local-auth.js';
import { loadConsoleAssets } from '../console/console-assets.js';
import { intOption } from '../cli/cli-numbers.js';
import { callServer, serverTarget, type ServerTarget } from '../cli/server-client.js';
import { openAndMeasure, type ConsolePage, type FirstLoad } from './console-first-load.js';
import { defineBench } from './bench-harness.js';
import { ratio, sampleStats } from './bench-stats.js';
import { gzipSync } from 'node:zlib';

/** The issue's bar: every page shows its data within a second of navigation, on loopback. */
const TARGET_MS = 1_000;

/** Debian's Chromium, as the browser tests use it (`TWINLOOP_CHROMIUM` overrides). */
const CHROMIUM = process.env.TWINLOOP_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * The console's pages as a person opens them, with the sign that each shows its data. The ids
 * some pages need are the server's own (a customer, the latest simulation run, a campaign, an
 * alarm's run); a page whose kind of record the server has none of is left out, and said so.
 */
export async function consolePages(server: ServerTarget): Promise<{ pages: ConsolePage[]; missing: string[] }> {
  const get = <T>(path: string) => callServer(server, 'GET', path) as Promise<T>;
  const [someone] = (await get<{ items: { customerId: string }[] }>('/twins?active_plans.gte=1&limit=1')).items;
  const run = (await get<{ id: string; startedAt: string }[]>('/simulations')).sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
  const [campaign] = await get<{ campaignId: string }[]>('/campaigns');
  const [alarm] = await get<{ workflowId: string }[]>('/workflows?definitionId=service-operations&limit=1');
  const pages: (ConsolePage | string)[] = [
    { name: 'overview', path: '/', ready: { selector: '[data-testid=overview-twins]', text: /\d/ } },
    { name: 'customers', path: '/console/customers?churn.gte=0.02', ready: { selector: 'table tbody tr, [data-testid=empty-list]' } },
    someone ? { name: 'customer', path: `/console/customers/${someone.customerId}`, ready: { selector: '[data-testid=timeline] li' } } : 'customer (no twin with a plan)',
    { name: 'agent-desktop', path: '/console/assist', ready: { selector: '[data-testid=desktop-status]', text: 'listening' } },
    { name: 'approvals', path: '/console/approvals', ready: { selector: '[data-testid=approval], [data-testid=empty-list]' } },
    { name: 'intents', path: '/console/intents', ready: { selector: 'table tbody tr, [data-testid=empty-list]' } },
    { name: 'service-operations', path: '/console/service-operations', ready: { selector: '[data-testid=alarms] tbody tr, [data-testid=empty-list]' } },
    alarm ? { name: 'service-alarm', path: `/console/service-operations/${alarm.workflowId}`, ready: { selector: '[data-testid=alarm-facts]' } } : 'service-alarm (no alarm yet)',
    { name: 'policy', path: '/console/policy', ready: { selector: '[data-testid=policy-history] tbody tr' } },
    { name: 'simulation-lab', path: '/console/simulations', ready: { selector: 'table tbody tr, [data-testid=empty-list]' } },
    run ? { name: 'simulation-run', path: `/console/simulations/${run.id}`, ready: { selector: '[data-testid=run-status]' } } : 'simulation-run (no run yet)',
    { name: 'campaigns', path: '/console/campaigns', ready: { selector: '[data-testid=campaigns] tbody tr, [data-testid=empty-list]' } },
    campaign ? { name: 'campaign', path: `/console/campaigns/${campaign.campaignId}`, ready: { selector: '[data-testid=allocation-latest]' } } : 'campaign (no campaign yet)',
    { name: 'models', path: '/console/models', ready: { selector: 'table tbody tr, [data-testid=empty-list]' } },
    { name: 'audit', path: '/console/audit', ready: { selector: 'table tbody tr' } },
  ];
  return { pages: pages.filter((p): p is ConsolePage => typeof p !== 'string'), missing: pages.filter((p): p is string => typeof p === 'string') };
}

/** The console's shell: index.html, the bundle, the clock and who is signed in, but no page's data (the not-found page). */
const SHELL: ConsolePage = { name: 'shell', path: '/console/bench-shell', ready: { selector: 'main h1', text: 'Not found' } };

/** What `bench console` measured. */
export interface ConsoleBenchResult {
  readonly url: string;
  readonly twins: number;
  readonly runs: number;
  readonly loadAverage: readonly number[];
  /** The shell's first load (median ms): the baseline every page's ratio is to. */
  readonly shellMs: number;
  readonly pages: readonly { name: string; path: string; medianMs: number; runsMs: readonly number[]; ratioToShell: number; met: boolean; slowest: FirstLoad }[];
  readonly missing: readonly string[];
  readonly bundle: readonly { file: string; bytes: number; gzip: number }[];
  readonly targetMs: number;
  readonly met: number;
}

/**
 * `bench console`: each console page's first load in Chromium against a running server (the
 * default world's, say), `--runs` times in fresh browser contexts, beside the console's shell
 * opened the same way (the baseline: what every page costs before its own data).
 */
export async function runConsoleBench(o: { url?: string; key?: string; runs: number; only?: string; log: (line: string) => void; dataDir?: string; databaseUrl?: string }): Promise<ConsoleBenchResult> {
  if (!existsSync(CHROMIUM)) throw new TwinloopError('BAD_INPUT', `no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set TWINLOOP_CHROMIUM`);
  const found = serverTarget({ dataDir: o.dataDir, databaseUrl: o.databaseUrl }, o.url);
  if (!found) throw new TwinloopError('BAD_INPUT', 'no server to measure: give --url (and --key), or run it on --data-dir');
  const key = o.key ?? found.apiKey ?? localApiKey(o.dataDir, process.env);
  if (!key) throw new TwinloopError('BAD_INPUT', '--key: an API key whose role sees every page (admin), or TWINLOOP_API_KEY');
  const server = { url: found.url, apiKey: key };
  const base = server.url.replace(/\/$/, '');
  const health = (await callServer(server, 'GET', '/health')) as { twins: number };
  const { pages, missing } = await consolePages(server);
  const chosen = o.only ? pages.filter((p) => o.only!.split(',').includes(p.name)) : pages;
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (err) {
    throw new TwinloopError('BAD_INPUT', 'bench console drives Chromium with playwright-core, a development dependency: npm install (with dev dependencies)', { cause: err });
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  const loads = new Map<string, FirstLoad[]>();
  try {
    for (let run = 0; run < o.runs; run++) {
      // Each round opens the shell and every page once, in turns, so that the machine's load changes hit them alike.
      for (const p of [SHELL, ...chosen]) {
        const { page, load } = await openAndMeasure(browser, base, key, p);
        await page.context().close();
        loads.set(p.name, [...(loads.get(p.name) ?? []), load]);
        o.log(`run ${run + 1}/${o.runs} ${p.name}: ${load.ms} ms (document ${load.documentMs}, assets ${load.assetsMs}; ${load.reads.map((r) => `${r.path} ${r.startMs}–${r.endMs}`).join(', ')})`);
      }
    }
  } finally {
    await browser.close();
  }
  const shellMs = sampleStats(loads.get(SHELL.name)!.map((l) => l.ms), ['p50'], 0).p50;
  const assets = loadConsoleAssets();
  const bundle = [...assets.files].map(([file, a]) => ({ file, bytes: a.body.length, gzip: gzipSync(a.body).length }));
  const measured = chosen.map((p) => {
    const all = loads.get(p.name)!;
    const ms = sampleStats(all.map((l) => l.ms), ['p50'], 0).p50;
    return { name: p.name, path: p.path, medianMs: ms, runsMs: all.map((l) => l.ms), ratioToShell: ratio(ms, shellMs), met: ms <= TARGET_MS, slowest: all.reduce((a, b) => (b.ms > a.ms ? b : a)) };
  });
  return { url: base, twins: health.twins, runs: o.runs, loadAverage: loadavg().map((l) => Math.round(l * 10) / 10), shellMs, pages: measured, missing, bundle, targetMs: TARGET_MS, met: measured.filter((p) => p.met).length };
}

/** `bench console`: first load of every console page in the browser. */
export const consoleBench = defineBench({
  name: 'console',
  description: "each console page's first load in Chromium (navigation start → its data on screen) against a running server, beside the console's shell; target ≤ 1 s",
  options: [
    { flags: '--url <url>', description: 'the running server (default: the one running on --data-dir)' },
    { flags: '--key <key>', description: "an API key whose role sees every page (default: TWINLOOP_API_KEY or the data dir's admin.key)" },
    { flags: '--runs <n>', description: 'rounds over the pages (the median is reported)', parse: intOption('--runs', 1, 50), default: 3 },
    { flags: '--only <names>', description: 'comma-separated page names (default: every page)' },
  ],
  run: (o: { url?: string; key?: string; runs: number; only?: string }, { log, globals }) => runConsoleBench({ ...o, log, dataDir: globals.dataDir, databaseUrl: globals.databaseUrl }),
  summary: (r: ConsoleBenchResult) =>
    [
      `console first load on ${r.url} (${r.twins} twins), median of ${r.runs} run(s), load average ${r.loadAverage.join(' ')}; shell ${r.shellMs} ms`,
      ...r.pages.map((p) => `  ${p.name.padEnd(20)} ${String(p.medianMs).padStart(6)} ms  ×${p.ratioToShell.toFixed(2)} of the shell  ${p.met ? 'within 1 s' : 'OVER 1 s'}`),
      ...(r.missing.length ? [`  not measured: ${r.missing.join(', ')}`] : []),
      `  ${r.met} of ${r.pages.length} pages within ${r.targetMs} ms; bundle ${r.bundle.map((b) => `${b.file} ${(b.bytes / 1000).toFixed(1)} kB (${(b.gzip / 1000).toFixed(1)} kB gzip)`).join(', ')}`,
    ].join('\n'),
});
