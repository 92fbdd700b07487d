import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { TwinloopError } from '../../domain/errors.js';
import {
  WORLD_NAMES,
  WorldStatsAccumulator,
  checkWorldDocument,
  compareSides,
  createSandboxWorld,
  formatCalibration,
  formatConfigIssues,
  ibmProfile,
  loadWorldDocument,
  namedWorld,
  parseWorldText,
  worldProfile,
  type WorldConfig,
  type WorldStats,
} from '../../sandbox/index.js';
import type { CareExample } from '../../sandbox/index.js';
import { formatSandboxAssurance, type SandboxAssurance } from './sandbox-assurance-format.js';
import { formatLiveChurnCeiling } from './churn-ceiling-report.js';
import type { LiveCeilingReport } from '../../evaluation/live-churn-ceiling.js';
import { stagedCard } from './care-example-card.js';
import { EXIT_CODE } from './cli-edge.js';
import { callServer, requireServer } from './server-client.js';
import { formatCount, intOption } from './cli-numbers.js';
import { readInputText } from './input-file.js';
import { createProgress } from './progress.js';

const readConfig = (file: string): string => readInputText(file, 'world configuration', 'docs/sandbox.md describes the fields');

/** The options of a command that runs a sandbox world live (`start`, `sandbox serve`). */
export interface SandboxRunOptions {
  world: string;
  config?: string;
  customers?: number;
  seed: number;
  months: number;
  speed: number;
}

/** The world a command runs: `--config FILE`, else `--world NAME`, else the default; `--customers` overrides the size. */
export function resolveWorld(opts: { config?: string; world?: string; customers?: number }): WorldConfig {
  const base: WorldConfig = opts.config ? loadWorldDocument(parseWorldText(readConfig(opts.config))) : namedWorld(opts.world ?? 'default');
  if (opts.customers === undefined) return base;
  return loadWorldDocument({ ...base, population: { ...base.population, customers: opts.customers } });
}

/** Adds `twinloop sandbox generate | validate | stats | calibrate` (`serve`: sandbox-serve-command.ts). */
export function registerSandboxCommands(program: Command): Command {
  const sandbox = program.command('sandbox').description('the simulated operator: generate worlds, check configurations, inspect and calibrate, serve its BSS over HTTP');

  sandbox
    .command('generate')
    .description('generate months of history of a sandbox world as NDJSON twin events')
    .option('--config <file>', 'world configuration (JSON); may "extends" a built-in world')
    .option('--world <name>', `built-in world: ${WORLD_NAMES.join(', ')}`, 'default')
    .option('--customers <n>', 'override the population size', intOption('--customers', 1))
    .requiredOption('--seed <n>', 'seed: the same config and seed give the same bytes', intOption('--seed', 0))
    .requiredOption('--months <m>', 'months of history', intOption('--months', 1))
    .requiredOption('--out <file>', 'NDJSON file to write')
    .action(async (opts: { config?: string; world?: string; customers?: number; seed: number; months: number; out: string }) => {
      const config = resolveWorld(opts);
      const world = createSandboxWorld(config, opts.seed);
      const progress = createProgress();
      let started = false;
      const t = performance.now();
      const { events, bytes } = await world.backfillToFile(opts.out, {
        months: opts.months,
        onProgress: (done, total) => {
          if (!started) progress.start(total, `generate ${config.name}`);
          started = true;
          progress.update(done);
        },
      });
      progress.stop();
      const sec = (performance.now() - t) / 1000;
      console.log(`${events} events (${(bytes / 1e6).toFixed(1)} MB) for ${config.population.customers} customers over ${opts.months} months in ${sec.toFixed(1)} s → ${opts.out}`);
    });

  sandbox
    .command('validate')
    .description(`check a world configuration; exit ${EXIT_CODE.BAD_INPUT} with one line per wrong field`)
    .requiredOption('--config <file>', 'world configuration (JSON)')
    .action((opts: { config: string }) => {
      const result = checkWorldDocument(parseWorldText(readConfig(opts.config)));
      if (!result.ok) {
        throw new TwinloopError('BAD_INPUT', `${opts.config} is not a valid world configuration:\n${formatConfigIssues(result.issues).join('\n')}`);
      }
      const c = result.config;
      console.log(`ok: world "${c.name}", ${c.population.customers} customers, ${c.plans.length} plans, ${c.network.cells} cells, churn target ${(100 * c.churn.monthlyRate.target).toFixed(1)}%/month`);
    });

  sandbox
    .command('stats')
    .description('a quick look at a generated world: customers, events by kind, churn, usage, complaints, incidents')
    .argument('<file>', 'NDJSON file of twin events')
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: { json?: boolean }) => {
      const acc = new WorldStatsAccumulator();
      const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
      let n = 0;
      for await (const line of lines) {
        n++;
        if (!line.trim()) continue;
        try {
          acc.add(JSON.parse(line));
        } catch (err) {
          throw new TwinloopError('BAD_INPUT', `${file}:${n}: not JSON (${(err as Error).message})`);
        }
      }
      const stats = acc.result();
      console.log(opts.json ? JSON.stringify(stats) : formatStats(stats));
    });

  sandbox
    .command('scenario')
    .description("makes a scenario of the brief happen in the running server's live sandbox world; care-example: a high-value customer consenting to marketing runs over their data and calls with a billing complaint, so the agent desktop's card can offer the data bonus (it prints what the card will rank)")
    .argument('<name>', 'the scenario: care-example')
    .option('--customer <id>', 'the customer to stage it on (default: the world picks one who fits)')
    .option('--url <url>', 'server URL (default: the server running on the data dir)')
    .option('--json', 'print one JSON object')
    .action(async (name: string, opts: { customer?: string; url?: string; json?: boolean }, command: Command) => {
      if (name !== 'care-example') throw new TwinloopError('BAD_INPUT', `unknown scenario "${name}"; the scenarios: care-example`);
      const server = requireServer(command, opts.url, 'the sandbox runs live in it');
      const staged = (await callServer(server, 'POST', '/sandbox/scenarios/care-example', opts.customer ? { customerId: opts.customer } : {})) as CareExample;
      if (opts.json) {
        console.log(JSON.stringify(staged));
        return;
      }
      console.log(
        [
          `care example staged on ${staged.customerId} at ${staged.at} (simulated):`,
          `  plan ${staged.planId} at ${staged.monthlyPrice}/month, with a ${formatCount(staged.dataAllowanceMb)} MB data allowance: today's use takes this period over it`,
          `  billing complaint ${staged.ticketId} opened, and a call (billing_complaint) is starting now${
            staged.heldRealMs !== null && staged.endsBy !== null ? `: the customer stays on the line for ${Math.round(staged.heldRealMs / 60_000)} minutes of your time (until ${staged.endsBy}, simulated), then the call counts as ended` : ''
          }`,
          // The link opens exactly this card: on the sandbox's world tens of calls start every second, so the queue alone would bury it.
          `see it: ${server.url}/console/assist?customer=${encodeURIComponent(staged.customerId)}&channel=call (the agent desktop opens ${staged.customerId}'s card)`,
          // What the card will show, not what it should: before the first model serves, only "Do nothing".
          ...(await stagedCard(server, staged)).map((l) => `  ${l}`),
          `  or:   twinloop decide ${staged.customerId} --channel call --reason billing_complaint`,
          `        twinloop twin ${staged.customerId}`,
        ].join('\n'),
      );
    });

  sandbox
    .command('assurance')
    .description("judges the running server's anomaly detection against its live sandbox world's real incidents (GET /sandbox/assurance): precision of the suspected incidents, incidents found and the lead before their alarm, over the backfilled history and since the world runs live")
    .option('--url <url>', 'server URL (default: the server running on the data dir)')
    .option('--json', 'print the answer of GET /sandbox/assurance')
    .action(async (opts: { url?: string; json?: boolean }, command: Command) => {
      const server = requireServer(command, opts.url, 'the sandbox runs live in it');
      const answer = (await callServer(server, 'GET', '/sandbox/assurance')) as SandboxAssurance;
      console.log(opts.json ? JSON.stringify(answer) : formatSandboxAssurance(answer));
    });

  sandbox
    .command('churn-ceiling')
    .description("the running server's churn model against the live world's truth (GET /sandbox/churn-ceiling): its AUC beside the feature oracle's and the true probabilities' on the same twins, expected at once and realised once the model's horizon has passed, with the reading")
    .option('--url <url>', 'server URL (default: the server running on the data dir)')
    .option('--json', 'print the answer of GET /sandbox/churn-ceiling')
    .action(async (opts: { url?: string; json?: boolean }, command: Command) => {
      const server = requireServer(command, opts.url, 'the sandbox runs live in it');
      const answer = (await callServer(server, 'GET', '/sandbox/churn-ceiling')) as LiveCeilingReport;
      console.log(opts.json ? JSON.stringify(answer) : formatLiveChurnCeiling(answer));
    });

  sandbox
    .command('calibrate')
    .description("compare the world's marginals and churn drivers with IBM's Telco Customer Churn file")
    .requiredOption('--ibm <file>', 'the IBM Telco Customer Churn CSV')
    .option('--config <file>', 'world configuration (JSON)')
    .option('--world <name>', 'built-in world', 'default')
    .option('--customers <n>', 'override the population size', intOption('--customers', 1))
    .option('--seed <n>', 'seed', intOption('--seed', 0), 1)
    .option('--months <m>', 'months of history to measure churn over', intOption('--months', 1), 12)
    .option('--json', 'print one JSON object')
    .action((opts: { ibm: string; config?: string; world?: string; customers?: number; seed: number; months: number; json?: boolean }) => {
      const ibm = ibmProfile(readInputText(opts.ibm, 'IBM Telco churn CSV'));
      const world = worldProfile(resolveWorld(opts), opts.seed, opts.months);
      const report = compareSides(ibm, world);
      console.log(opts.json ? JSON.stringify(report) : formatCalibration(report));
    });

  return sandbox;
}

function formatStats(s: WorldStats): string {
  const pct = (x: number) => (100 * x).toFixed(2) + '%';
  const kinds = Object.entries(s.eventsByKind)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `events            ${s.events} (${kinds})`,
    `time span         ${s.firstTime} .. ${s.lastTime}`,
    `customers         ${s.customers} (${s.activeAtEnd} active at end, ${s.terminations} terminated)`,
    `monthly churn     ${pct(s.monthlyChurnRate)} per customer-month (by month: ${s.monthlyChurnByMonth.filter((m) => m.activeAtStart > 0).map((m) => `${m.month} ${pct(m.rate)}${m.partial ? ' partial' : ''}`).join(', ')})`,
    `usage per day     ${s.usagePerCustomerDay.dataMb.toFixed(0)} MB, ${s.usagePerCustomerDay.voiceMin.toFixed(1)} min, ${s.usagePerCustomerDay.sms.toFixed(2)} SMS per subscription`,
    `bills             ${s.bills.count}, mean ${s.bills.meanAmount.toFixed(2)}, ${pct(s.bills.withOverage / Math.max(1, s.bills.count))} with overage`,
    `top-ups (prepaid) ${s.topups.count}, mean ${s.topups.meanAmount.toFixed(2)}, ${s.topups.addons} add-ons`,
    `contract ends: ${s.contractEnds.renewed} renewed, ${s.contractEnds.monthToMonth} rolled on month to month, ${s.contractEnds.left} left`,
    `payments          ${s.payments.paid} paid (${s.payments.late} late), ${s.payments.failed} failed`,
    `tickets           ${s.tickets.opened} opened, ${s.tickets.complaints} complaints (${s.tickets.complaintsPerThousandCustomerMonths.toFixed(1)} per 1,000 customer-months)`,
    `network incidents ${s.incidents.distinct}, touching customers ${s.incidents.impactsOnCustomers} times`,
    `offers            ${s.offers.presented} presented, ${s.offers.accepted} accepted, ${s.offers.declined} declined`,
  ].join('\n');
}
