import { z } from 'zod';
import { budgetLeft, CAMPAIGN_ADJUSTMENT_CLASS, CAMPAIGN_MANAGEMENT_WORKFLOW_ID, campaignInputSchema, campaignRunId, campaignSchedule, type CampaignInput, type CampaignResult } from '../../agents/flows/campaign-management-flow.js';
import { DEFAULT_CONTACT_POLICY, quietHoursText } from '../../decisioning/contact-policy.js';
import { contactHoursIn } from '../runtime/operator-flows.js';
import { STOP_RUN_SIGNAL, type RunStop } from '../../agents/flows/run-stop.js';
import { TwinloopError } from '../../domain/errors.js';
import { FINISHED_STATUSES, RUN_STATUSES } from '../../store/workflow-journal.js';
import type { CampaignDelivery } from '../runtime/campaign-delivery.js';
import { CAMPAIGN_HOLDS, type CampaignDeliveryView, type CampaignHold } from '../runtime/campaign-state.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { errors, isoTime, list } from './api-schemas.js';
import { actorFor } from './http-auth.js';
import type { RouteModule } from './route-module.js';

/** Campaign runs read for the list (a campaign lasts weeks: far fewer run at once). */
const CAMPAIGNS_LISTED = 200;
/** Audit entries read for a campaign's adjustments (a tick makes at most a few). */
const ADJUSTMENTS_READ = 500;

const campaignParams = z.object({ id: z.string().min(1).max(200).describe('The campaign id (its input campaignId)') });
const holdBody = z
  .strictObject({ reason: z.string().trim().min(1, 'say why (e.g. "complaints about the SMS wording"): it is kept in the audit trail').max(500) })
  .meta({ examples: [{ reason: 'complaints about the SMS wording: hold until legal has read it' }] });
const hold = z.object({ held: z.boolean(), by: z.object({ kind: z.string(), id: z.string() }), at: isoTime, reason: z.string() });
const brief = z.object({
  campaignId: z.string(),
  workflowId: z.string(),
  status: z.enum(RUN_STATUSES).describe('The campaign-management run: pending (acting: a tick under way) or waiting (for its next tick) while it goes, succeeded when it ended; failed, or compensating on its way there, when it could not go on. Paused or not is `hold`'),
  ended: z.string().nullable().describe('How it ended, in words, once it did: stopped by whom and why, or its end (budget, end date, all variants paused); null while it goes'),
  failure: z.string().nullable().describe("Why its run failed, in words (status failed, or compensating on its way there): a start refused by Twinloop's own check when it opened, say its control share holding out nobody; null otherwise"),
  budget: z.number(),
  spent: z.number().describe('What its contacts cost when made, and its offers accepted since'),
  reserved: z.number().describe('What its offers still waiting for an answer cost if accepted: reserved in the budgets, released on a decline or after the answer window'),
  endAt: isoTime,
  variants: z.number().int(),
  presented: z.number().int(),
  accepted: z.number().int(),
  hold: hold.nullable().describe("A person's pause: while held, nobody is contacted"),
  contactedNobody: z.boolean().describe('It ended having contacted nobody (its `ended` says so, and why its contacts were refused); false while it goes or once it contacted someone'),
  nextTickAt: isoTime.nullable().describe('When its next tick goes (the run waits for it), world time; null while a tick runs or once it ended. Its audience used up, the run waits for its end: this is its endAt'),
  audienceUsedUp: z.boolean().describe('Nobody is left to contact (none of its audience not reached, waiting for a person or for the budget): its audience is drawn when it opens and no customer enters it later, so it moves no more budget between its variants and waits for its end to hear the last answers'),
  sends: z.string().describe("When its contacts go out, in words: its send hour, or the contact policy's hours (no tick runs in quiet hours: one due then waits for their end)"),
});
const variant = z.object({
  variantId: z.string(),
  offerId: z.string(),
  channel: z.string().describe('Where its contact lands on the twin (an SMS or e-mail is a web contact, a push or in-app message an app one)'),
  notificationChannel: z.string().nullable().describe('The message its offer goes out as (sms, email, push, in_app), on which consent and quiet hours are judged; null: presented on its channel'),
  presented: z.number().int(),
  accepted: z.number().int(),
  declined: z.number().int(),
  spent: z.number(),
  reserved: z.number().describe('Reserved for its offers waiting for an answer'),
  failed: z.number().int(),
  lastFailure: z.string().nullable(),
  treated: z.number().int(),
  treatedChurned: z.number().int(),
  tried: z.number().int().describe('Contacts of the variant asked of the guarded executor: presented plus notContacted'),
  notContacted: z
    .record(z.string(), z.number().int())
    .describe('Its contacts that reached nobody, by why: the rule that refused them (quiet-hours and budget hold the round to the next tick; marketing-consent, opt-out, caps leave the customer out), failed, advised, pending-approval'),
  share: z.number().describe('Its share of the budget in the latest tick (0 when paused)'),
  paused: z.boolean().describe('Paused by the guardrails (see adjustments)'),
  idle: z.string().nullable().describe("Why an active variant that has tried nobody yet has not: its share of what is left below one contact, the audience used up by the others first, or its parts still adding up to one (null once it tried someone)"),
});
const detail = brief.extend({
  guardrails: z.object({
    budget: z.number(),
    remainingBudget: z.number().describe('What it may still commit now: its budget less spent and reserved (each allocation says the same as at its tick)'),
    endAt: isoTime,
    controlShare: z.number(),
    minShare: z.number().describe('No active variant gets less of the budget'),
    maxShiftPerTick: z.number().describe('Largest move of the split in one tick'),
    tickMs: z.number(),
    pauseRules: list(z.string()),
  }),
  variants: list(variant),
  control: z
    .object({
      customers: z.number().int(),
      churned: z.number().int(),
      awaitingTurn: z.number().int().optional().describe('Of the control group, those whose turn has not come yet (the campaign has not reached their rank): not compared yet'),
      contaminated: z
        .object({ count: z.number().int(), by: z.record(z.string(), z.number().int()), customerIds: list(z.string()) })
        .optional()
        .describe('Customers of the control group contacted anyway while held out (a person, a contact asked before the hold): how many, by what; `customers` and `churned` count without them'),
    })
    .nullable(),
  audienceLeft: z.number().int().describe('Customers of the audience not contacted yet'),
  awaitingApproval: z.number().int().describe("Customers whose contact waits for a person's approval (GET /approvals); asked again at each tick with the variant first asked; what each would cost is held in `reserved` meanwhile"),
  awaitingBudget: z.number().int().describe('Customers whose price is above what the campaign has left now: asked again when it fits, given up (leftOut over-budget) once it is above its budget less what it spent'),
  leftOut: z.record(z.string(), z.number().int()).describe('Customers left out, by the contact rule that refused them (`withdrawn`: their approval was still waiting when the campaign ended)'),
  closed: z
    .object({ at: isoTime, endedBy: z.string(), reason: z.string(), withdrawn: z.number().int(), booked: z.number().int() })
    .nullable()
    .describe("Its close, once it ended: the approvals still waiting then withdrawn with `reason` (nobody can approve them any more: GET /approvals/:id says withdrawn), and the contacts a person approved before the end booked to it"),
  allocation: list(
    z.object({ tick: z.number().int(), at: isoTime.nullable(), shares: z.record(z.string(), z.number()), paused: list(z.string()), held: z.boolean(), remainingBudget: z.number(), spent: z.number() }),
  ).describe('The split of every tick, oldest first: the allocation over time'),
  adjustments: list(z.object({ seq: z.number().int(), at: isoTime, event: z.string(), variantId: z.string().nullable(), by: z.string(), reason: z.string() })).describe("The guardrails' pauses and reallocations and people's holds, newest first (audit trail)"),
});

/**
 * How a campaign's run ended, in words: stopped by whom and why, or its end (budget, end date, all
 * variants paused); the 409 after a stop read "ended (succeeded)", the run's status alone.
 */
function endedHow(run: { status: string; output?: unknown }): string {
  const out = (run.output ?? {}) as Partial<Pick<CampaignResult, 'endedBy' | 'stoppedBecause' | 'contacted' | 'notContacted'>>;
  // One that contacted nobody says so, not a plain "succeeded" (npm start's nc-bonus: every tick in quiet hours).
  const nobody = out.contacted === 0 ? contactedNobody(out.notContacted ?? {}) : undefined;
  // A stop says who stopped it and why (its contactedNobody says the rest).
  if (out.endedBy === 'stopped') return out.stoppedBecause ?? 'stopped';
  if (!out.endedBy) return run.status;
  return nobody ? `${nobody}: ${ENDED_BY[out.endedBy]}` : `${run.status}: ${ENDED_BY[out.endedBy]}`;
}
/** "ended having contacted nobody (its 3 contacts refused: quiet-hours 3)". */
function contactedNobody(notContacted: Readonly<Record<string, number>>): string {
  const tried = Object.values(notContacted).reduce((a, n) => a + n, 0);
  const why = Object.entries(notContacted).sort((a, b) => b[1] - a[1]).map(([w, n]) => `${w} ${n}`).join(', ');
  return `ended having contacted nobody (${tried === 0 ? 'no contact was tried' : `its ${tried} contact${tried === 1 ? '' : 's'} tried reached nobody: ${why}`})`;
}

/**
 * When a campaign's contacts go out, in words, and its first tick, as `campaignSchedule` plans it
 * from `start` under the contact policy in force: what a start answers and a campaign's page says.
 */
export function campaignSends(s: Pick<OperatorServices, 'actionPolicy'>, input: Pick<CampaignInput, 'sendHourUtc' | 'tickMs'>, start: number): { firstTickAt: number; sends: string } {
  const schedule = campaignSchedule(input, start, contactHoursIn(s));
  const quiet = quietHoursText(s.actionPolicy.current().contact ?? DEFAULT_CONTACT_POLICY);
  const every = input.tickMs % 3_600_000 === 0 ? `${input.tickMs / 3_600_000} h` : `${Math.round(input.tickMs / 1000)} s`;
  return {
    firstTickAt: schedule.firstAt,
    sends: `a tick every ${every}, by ${schedule.why}${quiet ? `; no tick runs in the contact policy's quiet hours (${quiet}): one due then waits for their end` : ''}`,
  };
}
const ENDED_BY: Readonly<Record<CampaignResult['endedBy'], string>> = { budget: 'its budget was spent', 'end-date': 'its end date came', 'all-paused': 'the guardrails paused every variant', stopped: 'stopped' };

/** The pause rules the campaign flow applies (campaign-bandit.ts), in words. */
const PAUSE_RULES = [
  'undeliverable: at least 5 contacts failed and they are at least half of its attempts',
  'harmful uplift: at least 50 treated and a control group, treated churn above control (z > 1.96)',
  'low acceptance: at least 50 answers and the 95 % upper bound below half the best other variant (never the last active one)',
];

/**
 * Campaigns over HTTP, for marketers and the console: the running and finished managed campaigns,
 * each with its variants' live metrics, the allocation over time, its guardrails and their
 * adjustments; and a person's pause and resume (with a reason, audited), which the delivery side
 * reads at every tick.
 */
export function campaignRoutes(s: OperatorServices, delivery: Pick<CampaignDelivery, 'view'>): RouteModule {
  const runs = async () => (await s.workflows.list({ definitionId: CAMPAIGN_MANAGEMENT_WORKFLOW_ID, limit: CAMPAIGNS_LISTED })).filter((r) => typeof (r.input as { campaignId?: unknown })?.campaignId === 'string');
  /**
   * A campaign's runs: its one run (`campaignRunId`), and any other run of its id started before a
   * campaign had one run (two could run then); the one still going first, else the newest.
   */
  const runsOf = async (campaignId: string) => {
    const own = await s.workflows.get(campaignRunId(campaignId));
    const all = [...(own ? [own] : []), ...(await runs()).filter((r) => r.workflowId !== own?.workflowId && (r.input as { campaignId: string }).campaignId === campaignId)];
    return [...all.filter((r) => !FINISHED_STATUSES.includes(r.status)), ...all.filter((r) => FINISHED_STATUSES.includes(r.status))];
  };
  const runOf = async (campaignId: string) => {
    const all = await runsOf(campaignId);
    const run = all[0];
    if (!run) throw new TwinloopError('NOT_FOUND', `no campaign ${campaignId}; GET /campaigns lists them`);
    return { run, input: campaignInputSchema.parse(run.input) as CampaignInput, going: all.filter((r) => !FINISHED_STATUSES.includes(r.status)) };
  };
  const holdOf = async (campaignId: string) => {
    const h = (await s.records.get<CampaignHold>(CAMPAIGN_HOLDS, campaignId))?.body;
    return h ? { ...h, at: new Date(h.at).toISOString() } : null;
  };
  const briefOf = async (run: { workflowId: string; status: (typeof RUN_STATUSES)[number]; output?: unknown; error?: string | null; createdAt: number; wakeAt: number | null }, input: CampaignInput, read?: CampaignDeliveryView | null) => {
    // The brief reads no churn: asking every customer's owner for it (on workers) once per listed campaign was a fan-out for nothing.
    const d = read !== undefined ? read : await delivery.view(input.campaignId, { churn: false });
    const sum = (f: (v: NonNullable<typeof d>['variants'][number]) => number) => (d?.variants ?? []).reduce((a, v) => a + f(v), 0);
    return {
      campaignId: input.campaignId,
      workflowId: run.workflowId,
      status: run.status,
      // A stop by a person ends the run as "succeeded": the words say who stopped it and why.
      ended: run.status === 'succeeded' || run.status === 'failed' ? endedHow(run) : null,
      // The reason was only in GET /workflows/:id's error: the page said "ended (failed)" and not why.
      failure: run.status === 'failed' || run.status === 'compensating' ? (run.error ?? null) : null,
      budget: input.budget,
      spent: d?.spent ?? 0,
      reserved: d?.reserved ?? 0,
      endAt: new Date(input.endAt).toISOString(),
      variants: input.variants.length,
      presented: sum((v) => v.presented),
      accepted: sum((v) => v.accepted),
      hold: await holdOf(input.campaignId),
      contactedNobody: (run.status === 'succeeded' || run.status === 'failed') && ((run.output ?? {}) as Partial<CampaignResult>).contacted === 0,
      nextTickAt: run.status === 'waiting' && run.wakeAt !== null ? new Date(run.wakeAt).toISOString() : null,
      audienceUsedUp: d?.audienceUsedUp ?? false,
      sends: campaignSends(s, input, run.createdAt).sends,
    };
  };
  /** A person's act on a campaign in the audit trail: no campaign entry type, so like the flow's adjustments an executed campaign_adjustment (docs/flows.md). */
  const audited = (by: ReturnType<typeof actorFor>, campaignId: string, event: string, kind: string, reason: string, runs?: readonly string[]) =>
    s.audit.record({
      type: 'action.executed',
      requestId: `${campaignId}:${event}:${Date.now()}`,
      actor: by,
      action: { actionClass: CAMPAIGN_ADJUSTMENT_CLASS, channel: '*', cost: 0, params: { event, kind, campaignId } },
      why: { summary: reason },
      outcome: { status: 'executed', event, ...(runs ? { runs } : {}) },
    });
  /** The campaign (every run of it) is going, or the refusal naming how it ended. */
  const going = async (campaignId: string, what: string) => {
    const found = await runOf(campaignId);
    if (found.going.length === 0) throw new TwinloopError('CONFLICT', `campaign ${campaignId} has ended (${endedHow(found.run)}): there is nothing to ${what}`);
    return found;
  };
  // The hold is the campaign's, kept in the shared store by its id: every run of it, on any process, reads it at each tick.
  const setHold = async (req: Parameters<typeof actorFor>[0], campaignId: string, held: boolean, reason: string) => {
    const { run, input } = await going(campaignId, held ? 'pause' : 'resume');
    const current = await holdOf(campaignId);
    if ((current?.held ?? false) === held) throw new TwinloopError('CONFLICT', `campaign ${campaignId} is already ${held ? 'paused' : 'running'}${current ? ` (since ${current.at}, by ${current.by.id}: ${current.reason})` : ''}`);
    const by = actorFor(req);
    const entry = await audited(by, campaignId, held ? 'campaign.paused' : 'campaign.resumed', held ? 'pause' : 'resume', reason);
    const stored: CampaignHold = { held, by, at: entry.at, reason };
    await s.records.put(CAMPAIGN_HOLDS, campaignId, stored);
    return briefOf(run, input);
  };
  // A stop is a signal in the journal to every run of the campaign still going: it ends its wait for the next tick at once, and contacts nobody more.
  const stop = async (req: Parameters<typeof actorFor>[0], campaignId: string, reason: string) => {
    const { run, input, going: runs } = await going(campaignId, 'stop');
    const by = actorFor(req);
    const ids = runs.map((r) => r.workflowId);
    await audited(by, campaignId, 'campaign.stopped', 'stop', reason, ids);
    for (const id of ids) await s.workflows.signal(id, STOP_RUN_SIGNAL, { reason: `stopped by ${by.id}: ${reason}` } satisfies RunStop);
    return briefOf((await s.workflows.get(run.workflowId)) ?? run, input);
  };

  return (app) => {
    app.get('/campaigns', { schema: { summary: 'Managed campaigns (campaign-management runs), newest first, with spend, answers and any hold', response: { 200: list(brief) } } }, async () => {
      const out = [];
      for (const run of await runs()) out.push(await briefOf(run, campaignInputSchema.parse(run.input) as CampaignInput));
      return out;
    });
    app.get(
      '/campaigns/:id',
      {
        schema: {
          summary: "One campaign: each variant's live metrics, the control group, the allocation over time, the guardrails with their adjustments, and any hold",
          params: campaignParams,
          response: { 200: detail, ...errors(404) },
        },
      },
      async (req) => {
        const { run, input } = await runOf(req.params.id);
        // The churn among its customers is asked where their twins are (on a partition worker, of their owners).
        const d = await delivery.view(input.campaignId);
        const head = await briefOf(run, input, d);
        const last = d?.history.at(-1);
        const adjustments = [];
        for (const r of await s.audit.read({ newestFirst: true, contains: input.campaignId, limit: ADJUSTMENTS_READ })) {
          const e = r.entry as { action?: { actionClass?: string; params?: { event?: string; campaignId?: string; variantId?: string } }; actor?: { id: string }; why?: { summary?: string } };
          if (e.action?.actionClass !== CAMPAIGN_ADJUSTMENT_CLASS || e.action.params?.campaignId !== input.campaignId) continue;
          adjustments.push({ seq: r.seq, at: new Date(r.at).toISOString(), event: e.action.params.event ?? 'campaign.adjusted', variantId: e.action.params.variantId ?? null, by: e.actor?.id ?? 'unknown', reason: e.why?.summary ?? '' });
        }
        return {
          ...head,
          guardrails: {
            budget: input.budget,
            remainingBudget: budgetLeft(input.budget, d?.spent ?? 0, d?.reserved ?? 0),
            endAt: new Date(input.endAt).toISOString(),
            controlShare: input.controlShare,
            minShare: input.minShare,
            maxShiftPerTick: input.maxShiftPerTick,
            tickMs: input.tickMs,
            pauseRules: PAUSE_RULES,
          },
          variants: input.variants.map((v) => {
            const st = d?.variants.find((x) => x.variantId === v.id);
            return {
              variantId: v.id,
              offerId: v.offerId,
              channel: v.channel,
              notificationChannel: v.notificationChannel ?? null,
              presented: st?.presented ?? 0,
              accepted: st?.accepted ?? 0,
              declined: st?.declined ?? 0,
              spent: st?.spent ?? 0,
              reserved: st?.reserved ?? 0,
              failed: st?.failed ?? 0,
              lastFailure: st?.lastFailure ?? null,
              treated: st?.treated ?? 0,
              treatedChurned: st?.treatedChurned ?? 0,
              tried: st?.tried ?? 0,
              notContacted: st?.notContacted ?? {},
              share: last?.shares[v.id] ?? 1 / input.variants.length,
              paused: last?.paused.includes(v.id) ?? false,
              idle: d?.idle[v.id] ?? null,
            };
          }),
          control: d?.control ?? null,
          audienceLeft: d?.audienceLeft ?? 0,
          awaitingApproval: d?.awaitingApproval ?? 0,
          awaitingBudget: d?.awaitingBudget ?? 0,
          leftOut: d?.leftOut ?? {},
          closed: d?.closed ? { ...d.closed, at: new Date(d.closed.at).toISOString() } : null,
          allocation: (d?.history ?? []).map((p) => ({ ...p, at: p.at === null ? null : new Date(p.at).toISOString() })),
          adjustments,
        };
      },
    );
    app.post(
      '/campaigns/:id/pause',
      {
        schema: {
          summary: 'Pause a running campaign, saying why (audited): from its next tick nobody is contacted until it is resumed; its timer and guardrails go on',
          params: campaignParams,
          body: holdBody,
          response: { 200: brief, ...errors(400, 404, 409) },
        },
      },
      async (req) => setHold(req, req.params.id, true, req.body.reason),
    );
    app.post(
      '/campaigns/:id/stop',
      {
        schema: {
          summary: 'Stop a campaign for good, saying why (audited): every run of it ends at once, nobody more is contacted; what it did stays readable',
          params: campaignParams,
          body: holdBody,
          response: { 200: brief, ...errors(400, 404, 409) },
        },
      },
      async (req) => stop(req, req.params.id, req.body.reason),
    );
    app.post(
      '/campaigns/:id/resume',
      { schema: { summary: 'Resume a paused campaign, saying why (audited)', params: campaignParams, body: holdBody, response: { 200: brief, ...errors(400, 404, 409) } } },
      async (req) => setHold(req, req.params.id, false, req.body.reason),
    );
  };
}
