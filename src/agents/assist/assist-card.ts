import { randomUUID } from 'node:crypto';
import { TwinloopError } from '../../domain/errors.js';
import type { Channel } from '../../domain/events.js';
import type { CustomerContext, TimelineEntry } from '../../twin/customer-context.js';
import type { EarlierDecisions } from './earlier-decisions.js';

/**
 * The assist card: what a contact-centre or store agent sees when a customer's interaction starts —
 * the twin with its scores and reasons, the top next-best actions, and what the customer did on
 * the other channels in the last hours. Its sources are injected functions, so the card does not
 * depend on how the twin is decorated or how actions are ranked.
 */

/** One recommended action as the desktop shows it (the next-best-action funnel's ranked entry). */
export interface AssistAction {
  readonly actionId: string;
  readonly name?: string;
  readonly treatment?: string;
  /** Expected value in currency units. */
  readonly expectedValue: number;
  readonly score?: number;
  readonly reasons: readonly string[];
  /** Present when the action was logged as a decision: the desktop's Accept posts to /decisions/:decisionId/accept. */
  readonly decisionId?: string;
}

/** The twin as `GET /twins/:id` answers it (view plus decorations such as `scores`). */
export type AssistSummary = { readonly customerId: string } & Readonly<Record<string, unknown>>;

/** What the card asks of next-best-action. */
export interface RecommendRequest {
  readonly channel: Channel;
  /** Why the customer is in contact (the interaction's intent). */
  readonly reason: string;
}

/** Where a card's parts come from. */
export interface AssistCardSources {
  /** The twin with its scores and reasons; undefined for an unknown customer. */
  summary(customerId: string): AssistSummary | undefined;
  /** Top actions, best first; `noRecommendations` until next-best-action is wired. */
  recommend(customerId: string, request: RecommendRequest): readonly AssistAction[] | Promise<readonly AssistAction[]>;
  context(customerId: string): CustomerContext;
  /**
   * What came of the customer's earlier decisions (those of `current`, the card's own, only once
   * acted on), judged now on the clock the decisions are dated by (the operator's, which may run
   * ahead of the twins' event clock a card is dated by), reaching back at least to the start of
   * the card's interaction (`interactionStart`, event time; null for a card with none in
   * progress); absent: none shown.
   */
  earlier?(customerId: string, current: ReadonlySet<string>, interactionStart: number | null): Promise<EarlierDecisions>;
}

/** What a card is built for: an interaction start, or a desktop asking mid-interaction. */
export interface AssistTrigger {
  readonly customerId: string;
  readonly channel: Channel;
  readonly reason: string;
  /** Event time of the interaction start (ms). */
  readonly at: number;
  /** Wall-clock time the intake applied the start (ms); null when the card was asked for. */
  readonly acceptedAt: number | null;
  /** The start event's id; null when the card was asked for. */
  readonly eventId: string | null;
  /** What staged the interaction (its context's `staged`, e.g. `care-example`), null for the world's own. */
  readonly staged?: string | null;
  /** False for a card asked for with no interaction open on its channel (`reason` unknown, `at` when asked); default true. */
  readonly inProgress?: boolean;
}

/**
 * The mark of a staged interaction: `context.staged` names what staged it (a scenario). A desktop
 * keeps a staged call's card until the agent takes or dismisses it, however many calls go by.
 */
export function stagedBy(context: Readonly<Record<string, unknown>> | undefined): string | null {
  const staged = context?.staged;
  return typeof staged === 'string' && staged.length > 0 ? staged : null;
}

/** An interaction on another channel, as the card lists it. */
export interface OtherChannelInteraction {
  readonly channel: Channel;
  readonly intent: string;
  readonly phase: 'start' | 'update' | 'end';
  readonly context: Readonly<Record<string, unknown>>;
  readonly startedAt: string;
  readonly at: string;
}

/** The card pushed to subscribed desktops and served by `GET /assist/cards/:customerId`. */
export interface AssistCard {
  readonly cardId: string;
  readonly customerId: string;
  readonly channel: Channel;
  /** The interaction's intent. */
  readonly reason: string;
  readonly eventId: string | null;
  /** Event time of the interaction start (ISO). */
  readonly at: string;
  /** When the intake applied the start (ISO wall clock), null for a card asked for. */
  readonly acceptedAt: string | null;
  /** When the card was built (ISO wall clock). */
  readonly builtAt: string;
  readonly summary: AssistSummary | null;
  readonly actions: readonly AssistAction[];
  /** Other channels' interactions in the last hours, most recent first. */
  readonly otherChannels: readonly OtherChannelInteraction[];
  /** What staged the interaction (a scenario), null for the world's own: desktops keep it until taken. */
  readonly staged: string | null;
  /** Whether the interaction is open: false for a card asked for when none is (its `reason` is then `unknown`, its `at` when it was asked). */
  readonly inProgress: boolean;
  /** What came of the customer's earlier decisions (the call yesterday's offer accepted, declined, awaiting approval, expired). */
  readonly earlier: EarlierDecisions;
}

/** Options of `buildAssistCard`. */
export interface AssistCardOptions {
  /** How far back other channels count (hours of event time before the start); default 4. */
  readonly otherChannelsHours?: number;
  /** Actions shown at most; default 3. */
  readonly maxActions?: number;
  /** Wall clock for `builtAt`; default Date.now. */
  readonly now?: () => number;
}

/** A few hours spans "browsed this morning, calls this afternoon" without dragging in last week. */
export const DEFAULT_OTHER_CHANNELS_HOURS = 4;
/** An agent reads three options during a call; more is noise. */
export const DEFAULT_MAX_ACTIONS = 3;

/** The default `recommend` until next-best-action is wired: no actions. */
export const noRecommendations = (): readonly AssistAction[] => [];

/** Interactions of `context` on channels other than `channel`, since `since` (ms), most recent first. */
export function otherChannelInteractions(context: CustomerContext, channel: Channel, since: number): OtherChannelInteraction[] {
  const out: (OtherChannelInteraction & { ms: number })[] = [];
  for (const t of context.timeline as readonly TimelineEntry[]) {
    const ms = Date.parse(t.at);
    if (t.channel === channel || ms < since) continue;
    out.push({ channel: t.channel, intent: t.intent, phase: t.phase, context: t.context, startedAt: t.startedAt, at: t.at, ms });
  }
  // The timeline is in arrival order; a late event may sit after a newer one.
  out.sort((a, b) => b.ms - a.ms);
  return out.map(({ ms: _ms, ...o }) => o);
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Builds the card for `trigger` from its sources. */
export async function buildAssistCard(sources: AssistCardSources, trigger: AssistTrigger, options: AssistCardOptions = {}): Promise<AssistCard> {
  const hours = options.otherChannelsHours ?? DEFAULT_OTHER_CHANNELS_HOURS;
  const maxActions = options.maxActions ?? DEFAULT_MAX_ACTIONS;
  if (!(hours > 0) || !(maxActions >= 0)) throw new TwinloopError('BAD_INPUT', 'assist card: otherChannelsHours must be positive and maxActions at least 0');
  const summary = sources.summary(trigger.customerId) ?? null;
  const otherChannels = otherChannelInteractions(sources.context(trigger.customerId), trigger.channel, trigger.at - hours * 3_600_000);
  const actions = (await sources.recommend(trigger.customerId, { channel: trigger.channel, reason: trigger.reason })).slice(0, maxActions);
  const current = new Set(actions.flatMap((a) => (a.decisionId ? [a.decisionId] : [])));
  const earlier = sources.earlier ? await sources.earlier(trigger.customerId, current, trigger.inProgress === false ? null : trigger.at) : { decisions: [], notActedOn: 0 };
  return {
    cardId: randomUUID(),
    customerId: trigger.customerId,
    channel: trigger.channel,
    reason: trigger.reason,
    eventId: trigger.eventId,
    at: iso(trigger.at),
    acceptedAt: trigger.acceptedAt === null ? null : iso(trigger.acceptedAt),
    builtAt: iso((options.now ?? Date.now)()),
    summary,
    actions,
    otherChannels,
    staged: trigger.staged ?? null,
    inProgress: trigger.inProgress ?? true,
    earlier,
  };
}

/**
 * The trigger for a card asked for now (a desktop joining mid-interaction): the customer's open
 * interaction on `channel` (or, without one, on the most recently active assisted channel).
 */
export function triggerFromContext(context: CustomerContext, assisted: readonly Channel[], channel: Channel | undefined, now: number): AssistTrigger {
  const candidates = channel ? [channel] : assisted;
  let best: { channel: Channel; intent: string; startedAt: number; staged: string | null } | null = null;
  for (const ch of candidates) {
    const state = context.channels[ch];
    if (!state?.inProgress) continue;
    const startedAt = Date.parse(state.startedAt);
    if (!best || startedAt > best.startedAt) best = { channel: ch, intent: state.intent, startedAt, staged: stagedBy(state.context) };
  }
  if (best) return { customerId: context.customerId, channel: best.channel, reason: best.intent, at: best.startedAt, acceptedAt: null, eventId: null, staged: best.staged };
  return { customerId: context.customerId, channel: channel ?? assisted[0], reason: 'unknown', at: now, acceptedAt: null, eventId: null, inProgress: false };
}
