import { DEFAULT_MAX_ACTIONS } from '../../agents/assist/assist-card.js';
import type { CareExample } from '../../sandbox/index.js';
import { formatCount } from './cli-numbers.js';
import { callServer, type ServerTarget } from './server-client.js';

/** The parts of `GET /twins/:id/what-if` the staging command reads. */
export interface StagedWhatIf {
  readonly basedOn: { readonly scored: true } | { readonly scored: false; readonly note: string };
  readonly offers: readonly { readonly actionId: string; readonly name: string; readonly expectedValue: number; readonly funnel: { readonly step: 'proposed'; readonly rank: number } | { readonly step: string; readonly reason: string } }[];
}

/** The offer the brief's care example is about. */
const DATA_BONUS = 'data-bonus';
/** How long the command waits for the staged call to be in the twins (the world hands it over at its next tick, a quarter second; longer while the server is behind). */
const STAGED_CALL_WAIT_MS = 15_000;

/** The parts of a twin's `periodUsage` (`GET /twins/:id`) the staging command prints. */
export interface StagedPeriod {
  readonly dataMb: number;
  readonly dataAllowanceMb: number;
  readonly dataShare: number | null;
}

/**
 * The staged customer's data this period as the card shows it (the twin's period, in MB with the
 * share of the allowance): the command printed the world's count in GB ("375 GB used this period of
 * a 300 GB allowance") beside the card's "377,581 MB of 307,200 MB (123 %)", two quantities a person
 * had to convert to compare, and the world's count holds today's use the twin has not taken yet.
 */
export function stagedUsageLine(p: StagedPeriod): string {
  const used = p.dataShare === null ? `${formatCount(p.dataMb)} MB (no allowance given)` : `${formatCount(p.dataMb)} MB of a ${formatCount(p.dataAllowanceMb)} MB allowance (${Math.round(p.dataShare * 100)} %)`;
  return `data this period, as the card shows it: ${used}`;
}

/**
 * What the staged call's card will show, in words, from next-best-action's values now (the
 * what-if: nothing logged): the offers it proposes in order, then "Do nothing"; only "Do nothing"
 * while no churn model serves (before the first start's model is fitted), saying why and what to
 * do; and why the data bonus is not among them when it is not. The command said "the data bonus
 * among its ranked actions" whatever the card then showed.
 */
export function stagedCardLines(w: StagedWhatIf): string[] {
  if (!w.basedOn.scored) return [`the card will show only "Do nothing" for now: ${w.basedOn.note}. Stage it again once the server has printed its ready line (a churn model serves)`];
  const proposed = w.offers.flatMap((o) => ('rank' in o.funnel ? [{ ...o, rank: o.funnel.rank }] : [])).sort((a, b) => a.rank - b.rank);
  const shown = [...proposed.slice(0, DEFAULT_MAX_ACTIONS - 1).map((o) => `${o.name} (expected value ${o.expectedValue.toFixed(2)})`), 'Do nothing'];
  const lines = [
    proposed.length === 0
      ? 'the card will show only "Do nothing": next-best-action expects no offer to add value in this call'
      : `the card will rank, as next-best-action values them now: ${shown.join(', ')} (a choice that explores an uncertain offer may put another first, and says so)`,
  ];
  const bonus = w.offers.find((o) => o.actionId === DATA_BONUS);
  if (bonus && 'reason' in bonus.funnel) lines.push(`  the data bonus is not among them: ${bonus.funnel.step}: ${bonus.funnel.reason}`);
  return lines;
}

/**
 * Reads the staged call's card-to-be once the server holds the call (its context shows the call the
 * world started): the period's data as the card shows it (`stagedUsageLine`), then the ranking as
 * `stagedCardLines` words it; says so when the server has not taken it in yet.
 */
export async function stagedCard(server: ServerTarget, staged: Pick<CareExample, 'customerId' | 'at'>): Promise<string[]> {
  const id = encodeURIComponent(staged.customerId);
  for (const until = Date.now() + STAGED_CALL_WAIT_MS; ; ) {
    const context = (await callServer(server, 'GET', `/customers/${id}/context`)) as { channels: { call?: { startedAt: string } } };
    if (context.channels.call && Date.parse(context.channels.call.startedAt) === Date.parse(staged.at)) break;
    if (Date.now() > until) return [`the server has not taken the call in yet (it is behind the world): twinloop decide ${staged.customerId} --channel call --reason billing_complaint shows the ranking once it has`];
    await new Promise((r) => setTimeout(r, 250));
  }
  const twin = (await callServer(server, 'GET', `/twins/${id}`)) as { periodUsage?: StagedPeriod | null };
  const whatIf = (await callServer(server, 'GET', `/twins/${id}/what-if?channel=call&reason=billing_complaint`)) as StagedWhatIf;
  return [...(twin.periodUsage ? [stagedUsageLine(twin.periodUsage)] : []), ...stagedCardLines(whatIf)];
}
