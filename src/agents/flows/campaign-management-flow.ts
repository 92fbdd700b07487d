import { z } from 'zod';
import { ok, rejected } from '../../domain/connectors/connector-result.js';
import { TwinloopError } from '../../domain/errors.js';
import { cents } from '../../decisioning/action-pricing.js';
import { requireOffering } from '../../decisioning/offer-catalogue.js';
import { channelSchema } from '../../domain/events.js';
import { NOTIFICATION_CHANNELS } from '../../domain/connectors/notifications.js';
import type { AuditTrail } from '../governance/audit-trail.js';
import { TWIN_SCORE_FIELDS } from '../../intelligence/live/score-fields.js';
import { featureFilterSchema } from '../../twin/feature-filter.js';
import { stepFailureOf, type StepDefinition, type SubjectRun, type WorkflowContext, type WorkflowDefinition } from '../workflows/index.js';
import { stoppedNow, waitUnlessStopped, type RunStop } from './run-stop.js';
import { allocateBudget, DEFAULT_MAX_SHIFT_PER_TICK, DEFAULT_MIN_SHARE, judgeVariants, type ControlStats, type VariantStats } from './campaign-bandit.js';

/**
 * Flow 5, campaign management: a running campaign (variants = offer × channel, a budget, a
 * control group) watched on a durable timer. Each tick reads the variants' answers, pauses a
 * variant that harms (rule in campaign-bandit.ts), moves budget by Thompson sampling within the
 * guardrails, writes every adjustment with its evidence to the audit trail, and hands the new
 * split to whoever delivers the campaign. It ends when the budget is spent, at the end date, or
 * when stopped (`STOP_RUN_SIGNAL`, run-stop.ts: the intent that started it closed): a stop ends its
 * wait for the next tick at once, and a tick that sees it hands nothing more to the delivery side.
 */

/** Stable workflow id (stored in the journal). */
export const CAMPAIGN_MANAGEMENT_WORKFLOW_ID = 'campaign-management';
export const CAMPAIGN_MANAGEMENT_WORKFLOW_VERSION = 1;
/** Stable step ids. */
export const CAMPAIGN_OPEN_STEP_ID = 'campaign-open';
export const CAMPAIGN_STATS_STEP_ID = 'campaign-stats';
export const CAMPAIGN_ADJUST_STEP_ID = 'campaign-adjust';
export const CAMPAIGN_CLOSE_STEP_ID = 'campaign-close';
/** The audit actor of every adjustment. */
export const CAMPAIGN_MANAGER_ACTOR = { kind: 'agent', id: 'campaign-manager' } as const;
/** Action class of adjustment entries (the audit trail has no `campaign.adjusted` type yet). */
export const CAMPAIGN_ADJUSTMENT_CLASS = 'campaign_adjustment';
/**
 * A move smaller than this (in share) is noise and is neither applied nor audited; nor is one that
 * moves no variant's share by a whole point as the log writes it (`pc`): the log said "69%→69%".
 */
const MIN_RECORDED_SHIFT = 0.005;

const variantSchema = z.object({
  id: z.string().min(1).max(100),
  offerId: z.string().min(1),
  /** Where the contact lands on the twin (an e-mail or SMS is a `web` contact, a call-back a `call`). */
  channel: channelSchema,
  /** The channel the plan chose for a message (a communication goes out there; opt-outs are checked on it). Default sms. */
  notificationChannel: z.enum(NOTIFICATION_CHANNELS).optional(),
});

/** The campaign as started. */
export const campaignInputSchema = z.object({
  /** At most 191 characters: its run's id (`campaignRunId`) is read back through routes that take ids of up to 200. */
  campaignId: z.string().min(1).max(191),
  variants: z.array(variantSchema).min(1).max(50),
  budget: z.number().positive(),
  /**
   * Who may be contacted: an intent's segment as resolved when planned (the one filter vocabulary,
   * over twin features and live scores); the delivery side draws the audience and its control group
   * from the twins that pass it. Empty = every active customer.
   */
  audience: z.array(featureFilterSchema(TWIN_SCORE_FIELDS)).optional(),
  /**
   * At most this many of the audience, best first, its control group among them: an intent's plan's
   * selection, as many as its simulation targeted and held out (the plan approved at 1,774 targeted
   * ran over the segment's 5,466). Absent: all of it (up to the delivery side's largest audience).
   */
  audienceMax: z.number().int().min(0).optional(),
  /** Share of the audience held out; the delivery side draws it, the flow reads its churn. */
  controlShare: z.number().min(0).max(0.5).default(0.1),
  /** ms since epoch. */
  endAt: z.number().int(),
  /** Time between ticks (durable sleep). */
  tickMs: z.number().int().min(1_000).default(24 * 3_600_000),
  /**
   * Hour of the day (UTC) the ticks send at: the first tick waits for it, and the next ones are
   * planned every `tickMs` from it, so a tick that ran late does not move them (`nextTickAt`).
   * Without it the ticks go by the contact policy's hours (`CampaignManagementDeps.contactAllowedAt`):
   * the first at once when contact is allowed, else when the quiet hours end, and the next ones
   * every `tickMs` from when the allowed hours next open (`campaignSchedule`).
   */
  sendHourUtc: z.number().int().min(0).max(23).optional(),
  seed: z.number().int().default(1),
  minShare: z.number().min(0).max(0.5).default(DEFAULT_MIN_SHARE),
  maxShiftPerTick: z.number().gt(0).max(1).default(DEFAULT_MAX_SHIFT_PER_TICK),
  /** Value of one acceptance per variant (default 1: the bandit then maximises acceptances). */
  acceptValue: z.record(z.string(), z.number()).default({}),
});
export type CampaignInput = z.infer<typeof campaignInputSchema>;

/** What the stats reader answers (from offer events: presented/accepted/declined per variant). */
export interface CampaignStats {
  readonly variants: readonly VariantStats[];
  readonly control?: ControlStats;
  /**
   * Customers it may still contact: not reached yet, waiting for a person, or set aside until the
   * budget fits them. 0: its audience is used up (drawn once, when it opened: nobody enters it later).
   * Absent: not known (the flow then ticks as before).
   */
  readonly toContact?: number;
}

/**
 * What a campaign whose audience is used up says, once: nobody is left to contact and nobody new
 * enters (its audience is drawn when it opens), so no budget moves between its variants; it waits for
 * its end for the last answers and its control group's churn (docs/flows.md, "Its audience used up").
 */
export const audienceUsedUpText = (treated: number, endAt: number) =>
  `its audience is used up (${treated} contacted; nobody left to contact, none waiting for a person or for the budget): the audience was drawn when it opened and no customer enters it later, so no more budget moves between its variants; it waits for its end (${new Date(endAt).toISOString()}) to hear the last answers and its control group's churn`;

/** The split handed to the delivery side after each tick. */
export interface CampaignAllocation {
  readonly tick: number;
  /** Event time of the tick (ms): when the split was made, for the allocation over time. */
  readonly at?: number;
  /** Share of the remaining budget per variant id (paused variants 0). */
  readonly shares: Readonly<Record<string, number>>;
  readonly paused: readonly string[];
  readonly remainingBudget: number;
}

/** What the flow needs. */
export interface CampaignManagementDeps {
  /**
   * Registers the campaign with the delivery side before the first tick (draws its audience and
   * control group); must be safe to repeat. However the run was started (an intent, the API).
   */
  readonly open?: (input: CampaignInput) => Promise<void>;
  /** Reads the campaign's answers so far. */
  readonly stats: (campaignId: string) => Promise<CampaignStats>;
  /** Where adjustments are recorded (createAuditTrail(store, clock)). */
  readonly audit: Pick<AuditTrail, 'record'>;
  /** Hands the new split to the delivery side; must be safe to repeat (at-least-once). */
  readonly apply?: (campaignId: string, allocation: CampaignAllocation) => Promise<void>;
  /** Whether the catalogue has this offering: a campaign whose variant names one it has not is refused at its start. Absent: not checked. */
  readonly offerKnown?: (offerId: string) => boolean;
  /** The world's time now (ms): a campaign whose end date is not after it is refused at its start. Absent: not checked. */
  readonly now?: () => number;
  /**
   * Closes the campaign on the delivery side once it ends (safe to repeat): the contacts still
   * waiting for a person are withdrawn with `ending.reason` (nobody can approve a contact of a
   * campaign that is over), and one a person approved before the end is booked to the campaign.
   */
  readonly close?: (campaignId: string, ending: CampaignEnding) => Promise<CampaignClosing>;
  /**
   * The first time at or after `now` when the contact policy allows outbound contact (`now` itself
   * outside quiet hours; contact-policy.ts `outsideQuietHours`): no tick runs in quiet hours, where
   * every contact is refused. A campaign started at 00:06 with no send hour ticked at 00:06 every
   * day, had each tick's first contact refused (quiet-hours) and ended "succeeded" having contacted
   * nobody. Absent: not checked (the ticks go at once and every tickMs).
   */
  readonly contactAllowedAt?: (now: number) => number;
  /** When the allowed hours next open at or after `now` (contact-policy.ts `contactHoursOpenAt`; undefined: no quiet hours): where ticks without a send hour are planned from. */
  readonly contactHoursOpenAt?: (now: number) => number | undefined;
  /**
   * Why the campaign would not be run if it opened now (a control share that holds out nobody of its
   * audience; `CampaignDelivery.refusalOf`), or undefined: a start is refused with it (400) instead
   * of a run that fails at its first step. Absent: not checked at the start (its open still refuses).
   */
  readonly refusalOf?: (input: CampaignInput) => Promise<string | undefined>;
  /** A person's pause of the campaign standing now (POST /campaigns/:id/pause), said when a second start is refused. */
  readonly holdOf?: (campaignId: string) => Promise<{ readonly by: string; readonly at: number; readonly reason: string } | undefined>;
}

/** How a campaign ended, as its close hands it to the delivery side. */
export interface CampaignEnding {
  readonly endedBy: CampaignResult['endedBy'];
  /** In words, the reason its waiting approvals are withdrawn with ("campaign spring ended: its budget was spent"). */
  readonly reason: string;
}

/** What the close did with the contacts still waiting for a person at the end. */
export interface CampaignClosing {
  /** Approvals withdrawn: nobody can approve them any more. */
  readonly withdrawn: number;
  /** Contacts a person approved before the end (carried out then): booked to the campaign and its budget. */
  readonly booked: number;
}

/** Why a campaign ended, in words (the reason its waiting approvals are withdrawn with). */
export function campaignEndedBecause(campaignId: string, endedBy: CampaignResult['endedBy'], at: number, stoppedBecause?: string): string {
  const why = {
    budget: 'its budget was spent',
    'end-date': `its end date came (${new Date(at).toISOString()}, world time)`,
    'all-paused': 'the guardrails paused every variant',
    stopped: stoppedBecause ?? 'it was stopped',
  }[endedBy];
  return `campaign ${campaignId} ended: ${why}`;
}

/**
 * What the delivery side's `open` throws when it will not run a campaign as started (its control
 * share holds out nobody of its audience): the run fails at once with the message, not retried.
 */
export function campaignRefused(message: string): TwinloopError {
  return new TwinloopError('CONFLICT', message, { context: { campaignRefused: true } });
}
const isCampaignRefusal = (err: unknown): err is TwinloopError => err instanceof TwinloopError && err.context.campaignRefused === true;

/**
 * Runs the campaign's open step; a refusal of it (Twinloop's own check, `campaignRefused`) fails the
 * run with the refusal's words alone: the step engine's wording ("the back end refused it") named a
 * back end that had no part in it.
 */
async function openOrSayWhy(ctx: WorkflowContext, openStep: StepDefinition<CampaignInput, null>, input: CampaignInput): Promise<void> {
  try {
    await ctx.step(openStep, input);
  } catch (err) {
    const failure = stepFailureOf(err);
    if (failure?.kind === 'rejected') throw new TwinloopError('CONFLICT', failure.reason, { context: { campaignRefused: true } });
    throw err;
  }
}

/** The id of a campaign's one run: a campaign id names one campaign, run once (`OneRunPer`), however it is started. */
export const campaignRunId = (campaignId: string): string => `campaign-${campaignId}`;

/**
 * Why a start of a campaign whose run exists is refused, in its state: running (paused by a person,
 * or waiting for its next tick) or ended; and what to do instead.
 */
async function campaignTaken(deps: Pick<CampaignManagementDeps, 'holdOf'>, input: CampaignInput, run: SubjectRun): Promise<string> {
  const id = input.campaignId;
  const started = `run ${run.workflowId}, started ${new Date(run.createdAt).toISOString()}`;
  if (run.status === 'succeeded' || run.status === 'failed') {
    return `campaign ${id} has ended (${run.status}; ${started}): a campaign id names one campaign, whose audience and counts are kept under it; start another under a new campaignId`;
  }
  const hold = await deps.holdOf?.(id);
  const state = hold ? `paused (by ${hold.by} at ${new Date(hold.at).toISOString()}: ${hold.reason})` : 'running';
  return `campaign ${id} is ${state} (${started}): one run per campaign; pause, resume or stop it (POST /campaigns/${id}/pause, /resume, /stop), or start another under a new campaignId`;
}

/** One adjustment the flow made. */
export interface CampaignAdjustment {
  readonly tick: number;
  /** `keep`: the tick moved nothing, and why (said once for a stretch of such ticks); `used-up`: its audience is used up (said once). */
  readonly kind: 'pause' | 'reallocate' | 'keep' | 'used-up';
  readonly variantId?: string;
  readonly reason: string;
  readonly auditSeq: number;
}

/** The campaign's result record. */
export interface CampaignResult {
  readonly campaignId: string;
  readonly endedBy: 'budget' | 'end-date' | 'all-paused' | 'stopped';
  /** Why it was stopped (endedBy `stopped`). */
  readonly stoppedBecause?: string;
  readonly ticks: number;
  readonly spent: number;
  /** What the offers still unanswered at the end would cost if accepted (committed when they are, released when not). */
  readonly reserved?: number;
  readonly presented: number;
  readonly accepted: number;
  /** Customers its contacts reached (treated); 0 says it ended having contacted nobody (absent in results from before it was kept). */
  readonly contacted?: number;
  /** Its contacts that reached nobody, by why, over its variants (`VariantStats.notContacted`). */
  readonly notContacted?: Readonly<Record<string, number>>;
  readonly shares: Readonly<Record<string, number>>;
  readonly adjustments: readonly CampaignAdjustment[];
  /** What its close did with the contacts waiting for a person at the end (absent when it had no close, or ended before it was kept). */
  readonly closing?: CampaignClosing;
}

interface AdjustInput {
  campaignId: string;
  channels: Record<string, string>;
  allocation: CampaignAllocation;
  before: Record<string, number>;
  pauses: { variantId: string; rule: string; reason: string; evidence: Record<string, number | string> }[];
  reallocate: boolean;
  /** Why the split stays as it was, when it does and this stretch of unmoved ticks has not said so yet. */
  kept?: string;
  /** Set when its audience is used up (`audienceUsedUpText`): said instead of any move. */
  usedUp?: string;
  stats: CampaignStats;
}

/** Builds the campaign management workflow over its dependencies. */
export function campaignManagementWorkflow(deps: CampaignManagementDeps): WorkflowDefinition<CampaignInput, CampaignResult> {
  const readStats: StepDefinition<{ campaignId: string }, CampaignStats> = {
    id: CAMPAIGN_STATS_STEP_ID,
    version: 1,
    retry: { maxAttempts: 5 },
    run: async ({ campaignId }) => ok(await deps.stats(campaignId)),
  };
  const closeStep: StepDefinition<{ campaignId: string } & CampaignEnding, CampaignClosing> = {
    id: CAMPAIGN_CLOSE_STEP_ID,
    version: 1,
    retry: { maxAttempts: 5 },
    run: async ({ campaignId, endedBy, reason }) => ok(deps.close ? await deps.close(campaignId, { endedBy, reason }) : { withdrawn: 0, booked: 0 }),
  };
  const openStep: StepDefinition<CampaignInput, null> = {
    id: CAMPAIGN_OPEN_STEP_ID,
    version: 1,
    retry: { maxAttempts: 5 },
    async run(input) {
      try {
        await deps.open?.(input);
      } catch (err) {
        // A campaign the delivery side refuses (a control group of nobody) fails now, with why: no retry draws another audience.
        if (isCampaignRefusal(err)) return rejected(err.message);
        throw err;
      }
      return ok(null);
    },
  };
  const adjust: StepDefinition<AdjustInput, CampaignAdjustment[]> = {
    id: CAMPAIGN_ADJUST_STEP_ID,
    version: 1,
    async run(input, ctx) {
      const made: CampaignAdjustment[] = [];
      const { tick } = input.allocation;
      // Applied first (safe to repeat per tick), then recorded: a failing delivery side leaves no
      // audit entry behind for the retry to write again, and the trail records what took effect.
      if (deps.apply) await deps.apply(input.campaignId, input.allocation);
      const record = async (kind: CampaignAdjustment['kind'], channel: string, variantId: string | undefined, reason: string, evidence: Record<string, unknown>) => {
        const r = await deps.audit.record({
          type: 'action.executed',
          requestId: `${ctx.idempotencyKey}:${kind}${variantId ? `:${variantId}` : ''}`,
          actor: CAMPAIGN_MANAGER_ACTOR,
          action: { actionClass: CAMPAIGN_ADJUSTMENT_CLASS, channel, cost: 0, params: { event: 'campaign.adjusted', kind, campaignId: input.campaignId, tick, variantId } },
          why: { summary: reason, evidence },
          outcome: { status: 'executed', event: 'campaign.adjusted', shares: input.allocation.shares, before: input.before, paused: input.allocation.paused },
        });
        made.push({ tick, kind, variantId, reason, auditSeq: r.seq });
      };
      for (const p of input.pauses) await record('pause', input.channels[p.variantId] ?? '*', p.variantId, `paused ${p.variantId} (${p.rule}): ${p.reason}`, { rule: p.rule, ...p.evidence });
      if (input.reallocate) {
        // Only the variants whose share the log shows changed: the others did not move.
        const moves = Object.keys(input.allocation.shares).flatMap((id) => (pc(input.before[id] ?? 0) === pc(input.allocation.shares[id]) ? [] : [`${id} ${pc(input.before[id] ?? 0)}→${pc(input.allocation.shares[id])}`]));
        await record('reallocate', '*', undefined, `Thompson sampling over acceptance moved budget: ${moves.join(', ')}`, { variants: input.stats.variants, control: input.stats.control ?? null });
      }
      if (input.kept) await record('keep', '*', undefined, input.kept, { variants: input.stats.variants, control: input.stats.control ?? null });
      if (input.usedUp) await record('used-up', '*', undefined, input.usedUp, { variants: input.stats.variants, control: input.stats.control ?? null });
      return ok(made);
    },
  };

  return {
    id: CAMPAIGN_MANAGEMENT_WORKFLOW_ID,
    version: CAMPAIGN_MANAGEMENT_WORKFLOW_VERSION,
    parseInput: (raw) => campaignInputSchema.parse(raw),
    async admit(input) {
      input.variants.forEach((v, i) => requireOffering(deps.offerKnown, v.offerId, `variants.${i}.offerId`, `variant ${v.id}`));
      // Accepted, a campaign ending in the past ran no tick and read "ended (succeeded: its end date came)".
      const now = deps.now?.();
      if (now !== undefined && input.endAt <= now) {
        throw new TwinloopError('BAD_INPUT', `endAt: ${new Date(input.endAt).toISOString()} is not after the world's time now (${new Date(now).toISOString()}); a campaign ends in the future (ms since epoch, event time)`);
      }
      // Said, not assumed: a campaign of every active customer holds its control share of the whole
      // base out of every other flow's marketing until it ends (a 30 campaign with no audience held
      // 1,388 of the default world's customers out of churn prevention).
      if (input.audience === undefined) {
        throw new TwinloopError('BAD_INPUT', `audience: say whom the campaign may contact (filters over the twins' features and scores, e.g. [{"field":"churn","op":">=","value":0.05}]; docs/filters.md lists the fields), or [] for every active customer, whose control share (${Math.round(input.controlShare * 100)} %) is then held out of every other flow's marketing until the campaign ends`);
      }
      // Counted now by the draw its open will make: the README's tour-retention on the small world
      // (an audience of 3) was accepted, then its run failed with the reason only in the run's error.
      const refusal = await deps.refusalOf?.(input);
      if (refusal) throw new TwinloopError('BAD_INPUT', refusal);
    },
    oneRunPer: { runIdOf: (input) => campaignRunId(input.campaignId), taken: (input, run) => campaignTaken(deps, input, run) },
    async run(ctx, input) {
      const ids = input.variants.map((v) => v.id);
      // The channel each variant goes out on, as its name says (an SMS variant's contacts land on the twin as web ones).
      const channels = Object.fromEntries(input.variants.map((v) => [v.id, v.notificationChannel ?? v.channel]));
      let shares: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 1 / ids.length]));
      const paused = new Set<string>();
      const adjustments: CampaignAdjustment[] = [];
      let last: CampaignStats = { variants: [] };
      let endedBy: CampaignResult['endedBy'] = 'end-date';
      let tick = 0;
      /** Answers heard by the last tick that moved the split (or the start): what a kept split had to learn from. */
      let answersAtLastMove = 0;
      /** Whether this stretch of ticks that moved nothing has said why (once, until the split moves again). */
      let keptSaid = false;
      if (deps.open) await openOrSayWhy(ctx, openStep, input);
      /** Where the ticks after the first are planned from, every tickMs (absent: each tickMs after the last ended). */
      let planFrom: number | undefined;
      let stop: RunStop | undefined;
      const hours = contactHoursOf(deps);
      if (input.sendHourUtc !== undefined || hours) {
        const start = await ctx.now('start');
        const schedule = campaignSchedule(input, start, hours);
        planFrom = schedule.planFrom;
        stop = await waitUnlessStopped(ctx, input.sendHourUtc !== undefined ? 'send-hour' : 'contact-hours', schedule.firstAt);
      }
      for (;;) {
        tick++;
        // A tick due in quiet hours (a policy changed since, ticks more often than daily, a time zone's
        // clock change) waits for their end, unless the campaign ends first: every contact of it would be
        // refused. The time it was due is journaled: a replay waits (or not) as the run did, unless the
        // policy changed since, and then the wait it adds is over at once (its end is in the past).
        if (hours && !stop && tick > 1) {
          const due = await ctx.now(`hours-${tick}-due`);
          const until = Math.min(hours.allowedAt(due), Math.max(due, input.endAt));
          if (until > due) stop = await waitUnlessStopped(ctx, `hours-${tick}`, until);
        }
        const now = await ctx.now(`tick-${tick}`);
        last = await ctx.step(readStats, { campaignId: input.campaignId }, { key: `stats-${tick}` });
        // Stopped (while waiting, or since): the last stats are read, nothing more is delivered.
        stop ??= await stoppedNow(ctx, `stop-${tick}`);
        if (stop) {
          endedBy = 'stopped';
          break;
        }
        // What the offers still waiting for an answer would cost if accepted is held against the budget
        // (the delivery paces on it, so nothing is overspent), but the campaign ends on budget only when
        // it is paid: most unanswered offers are declined or ignored, and their reservations come back.
        const left = budgetLeft(input.budget, sum(last.variants, (v) => v.spent), sum(last.variants, (v) => v.reserved ?? 0));
        if (sum(last.variants, (v) => v.spent) >= input.budget) {
          endedBy = 'budget';
          break;
        }
        if (now >= input.endAt) break;
        if (last.toContact === 0) {
          // Its audience used up: a split moved on answers now would move budget nobody can be contacted
          // with (tour-retention moved it daily, to a variant with 0 of 7 accepted, with audienceLeft 0).
          // Said once, then it waits for its end (or a stop) and closes as at its end date.
          const allocation: CampaignAllocation = { tick, at: now, shares, paused: [...paused], remainingBudget: left };
          const usedUp = audienceUsedUpText(sum(last.variants, (v) => v.treated ?? v.presented), input.endAt);
          adjustments.push(...(await ctx.step(adjust, { campaignId: input.campaignId, channels, allocation, before: shares, pauses: [], reallocate: false, usedUp, stats: last }, { key: `adjust-${tick}` })));
          stop = await waitUnlessStopped(ctx, `used-up-${tick}`, input.endAt);
          continue;
        }
        const known = last.variants.filter((v) => ids.includes(v.variantId));
        const verdicts = judgeVariants(known, last.control, paused);
        const pauses = verdicts.flatMap((v) => (v.action === 'pause' ? [{ variantId: v.variantId, rule: v.rule, reason: v.reason, evidence: v.evidence }] : []));
        for (const p of pauses) paused.add(p.variantId);
        if (paused.size === ids.length) endedBy = 'all-paused';
        const next = allocateBudget(known, shares, paused, { minShare: input.minShare, maxShiftPerTick: input.maxShiftPerTick }, input.seed * 100_003 + tick, (id) => input.acceptValue[id] ?? 1);
        const proposed = { ...Object.fromEntries(ids.map((id) => [id, 0])), ...next };
        const moved = Math.max(...ids.map((id) => Math.abs(proposed[id] - (shares[id] ?? 0))));
        const before = shares;
        // A pause always takes effect; a reallocation only when answers came in since the split last
        // moved (the first tick moves on the variants' priors), and it moves a share the log can show:
        // with nothing new, a move would be the sampling's noise alone.
        const answers = sum(last.variants, (v) => v.accepted + v.declined);
        const heardNew = tick === 1 || answers > answersAtLastMove;
        const reallocate = heardNew && moved >= MIN_RECORDED_SHIFT && ids.some((id) => pc(proposed[id]) !== pc(before[id] ?? 0));
        if (reallocate || pauses.length > 0) shares = proposed;
        let kept: string | undefined;
        if (reallocate || pauses.length > 0) {
          answersAtLastMove = answers;
          keptSaid = false;
        } else if (!keptSaid) {
          keptSaid = true;
          const split = ids.map((id) => `${id} ${pc(shares[id] ?? 0)}`).join(', ');
          const heard = answers - answersAtLastMove;
          kept = !heardNew || heard === 0
            ? `kept the split (${split}): no answer has come in since ${tick === 1 ? 'the start' : 'the split last moved'}, so there is nothing new to move budget on; said once until it moves`
            : `kept the split (${split}): the ${heard} answer${heard === 1 ? '' : 's'} since ${tick === 1 ? 'the start' : 'the split last moved'} move no variant's share by a whole point; said once until it moves`;
        }
        const allocation: CampaignAllocation = { tick, at: now, shares, paused: [...paused], remainingBudget: left };
        adjustments.push(...(await ctx.step(adjust, { campaignId: input.campaignId, channels, allocation, before, pauses, reallocate, ...(kept ? { kept } : {}), stats: last }, { key: `adjust-${tick}` })));
        if (endedBy === 'all-paused') break;
        // Planned from when the tick ended, not began: a tick that ran past the next send hour
        // skips it instead of running at once, off the hour (the world runs 3,600x on a loaded machine).
        const done = await ctx.now(`tick-${tick}-done`);
        stop = await waitUnlessStopped(ctx, `tick-${tick}`, planFrom === undefined ? done + input.tickMs : nextTickAt(planFrom, input.tickMs, done));
      }
      // Its end closes it on the delivery side: the approvals still waiting are withdrawn, and a contact
      // approved before the end is booked (its stats read again to count it). Before, they stayed on
      // the Approvals page and an approval after the end contacted the customer for a campaign that was over.
      let closing: CampaignClosing | undefined;
      if (deps.close) {
        const endedAt = await ctx.now('ended');
        closing = await ctx.step(closeStep, { campaignId: input.campaignId, endedBy, reason: campaignEndedBecause(input.campaignId, endedBy, endedAt, stop?.reason) }, { key: 'close' });
        if (closing.booked > 0) last = await ctx.step(readStats, { campaignId: input.campaignId }, { key: 'stats-closed' });
      }
      return {
        campaignId: input.campaignId,
        endedBy,
        ...(closing ? { closing } : {}),
        ...(stop ? { stoppedBecause: stop.reason } : {}),
        ticks: tick,
        spent: sum(last.variants, (v) => v.spent),
        reserved: sum(last.variants, (v) => v.reserved ?? 0),
        presented: sum(last.variants, (v) => v.presented),
        accepted: sum(last.variants, (v) => v.accepted),
        contacted: sum(last.variants, (v) => v.treated ?? v.presented),
        notContacted: notContactedOf(last.variants),
        shares,
        adjustments,
      };
    },
  };
}

const sum = <T>(xs: readonly T[], f: (x: T) => number) => xs.reduce((a, x) => a + f(x), 0);

/** Its variants' contacts that reached nobody, by why, added up. */
export function notContactedOf(variants: readonly VariantStats[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of variants) for (const [why, n] of Object.entries(v.notContacted ?? {})) out[why] = (out[why] ?? 0) + n;
  return out;
}

/** The contact policy's hours as the flow reads them, when it was given them. */
interface ContactHours {
  allowedAt(now: number): number;
  opensAt(now: number): number | undefined;
}
const contactHoursOf = (deps: Pick<CampaignManagementDeps, 'contactAllowedAt' | 'contactHoursOpenAt'>): ContactHours | undefined =>
  deps.contactAllowedAt ? { allowedAt: deps.contactAllowedAt, opensAt: deps.contactHoursOpenAt ?? (() => undefined) } : undefined;

/** When a campaign's ticks go (`campaignSchedule`). */
export interface CampaignSchedule {
  /** Its first tick. */
  readonly firstAt: number;
  /** Where its next ticks are planned from, every tickMs (`nextTickAt`): each tick after the first falls on it plus whole tickMs. */
  readonly planFrom: number;
  /** Why then, in words. */
  readonly why: string;
}

/**
 * When a campaign started at `start` ticks: with a send hour, at that hour (UTC) and every tickMs
 * from it; without one, by the contact policy's hours: the first tick at once when contact is
 * allowed, else when the quiet hours end, and the next ones every tickMs from when the allowed
 * hours next open (a daily campaign started at 10:00 ticks then, and every day at 08:00 after: each
 * tick with the whole of the allowed hours ahead of it, not the minutes left before 21:00). One
 * reckoning for the flow and for what a start answers (`POST /workflows/campaign-management/start`).
 */
export function campaignSchedule(input: Pick<CampaignInput, 'sendHourUtc'>, start: number, hours: Pick<CampaignManagementDeps, 'contactAllowedAt' | 'contactHoursOpenAt'> | ContactHours | undefined): CampaignSchedule {
  const h = hours && ('allowedAt' in hours ? hours : contactHoursOf(hours));
  if (input.sendHourUtc !== undefined) {
    const at = start + msUntilHourUtc(start, input.sendHourUtc);
    // A send hour in quiet hours: its ticks wait for their end (each tick after the first, in the flow).
    const firstAt = h ? Math.max(at, h.allowedAt(at)) : at;
    return { firstAt, planFrom: at, why: firstAt > at ? `its send hour, ${hourText(input.sendHourUtc)} UTC, falls in the contact policy's quiet hours: each tick waits for their end` : `its send hour, ${hourText(input.sendHourUtc)} UTC` };
  }
  if (!h) return { firstAt: start, planFrom: start, why: 'its start: the first at once' };
  const firstAt = Math.max(start, h.allowedAt(start));
  const opens = h.opensAt(start);
  const planFrom = opens ?? firstAt;
  const first = firstAt > start ? 'the first when the quiet hours it was started in end' : 'the first at its start (outside quiet hours)';
  const next = opens === undefined ? '' : `, the next from ${new Date(opens).toISOString().slice(11, 16)} UTC, when the allowed hours open`;
  return { firstAt, planFrom, why: `the contact policy's hours: ${first}${next}` };
}
const hourText = (h: number) => `${String(h).padStart(2, '0')}:00`;

/**
 * What a campaign may still commit: its budget less what it spent and what its offers waiting for
 * an answer hold reserved, never below 0, in cents. One reckoning for the flow's ticks (each
 * allocation's `remainingBudget`, as at its tick), the delivery's pacing and the API's guardrails.
 */
export function budgetLeft(budget: number, spent: number, reserved: number): number {
  return Math.max(0, cents(budget - spent - reserved));
}
const pc = (x: number) => `${Math.round(x * 100)}%`;

/** Milliseconds from `ms` to the next time the UTC clock shows `hour`:00 (0 when it is that hour's first minute). */
export function msUntilHourUtc(ms: number, hour: number): number {
  const day = 24 * 3_600_000;
  const at = Math.floor(ms / day) * day + hour * 3_600_000;
  return at >= ms ? at - ms : at + day - ms;
}

/**
 * When the tick after one that began at `now` is due: the first of the ticks planned every
 * `tickMs` from `firstAt` that comes after `now`. A tick that began late (the timers woke behind
 * the world's clock, as the sandbox's 3,600× world does on a loaded machine) does not push the
 * next ones later: daily ticks stay at the send hour instead of drifting into quiet hours, where
 * nobody may be contacted (npm start's campaign met them at 7 of its 11 ticks), and ticks the
 * world ran past are skipped, not made up at once.
 */
export function nextTickAt(firstAt: number, tickMs: number, now: number): number {
  return firstAt + (Math.floor((now - firstAt) / tickMs) + 1) * tickMs;
}
