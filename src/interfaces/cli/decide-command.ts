import { Command } from 'commander';
import { decisionAnswer } from '../../decisioning/decision-answer.js';
import { DecisionService } from '../../decisioning/decision-service.js';
import { CHANNELS, channelSchema } from '../../domain/events.js';
import { TwinloopError } from '../../domain/errors.js';
import { loadChampion } from '../../intelligence/live/churn-model-service.js';
import { whyUnscored } from '../../intelligence/live/live-intelligence.js';
import { LiveScoring } from '../../intelligence/live/live-scoring.js';
import type { ScoreBasis } from '../../decisioning/score-basis.js';
import { openModelRegistry } from '../../store/open-model-registry.js';
import { openRecordStore } from '../../store/open-record-store.js';
import { resolveStoreOptions } from '../../store/store-options.js';
import { globalOptions, openTwins } from './cli-context.js';
import { callServer, serverTarget } from './server-client.js';

interface Ranked {
  actionId: string;
  name: string;
  score: number;
  expectedValue: number;
  propensity: number;
  reasons: string[];
}
interface Answer {
  decisionId: string;
  customerId: string;
  chosen: string;
  choice?: { mode: string; reason: string };
  basedOn?: ScoreBasis;
  ranked: Ranked[];
  discarded: { actionId: string; step: string; reason: string }[];
}

/** What the offers were valued on, in a line. */
function basisLine(b: ScoreBasis): string {
  return b.scored ? `  valued on churn risk ${(b.churn * 100).toFixed(1)} % and lifetime value ${b.clv.toFixed(2)}` : `  valued on no score: ${b.note}`;
}

/**
 * The decision in a few lines: the choice and what it was valued on, ranked actions with value and
 * reasons, then what was removed where. Each ranked action's "chosen with p" is the arbitration's
 * chance of picking it, not the customer's of accepting (that is the reasons' P(accept)).
 */
export function formatDecision(d: Answer): string {
  const lines = [`decision ${d.decisionId} for ${d.customerId}: ${d.chosen}`, ...(d.choice ? [`  ${d.choice.reason}`] : []), ...(d.basedOn ? [basisLine(d.basedOn)] : []), 'ranked:'];
  for (const r of d.ranked) {
    lines.push(`  ${r.actionId.padEnd(18)} expected value ${r.expectedValue.toFixed(2).padStart(9)}  score ${r.score.toFixed(3).padStart(9)}  chosen with p ${r.propensity.toFixed(3)}`);
    for (const why of r.reasons.slice(0, 3)) lines.push(`      ${why}`);
  }
  if (d.discarded.length) lines.push('discarded:');
  for (const x of d.discarded) lines.push(`  ${x.actionId.padEnd(18)} at ${x.step}: ${x.reason}`);
  return lines.join('\n');
}

/** `twinloop decide CUSTOMER`: next-best-action for one customer, from the running server or in process. */
export function registerDecideCommand(program: Command): void {
  program
    .command('decide <customer>')
    .description('Next-best-action for a customer: ranked actions with expected value and reasons, and the step that removed each other offer')
    .option('--channel <channel>', `channel of the contact (${CHANNELS.join(', ')})`, 'call')
    .option('--reason <reason>', 'why the customer is in contact, e.g. billing_question')
    .option('--url <url>', 'ask this server (default: the server running on the data dir, else decide in this process)')
    .option('--json', 'print the decision as JSON')
    .action(
      async (customer: string, opts: { channel: string; reason?: string; url?: string; json?: boolean }, command: Command) => {
        const channel = channelSchema.safeParse(opts.channel);
        if (!channel.success) throw new TwinloopError('BAD_INPUT', `--channel: "${opts.channel}" is not a channel; use one of ${CHANNELS.join(', ')}`);
        const global = globalOptions(command);
        const server = serverTarget(global, opts.url);
        let answer: Answer;
        if (server) {
          answer = (await callServer(server, 'POST', '/decisions', { customerId: customer, channel: channel.data, reason: opts.reason, explain: true })) as Answer;
        } else {
          const storeOptions = resolveStoreOptions(global, process.env);
          const twins = await openTwins(global, undefined, 'read');
          const registry = await openModelRegistry(storeOptions);
          const records = await openRecordStore(storeOptions);
          try {
            const champion = await loadChampion(registry);
            const live = champion ? new LiveScoring(twins.engine, champion) : null;
            const decisions = await DecisionService.open({
              twins: twins.engine,
              scores: (id) => {
                const s = live?.scoreOf(id);
                return s?.active ? { churn: s.churn, clv: s.clv, atRisk: s.atRisk } : undefined;
              },
              unscored: () => whyUnscored(live !== null),
              records,
              clock: { now: () => twins.engine.eventClockOrNow() },
            });
            answer = decisionAnswer(decisions.decide(customer, { channel: channel.data, reason: opts.reason })) as unknown as Answer;
            await decisions.close();
          } finally {
            await records.close();
            await registry.close();
            await twins.close({ checkpoint: false });
          }
        }
        process.stdout.write(opts.json ? `${JSON.stringify(answer)}\n` : `${formatDecision(answer)}\n`);
      },
    );
}
