import { Command } from 'commander';
import { describeActions, type SamePlan } from '../../agents/intents/intent-planner.js';
import { describeControl, type IntentRecord } from '../../agents/intents/intent-store.js';
import type { IntentReport } from '../../agents/intents/intent-report.js';
import { randomUUID } from 'node:crypto';
import { parseIntentText } from '../../agents/intents/intent-text-parser.js';
import { llmConfigFromEnv, proposeIntentWithLlm } from '../../agents/intents/llm-intent-adapter.js';
import { TwinloopError } from '../../domain/errors.js';
import { globalOptions } from './cli-context.js';
import { callServer, requireServer, serverTarget } from './server-client.js';

/**
 * `twinloop intent "TEXT"`: shows how the words are understood (the structured TMF921-shaped
 * intent and each interpretation); with `--submit` the running server stores it as proposed, and
 * with `--accept` accepts it, waits while the server plans it by simulation (and in autonomous
 * mode starts its run) and prints the report.
 */
export function registerIntentCommand(program: Command): void {
  const intent = program.command('intent').description('Intents: operator goals in plain words, planned by simulation and executed through the flows');
  intent
    .argument('[text]', 'e.g. "keep high-value prepaid customers at risk this month, budget 50000"')
    .option('--submit', 'send it to the running server (stored as proposed)')
    .option('--llm', 'let the language model configured by TWINLOOP_LLM_BASE_URL, _API_KEY and _MODEL propose the structured intent (validated, shown, never run until accepted)')
    .option('--accept', 'send it and accept it, then wait while the server plans it by simulation (and runs the plan when the mode allows); prints the report')
    .option('--url <url>', 'server URL (default: the server running on the data dir)')
    .option('--json', 'print JSON')
    .action(
      async (text: string | undefined, opts: { submit?: boolean; accept?: boolean; llm?: boolean; url?: string; json?: boolean }, command: Command) => {
        if (!text) throw new TwinloopError('BAD_INPUT', 'give the intent in words, e.g. twinloop intent "keep high-value prepaid customers at risk this month, budget 50000"');
        if (opts.llm) {
          const server = serverTarget(globalOptions(command), opts.url);
          if (server && (opts.submit || opts.accept)) {
            process.stdout.write(`${JSON.stringify(await callServer(server, 'POST', '/intents', { text, llm: true }), null, opts.json ? undefined : 2)}\n`);
            return;
          }
          const config = llmConfigFromEnv();
          if (!config) throw new TwinloopError('BAD_INPUT', '--llm needs TWINLOOP_LLM_BASE_URL, TWINLOOP_LLM_API_KEY and TWINLOOP_LLM_MODEL');
          const proposed = await proposeIntentWithLlm(text, config, { id: `intent-${randomUUID()}` });
          if (!proposed.ok) throw new TwinloopError('BAD_INPUT', `the model's answer is not a valid intent: ${proposed.reason}\nit said: ${proposed.rawText}`);
          process.stdout.write(`${JSON.stringify(proposed.proposal.intent, null, opts.json ? undefined : 2)}\n`);
          return;
        }
        const parsed = parseIntentText(text);
        if (!parsed.ok) throw new TwinloopError('BAD_INPUT', `${parsed.reason}${parsed.suggestions.length ? `\ntry:\n  ${parsed.suggestions.join('\n  ')}` : ''}`);
        if (!opts.submit && !opts.accept) {
          process.stdout.write(opts.json ? `${JSON.stringify(parsed)}\n` : `understood:\n  ${parsed.interpretation.join('\n  ')}\n(add --submit to store it on the server, --accept to plan and run it)\n`);
          return;
        }
        const server = requireServer(command, opts.url);
        const sent = await callServer(server, 'POST', '/intents', { text, accept: Boolean(opts.accept) });
        // The server answers an accepted intent at once, in planning: wait for the plan as a person would.
        const answer = opts.accept
          ? await waitForIntent((sent as IntentWaitReport).intentId, (id) => callServer(server, 'GET', `/intents/${encodeURIComponent(id)}/report`) as Promise<IntentWaitReport>, {
              sent: sent as IntentWaitReport,
              onWait: (id) => !opts.json && process.stderr.write(`intent ${id}: planning by simulation over its segment (minutes on a large world)…\n`),
            })
          : sent;
        // The report in words (the plan, each target, spend, where it stands); the raw body with --json.
        // Before, ~100 lines of JSON were the only answer to a person who asked in words.
        process.stdout.write(opts.json ? `${JSON.stringify(answer)}\n` : opts.accept ? formatIntentReport(answer as IntentReport) : `${JSON.stringify(answer, null, 2)}\n`);
        const refused = opts.accept ? planRefusal(answer) : undefined;
        if (refused !== undefined) throw new TwinloopError('BAD_INPUT', refused);
      },
    );
  intent
    .command('plans <id>')
    .description('The plan chosen for an intent and the candidate plans simulated and not chosen, each with its simulated value and why not')
    .option('--url <url>', 'server URL (default: the server running on the data dir)')
    .option('--json', 'print JSON')
    .action(
      async (id: string, opts: { url?: string; json?: boolean }, command: Command) => {
        const server = requireServer(command, opts.url);
        const record = (await callServer(server, 'GET', `/intents/${encodeURIComponent(id)}`)) as IntentRecord;
        if (opts.json) return void process.stdout.write(`${JSON.stringify({ intentId: id, plan: record.plan ?? null, pendingPlan: record.pendingPlan ?? null })}\n`);
        process.stdout.write(formatIntentPlans(id, record));
      },
    );
  intent
    .command('execute <id>')
    .description("Approve and run an intent's chosen plan (or its re-plan waiting for approval) as the key's holder; refused (exit 4) when it expired before it ran, naming when")
    .option('--url <url>', 'server URL (default: the server running on the data dir)')
    .option('--json', 'print JSON')
    .action(
      async (id: string, opts: { url?: string; json?: boolean }, command: Command) => {
        const server = requireServer(command, opts.url);
        // The approver is the credential's holder: the server takes it from the key, never from here.
        const record = (await callServer(server, 'POST', `/intents/${encodeURIComponent(id)}/execute`, {})) as IntentRecord & { stage?: { summary: string } };
        if (opts.json) return void process.stdout.write(`${JSON.stringify(record)}\n`);
        process.stdout.write(`intent ${id}: ${record.stage?.summary ?? record.intent.lifecycleStatus}; ${record.events.at(-1)?.kind ?? ''} ${record.events.at(-1)?.detail ?? ''}\n`);
      },
    );
  intent
    .command('report <id>')
    .description("An intent's progress against each expectation, in words (--json: the report as the API answers it)")
    .option('--url <url>', 'server URL (default: the server running on the data dir)')
    .option('--json', 'print JSON')
    .action(
      async (id: string, opts: { url?: string; json?: boolean }, command: Command) => {
        const server = requireServer(command, opts.url);
        const report = (await callServer(server, 'GET', `/intents/${encodeURIComponent(id)}/report`)) as IntentReport;
        process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : formatIntentReport(report));
      },
    );
}

const figure = (x: number) => (Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en-US') : String(Math.round(x * 100) / 100));

/**
 * An intent's report as a person reads it in a terminal: where it stands, its plan, each target with
 * its status and what was measured (a projection only once there is one: its `notProjected` says why
 * not), spend, and what was short. `--json` prints the report as the API answers it.
 */
export function formatIntentReport(r: IntentReport): string {
  const lines = [`intent ${r.intentId} (${r.name}): ${r.stage.summary}`];
  if (r.plan) lines.push(`plan ${r.plan.id}${r.planSelection ? ` (${r.planSelection})` : ''}: ${describeActions(r.plan)}`);
  else if (r.planSelection === 'no-plan') lines.push('no plan passed the simulation');
  if (r.control) lines.push(`  ${describeControl(r.control)}`);
  if (r.pendingPlan) lines.push(`re-plan awaiting approval: ${describeActions(r.pendingPlan)}`);
  lines.push(`horizon ends ${r.horizonEndsAt}${r.status ? `; overall ${r.status}` : ''}`);
  for (const e of r.expectations) {
    const parts = [`${e.targetName} ${e.targetCondition} ${figure(e.targetValue)}: ${e.status}`];
    if (e.current !== undefined) parts.push(`now ${figure(e.current)}${e.currentRange ? ` (90%: ${figure(e.currentRange.low)} to ${figure(e.currentRange.high)})` : ''}`);
    if (e.projected !== undefined) parts.push(`projected ${figure(e.projected)}${e.projectedRange ? ` (90%: ${figure(e.projectedRange.low)} to ${figure(e.projectedRange.high)})` : ''}`);
    else if (e.notProjected) parts.push(e.notProjected);
    if (e.expectedAtHorizon !== undefined) parts.push(`the plan's simulation expects ${figure(e.expectedAtHorizon)}`);
    lines.push(`  ${parts.join('; ')}`, ...(e.notShown ? [`    ${e.notShown}`] : []), ...(e.notJudged ? [`    ${e.notJudged}`] : []));
  }
  lines.push(`spent ${figure(r.spend.spent)}${r.spend.budget !== undefined ? ` of ${figure(r.spend.budget)} ${r.spend.currency ?? ''}`.trimEnd() : ''}`);
  if (r.carriedOut) lines.push(`carried out: ${r.carriedOut}`);
  if (r.shortfalls.length) lines.push(`short: ${r.shortfalls.join('; ')}`);
  if (r.failureReason) lines.push(`failed: ${r.failureReason}`);
  if (r.expired) lines.push(r.expired);
  lines.push(`(twinloop intent plans ${r.intentId}: the plans not chosen; --json: the whole report)`);
  return `${lines.join('\n')}\n`;
}

/** The part of an intent's report `--accept` waits on. */
export interface IntentWaitReport {
  readonly intentId: string;
  readonly inProgress?: string;
}

/** How long `--accept` waits between reads of the report: a planning takes seconds to minutes. */
export const INTENT_POLL_MS = 1_000;
/**
 * How long `--accept` waits for a planning in all: far above a planning of the default world on a
 * loaded machine (minutes), so only a server that stopped planning ends it; the intent goes on.
 */
export const INTENT_WAIT_MS = 60 * 60_000;

/**
 * Reads the intent's report until the server has nothing left to do for it on its own
 * (`inProgress` absent: planned, failed, running or waiting for a person) and answers that report;
 * past `maxWaitMs` it is an UNAVAILABLE naming how to follow it. The pause is injected for tests.
 */
export async function waitForIntent<R extends IntentWaitReport>(
  id: string,
  read: (id: string) => Promise<R>,
  options: { sent?: R; onWait?: (id: string) => void; pauseMs?: number; maxWaitMs?: number; pause?: (ms: number) => Promise<void> } = {},
): Promise<R> {
  const pauseMs = options.pauseMs ?? INTENT_POLL_MS;
  const maxWaitMs = options.maxWaitMs ?? INTENT_WAIT_MS;
  const pause = options.pause ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let report = options.sent ?? (await read(id));
  if (report.inProgress !== undefined) options.onWait?.(id);
  for (let waited = 0; report.inProgress !== undefined; waited += pauseMs) {
    if (waited >= maxWaitMs) {
      throw new TwinloopError('UNAVAILABLE', `intent ${id} is still ${report.inProgress} after ${Math.round(maxWaitMs / 60_000)} min; it goes on on the server: follow it with twinloop intent report ${id}`);
    }
    await pause(pauseMs);
    report = await read(id);
  }
  return report;
}

/**
 * Why an accepted intent got no plan (its report says `planSelection: "no-plan"`), or undefined
 * when it was planned: a script that runs `intent --accept` must not take a refusal for success.
 */
export function planRefusal(answer: unknown): string | undefined {
  if (typeof answer !== 'object' || answer === null) return undefined;
  const report = answer as { intentId?: unknown; planSelection?: unknown; shortfalls?: unknown };
  if (report.planSelection !== 'no-plan') return undefined;
  const why = Array.isArray(report.shortfalls) && report.shortfalls.length ? report.shortfalls.map(String).join('; ') : 'no plan passed the simulation';
  return `intent ${String(report.intentId)} was stored but not planned: ${why}; change its words (segment, budget, target) and send it again`;
}

/** The chosen plan and its alternatives as people read them in a terminal. */
export function formatIntentPlans(id: string, record: Pick<IntentRecord, 'plan' | 'pendingPlan' | 'failure'>): string {
  const chosen = record.pendingPlan ?? record.plan;
  // A failed intent was accepted and planned: "accept it" sent people round in a circle.
  if (!chosen && record.failure) return `intent ${id} failed: ${record.failure.reason}\n`;
  if (!chosen) return `intent ${id} has no plan yet (accept it to plan it by simulation)\n`;
  const iv = (x: { mean: number; low: number; high: number }) => `${Math.round(x.mean)} [${Math.round(x.low)}, ${Math.round(x.high)}]`;
  const lines = [
    `${record.pendingPlan ? 're-plan awaiting approval' : 'chosen'}: ${chosen.plan.id} (${chosen.selection}): ${describeActions(chosen.plan)}`,
    `  net value ${iv(chosen.outcome.netValue)}, cost ${iv(chosen.outcome.cost)}, churners avoided ${iv(chosen.outcome.churnersAvoided)}${chosen.shortfalls.length ? `; short: ${chosen.shortfalls.join('; ')}` : ''}`,
    ...(chosen.same?.length ? [`  ${describeSame(chosen.same)}`] : []),
    ...(chosen.control ? [`  ${describeControl(chosen.control)}`] : []),
  ];
  const alternatives = chosen.alternatives;
  if (!alternatives) lines.push('not chosen: not kept for this plan (planned before alternatives were kept)');
  else {
    lines.push(`not chosen (${alternatives.length}, best first):`);
    for (const a of alternatives) lines.push(`  ${a.planId}: ${a.actions}`, `    net value ${iv(a.outcome.netValue)}, cost ${iv(a.outcome.cost)}: ${a.whyNot}`, ...(a.same?.length ? [`    ${describeSame(a.same)}`] : []));
  }
  return `${lines.join('\n')}\n`;
}

/** Candidates collapsed into a row, in words: "the same simulated outcome as p29 (…), p33 (…)". */
const describeSame = (same: readonly SamePlan[]) =>
  `the same simulated outcome as ${same.map((x) => `${x.planId} (${x.actions})`).join(', ')}: the simulation does not tell them apart`;
