import { randomUUID } from 'node:crypto';
import type { Actor } from '../../decisioning/policy/index.js';
import { TwinloopError } from '../../domain/errors.js';
import { assess, MIN_ELAPSED_SHARE, type Assessment, type Observation } from './intent-assessment.js';
import { DAY_MS } from '../../domain/time.js';
import { canMove, intentStage, isFinal, workInProgress, type IntentStage, type PeopleTime } from './intent-lifecycle.js';
import { alternativesOf, planIntent, sameAsChosen, type Plan, type PlannerDeps, type SimulatePlan, type SimulatePlans } from './intent-planner.js';
import { buildIntentReport, type IntentReport } from './intent-report.js';
import { formatIntentIssues, horizonDays, intentHorizonEnd, intentSchema, validateIntentDraft, type Intent, type LifecycleStatus, type Segment } from './intent-schema.js';
import { describeControl, upgradeIntentRecord, type ChosenPlan, type IntentEventKind, type IntentRecord, type IntentStore } from './intent-store.js';
import { parseIntentText } from './intent-text-parser.js';
import type { PlanOutcome } from './expectation-math.js';
import { concreteSegment, resolveSegment, type CountSegments, type FieldValues, type SegmentLevels, type SegmentSuggestion } from './segment-resolution.js';
import type { LlmIntentProposal } from './llm-intent-adapter.js';
import type { AuditTrail } from '../governance/audit-trail.js';
import { controlGroupSize } from '../flows/campaign-audience.js';

/**
 * The intent service: create (from text, a structured draft or an LLM proposal) → accept → plan
 * → execute → watch (re-plan when off track) → report. Storage, simulation, execution and
 * observation are injected, so the simulation lab, the durable workflows and the policy engine
 * plug in without this module knowing them.
 */

/**
 * Who acts, with the role the credential they acted with held then (the edges know it): a start
 * judged later, as an autonomous plan's run starts in the background, reads it for a subject whose
 * standing cannot be read again (an OIDC identity, the local admin); see ExecutePlan.
 */
export type SignedActor = Actor & { readonly role?: string };

/**
 * Starts a plan's run (the durable workflows provide it) and answers the execution's id; `by` is who
 * starts it: the person who approved the plan, else the intent's owner (an autonomous intent's
 * plan); undefined for an intent nobody owns. It checks that `by` may start the run now (decision
 * 0047) and throws FORBIDDEN with the reason, nothing started, when not: the service records the
 * refusal on the intent (its stage says it).
 */
export type ExecutePlan = (approved: ApprovedPlan, intent: Intent, by?: SignedActor) => Promise<{ executionId: string }>;
/**
 * A plan as it was simulated and approved: its actions, and what its simulation said of them (whom
 * it targets). Its run acts on that and no more: the plan's budget, as many customers as it
 * targeted. A newcomer's plan approved at "budget 2500, 1,774 targeted" ran a campaign of the
 * intent's 5,000 over the segment's 5,466.
 */
export interface ApprovedPlan {
  readonly plan: Plan;
  readonly outcome: Pick<PlanOutcome, 'targeted'>;
}
/** Reads what happened since the plan started (metrics and spend). */
export type ObserveIntent = (intent: Intent, plan: Plan, startedAt: number) => Promise<Observation>;
/**
 * Stops a run the intent started (its pending waits end, nothing new is presented): called for
 * every run of the intent when it closes (achieved, not-achieved, failed, cancelled). Safe to repeat.
 */
export type StopExecution = (executionId: string, reason: string) => Promise<void>;
/** Governance hook: may refuse an execution with a reason (policy and audit plug in here). */
export type AuthorizeExecution = (intent: Intent, plan: Plan, approvedBy: string | undefined) => Promise<{ allowed: true } | { allowed: false; reason: string }>;

/** A segment's customers read once for a planning, and the simulations over them. */
export interface PlanningPopulation {
  /** The segment's active customers the simulations see. */
  readonly size: number;
  readonly simulate: SimulatePlan;
  readonly simulateMany: SimulatePlans;
  /** What the simulations go without, when they do (the billing records a restart is still reading): kept on the plan and said with it. */
  readonly caveat?: string;
}

/** Whom a plan's campaign would contact and hold out if it opened now, by its own draw (`IntentServiceDeps.audienceOf`). */
export interface PlanAudience {
  /** The segment's active customers. */
  readonly segment: number;
  /** Those its campaign may contact: the control group is drawn among them. */
  readonly mayContact: number;
  /** Its control group's size. */
  readonly control: number;
  /** The segment's customers left out before drawing, by why (no-consent, held-out, sleeping-dog). */
  readonly left: Readonly<Record<string, number>>;
}

/** What the service needs. */
export interface IntentServiceDeps {
  readonly store: IntentStore;
  readonly simulate: SimulatePlan;
  /** Simulates a batch of candidate plans in one run (the population read once); the planner prefers it when given. */
  readonly simulateMany?: SimulatePlans;
  readonly execute: ExecutePlan;
  readonly observe: ObserveIntent;
  /** Stops the intent's runs when it closes; without it (tests of the planner alone) they are left to end by themselves. */
  readonly stop?: StopExecution;
  /** Planner tuning (offers, top-k, control share, candidate cap). */
  readonly planner?: Omit<PlannerDeps, 'simulate' | 'idPrefix'>;
  readonly authorize?: AuthorizeExecution;
  /**
   * Counts the live twins of segments: every plan's segment is resolved against them first, and an
   * empty or too small one is refused with its count and the nearest segments that hold enough. Without
   * it (tests of the planner alone) segments are taken as they are.
   */
  readonly countSegments?: CountSegments;
  /**
   * One field's values over the live twins that pass some filters: a too small segment's refusal
   * offers each of its thresholds loosened just enough to hold a plan. Without it only segments with
   * a condition dropped or swapped are offered.
   */
  readonly segmentValues?: FieldValues;
  /**
   * What the relative named segments mean now (`at-risk`: the churn score the riskiest
   * AT_RISK_SHARE of the active customers start at), read when a plan is made for a segment that
   * names one; the plan runs on that level (`concreteSegment`). Without it (tests of the planner
   * alone) `at-risk` is the fixed AT_RISK_CHURN; undefined: no churn score serves.
   */
  readonly segmentLevels?: () => Promise<SegmentLevels | undefined>;
  /**
   * Reads the segment's customers once for a whole planning (the server: their twins scored, in
   * memory) and simulates the candidate plans over them alone: a planning read the operator's whole
   * population for the count and again for each batch of candidates, and its draws looped over
   * every twin, the segment's few hundred among 20,000. Without it, `simulate`/`simulateMany` and
   * `countSegments` are used as they are.
   */
  readonly planningPopulation?: (segment: Segment) => Promise<PlanningPopulation>;
  /**
   * Counts whom the chosen plan's campaign would contact and hold out if it opened now, by the draw
   * its campaign keeps when it opens (the server's delivery: consent, other runs' holdouts, likely
   * sleeping dogs): the plan says that control group. Undefined (or absent, as in tests of the
   * planner alone): the control is counted as the share of the segment, which overstates it.
   */
  readonly audienceOf?: (approved: ApprovedPlan, intent: Intent) => Promise<PlanAudience | undefined>;
  /** The fewest customers a segment may hold to be planned for; default MIN_SEGMENT_SIZE. */
  readonly minSegmentSize?: number;
  /**
   * Where an intent closed at its horizon before its plan ran is recorded (`intent.expired`, once
   * per intent); without it (tests of the planner alone) the intent's own history says it.
   */
  readonly audit?: Pick<AuditTrail, 'record'>;
  /** ms since epoch; default Date.now (the server passes the runtime's clock: the world's time). */
  readonly clock?: () => number;
  /**
   * Real ms until `clock` reads a time, at its pace now (`Clock.realMsUntil`; Infinity when it does
   * not move by itself): a plan awaiting approval says by when, in people's time, it must be approved
   * to run. Absent: not said.
   */
  readonly realMsUntil?: (t: number) => number;
  /** Intent ids; default random UUIDs. */
  readonly newId?: () => string;
  /**
   * Told of a fault of work done after the caller had its answer (a planning started by
   * `startPlanning` whose record could not be saved): the intent stays where its record says, and
   * `planWaiting` at the next start resumes it. Default: nothing (tests).
   */
  readonly onBackgroundError?: (intentId: string, err: Error) => void;
}

/** Who closes an intent at its horizon in the audit trail: the service itself, on the runtime's clock. */
export const INTENT_SERVICE_ACTOR = { kind: 'system', id: 'intents' } as const;

/** The control group a plan's campaign holds out, from its draw (`IntentServiceDeps.audienceOf`). */
const drawnControl = (share: number, drawn: PlanAudience): NonNullable<ChosenPlan['control']> => ({ share, expected: drawn.control, of: drawn.mayContact, segment: drawn.segment, ...(Object.keys(drawn.left).length > 0 ? { leftOut: drawn.left } : {}) });

/** A refusal that is a decision, not a fault (policy mode, missing approval, a segment that holds no one). */
/**
 * Why something was not done; `forbidden`: the refusal is of who asked (four eyes, an AI agent
 * approving), answered as FORBIDDEN, not of what the policy allows (POLICY_DENIED).
 */
export type Refusal = { ok: false; reason: string; closest?: readonly SegmentSuggestion[]; forbidden?: true };

/** How an intent is created: accepted at once or not, and by whom (kept: nobody approves a plan of their own intent; an autonomous plan runs as them). */
export interface CreateOptions {
  readonly accept?: boolean;
  readonly by?: SignedActor;
}

/** The intent service's operations (HTTP `POST /intents`, the CLI and MCP call these). */
export interface IntentService {
  /** Parses text into a `proposed` intent; `accept: true` accepts it at once (never for LLM proposals). */
  createFromText(text: string, options?: CreateOptions): Promise<{ ok: true; record: IntentRecord } | { ok: false; reason: string; suggestions: string[] }>;
  /** Validates a structured draft (throws BAD_INPUT naming the paths) into a `proposed` intent. */
  createFromDraft(draft: unknown, options?: CreateOptions): Promise<IntentRecord>;
  /** Stores an LLM proposal as `proposed`; it runs only after an explicit accept. */
  createFromProposal(proposal: LlmIntentProposal, by?: SignedActor): Promise<IntentRecord>;
  accept(id: string): Promise<IntentRecord>;
  /** Plans an accepted intent; a failure to find any plan is recorded and returned, not thrown. */
  plan(id: string): Promise<{ ok: true; record: IntentRecord } | (Refusal & { record: IntentRecord })>;
  /**
   * Executes the chosen (or pending re-)plan if the policy mode and the governance hook allow; in
   * approve mode `approvedBy` approves it, and may not be who created the intent (four eyes).
   * One execution per intent: CONFLICT (context.state `starting` or `executing`) while another
   * start is under way in this process, or when it executes its plan already.
   */
  execute(id: string, options?: { approvedBy?: string; approverRole?: string }): Promise<{ ok: true; record: IntentRecord } | Refusal>;
  /** Plans an accepted intent and, when its mode is autonomous, executes the plan; answers the report. */
  planAndRun(id: string): Promise<IntentReport>;
  /**
   * Starts planning an accepted intent and answers as soon as it is saved in `planning` (TMF921's
   * create answers at once: a planning simulates every candidate plan over the segment, minutes
   * on a large world); the plan, or the failure with its reason, and in autonomous mode the run,
   * follow in the background and show on the intent (`workInProgress` says what is left).
   */
  startPlanning(id: string): Promise<IntentRecord>;
  /** Resolves once every planning `startPlanning` started has ended (tests, and a caller that must wait). */
  settled(): Promise<void>;
  /**
   * Finishes the work a stop left (`workInProgress`): plans every accepted intent that has no plan
   * and is not being planned, and starts the run of an autonomous intent planned but not started;
   * answers their ids. The server calls it at start.
   */
  planWaiting(): Promise<string[]>;
  /**
   * Closes every intent that has not run (accepted, planning) and is past its horizon as expired:
   * `failed` with the reason and `failure.expiredAt`, an `expired` entry in its history and in the
   * audit trail. The server runs it every 6 hours of the runtime's clock (the world's time), waited for at its pace; answers the intents closed.
   */
  expireDue(): Promise<IntentRecord[]>;
  /** Observes, assesses, re-plans when off track, and closes the intent at its horizon. */
  check(id: string): Promise<{ record: IntentRecord; assessment: Assessment }>;
  report(id: string): Promise<IntentReport>;
  cancel(id: string, reason?: string): Promise<IntentRecord>;
  get(id: string): Promise<IntentRecord>;
  /** Where an intent stands now as a person reads it (`intentStage` on the service's clock). */
  stageOf(record: IntentRecord): IntentStage;
  list(): Promise<IntentRecord[]>;
  /**
   * Rewrites every stored intent kept in an older shape in today's (`upgradeIntentRecord`: a planned
   * intent stored `planning`, decision 0061); answers how many. Reads upgrade them as well; the
   * server runs it once at start so the store itself holds no status a reader of it would not know.
   */
  upgradeStored(): Promise<number>;
  /**
   * Hears every intent stored by this service, with the record as it was before (undefined for a
   * new intent): a notification hub's source. Returns the function that stops it.
   */
  onChange(listener: (before: IntentRecord | undefined, after: IntentRecord) => void): () => void;
}

/** Builds the intent service over its injected dependencies. */
export function createIntentService(deps: IntentServiceDeps): IntentService {
  const clock = deps.clock ?? Date.now;
  /** Intents being planned in this process: planned once at a time, and not picked up again by planWaiting. */
  const inFlight = new Set<string>();
  /**
   * Intents whose run is being started in this process (an execute, the automatic run after a
   * planning, a check's switch to a re-plan): one start at a time per intent. Without it the run
   * started after an acceptance and a person's execute at the same moment both read the intent
   * planned and both started its plan.
   */
  const starting = new Set<string>();
  /** The 409 a second execution meets, naming the state the intent is in (context.state says it too). */
  const executionUnderWay = (id: string, state: 'starting' | 'executing', detail: string) =>
    new TwinloopError('CONFLICT', `intent ${id} is ${state === 'starting' ? 'starting its run now' : 'executing already'}: ${detail}; an intent runs one execution at a time, so this one is not started (read its report to follow it)`, {
      context: { intentId: id, state },
    });
  const oneStart = async <T>(id: string, work: () => Promise<T>): Promise<T> => {
    if (starting.has(id)) throw executionUnderWay(id, 'starting', 'another execute (or the run after its planning) is under way');
    starting.add(id);
    try {
      return await work();
    } finally {
      starting.delete(id);
    }
  };
  /**
   * Checks under way in this process, by intent: a check called while one runs (the server's minute
   * check and a person's POST /intents/ID/check, a slow reading overtaken by the next cycle) answers
   * the one under way, so a check cycle observes once and re-plans at most once. Two checks each
   * read the intent off track with no re-plan pending, and each saved and ran its own.
   */
  const checking = new Map<string, Promise<{ record: IntentRecord; assessment: Assessment }>>();
  const newId = deps.newId ?? (() => `intent-${randomUUID()}`);
  const iso = () => new Date(clock()).toISOString();
  /** The intent's horizon in people's time (the wall clock's), when the service knows the world's pace. */
  const peopleTime = (intent: Intent, now: number): PeopleTime | undefined => (deps.realMsUntil ? { wallNow: Date.now(), realMsUntilEnd: deps.realMsUntil(intentHorizonEnd(intent, now)) } : undefined);

  const withEvent = (r: IntentRecord, kind: IntentEventKind, detail: string): IntentRecord => ({ ...r, events: [...r.events, { at: iso(), kind, detail }] });
  const moved = (r: IntentRecord, to: LifecycleStatus): IntentRecord => {
    const can = canMove(r.intent.lifecycleStatus, to);
    if (!can.ok) throw new TwinloopError('CONFLICT', `intent ${r.intent.id}: ${can.reason}`);
    return { ...r, intent: { ...r.intent, lifecycleStatus: to, lastUpdate: iso() } };
  };
  const load = async (id: string): Promise<IntentRecord> => {
    const r = await deps.store.get(id);
    if (!r) throw new TwinloopError('NOT_FOUND', `no intent with id ${id}; list intents to see the ids`);
    return upgradeIntentRecord(r);
  };
  const changeListeners = new Set<(before: IntentRecord | undefined, after: IntentRecord) => void>();
  const save = async (r: IntentRecord) => {
    // The record before (a write is rare: a few per intent and step). An intent that ended meanwhile
    // (cancelled while a planning of minutes ran) stays ended: a record read before it ended is
    // never written over it, or the planning's save would undo the cancel and start its run.
    const stored = await deps.store.get(r.intent.id);
    const ended = stored?.intent.lifecycleStatus;
    if (ended !== undefined && ended !== r.intent.lifecycleStatus && isFinal(ended)) {
      throw new TwinloopError('CONFLICT', `intent ${r.intent.id} is ${ended} already (it ended while this was under way), so nothing more is done for it; create a new intent instead`);
    }
    await deps.store.put(r.intent.id, r);
    const before = stored && upgradeIntentRecord(stored);
    for (const listener of changeListeners) {
      try {
        listener(before, r);
      } catch {
        // A listener's fault is its own: the intent is stored.
      }
    }
    return r;
  };
  const fresh = (intent: Intent, extra: Partial<IntentRecord>, how: string, by: SignedActor | undefined): IntentRecord =>
    withEvent(
      { intent, ...(by ? { createdBy: { kind: by.kind, id: by.id }, ...(by.role ? { createdByRole: by.role } : {}) } : {}), executionIds: [], spend: 0, events: [], ...extra },
      'created',
      by ? `${how}, by ${by.id}` : how,
    );
  /** Ends the intent as `failed` with the reason, kept on the record and in its history. */
  const failed = (r: IntentRecord, reason: string): IntentRecord => withEvent({ ...moved(r, 'failed'), failure: { at: iso(), reason } }, 'failed', reason);
  /**
   * Why an intent whose plan has not run may not run it any more: its horizon passed (undefined
   * while it has not), with when it ended. A plan started past the horizon would act for a target
   * already closed and be judged at once on nothing it did.
   */
  const expiredBeforeRun = (r: IntentRecord, planId: string | undefined): { endedAt: number; reason: string } | undefined => {
    const end = intentHorizonEnd(r.intent, clock());
    if (clock() < end) return undefined;
    const h = r.intent.horizon;
    const reason = `expired before it ran: its horizon (${h.amount} ${h.unit}${h.alignTo ? ` to ${h.alignTo.replace('_', ' ')}` : ''}, from ${r.intent.creationDate}) ended ${new Date(end).toISOString()}${planId ? ` before plan ${planId} ran` : ' before it was planned'}; create a new intent for the time left`;
    return { endedAt: end, reason };
  };
  /**
   * Ends an intent that has not run as expired: `failed`, the reason and when its horizon ended kept
   * (`failure.expiredAt`), an `expired` entry in its history; recorded in the audit trail first,
   * once per intent (its fact), so a save that fails is tried again by the next sweep and audited once.
   */
  const expire = async (r: IntentRecord, expiry: { endedAt: number; reason: string }, how: string): Promise<IntentRecord> => {
    const expiredAt = new Date(expiry.endedAt).toISOString();
    await deps.audit?.record(
      { type: 'intent.expired', actor: INTENT_SERVICE_ACTOR, target: { kind: 'intent', id: r.intent.id, name: r.intent.name, status: r.intent.lifecycleStatus, expiredAt }, why: { summary: `${expiry.reason} (${how})` } },
      `intent.expired:${r.intent.id}`,
    );
    return save(withEvent({ ...moved(r, 'failed'), failure: { at: iso(), reason: expiry.reason, expiredAt } }, 'expired', `${expiry.reason} (${how})`));
  };
  /** The 409 an act on an expired intent meets: it conflicts with the intent's state, and says since when. */
  const expiredConflict = (r: IntentRecord, expiredAt: string, what: string) =>
    new TwinloopError('CONFLICT', `intent ${r.intent.id} expired at ${expiredAt}, before its plan ran, so ${what}: ${r.failure?.reason ?? 'its horizon has passed'}`, {
      context: { intentId: r.intent.id, state: 'expired', expiredAt },
    });
  /**
   * An intent that closes stops every run it started, then reads what they did (their contacts,
   * spend and answers up to the stop) into its record: nothing acts for a closed intent, and what
   * acted counts in its report. A run that cannot be stopped now is said in the history.
   */
  const closing = async (r: IntentRecord, why: string): Promise<IntentRecord> => {
    if (!deps.stop || r.executionIds.length === 0) return r;
    const problems: string[] = [];
    for (const id of r.executionIds) await deps.stop(id, why).catch((err: Error) => problems.push(`${id}: ${err.message}`));
    let record = withEvent(r, 'runs-stopped', `${r.executionIds.join(', ')} stopped: ${why}${problems.length ? `; not stopped now: ${problems.join('; ')}` : ''}`);
    if (r.plan && r.startedAt !== undefined) {
      const observed = await deps.observe(r.intent, r.plan.plan, r.startedAt).catch(() => undefined);
      if (observed && observed.failed === undefined) record = { ...record, spend: Math.max(record.spend, observed.spend) };
    }
    return record;
  };
  const maybeAccept = async (r: IntentRecord, accept: boolean | undefined) => (accept ? withEvent(moved(r, 'accepted'), 'accepted', 'accepted on creation') : r);

  const choosePlan = async (said: Intent, round: number): Promise<ChosenPlan | Refusal> => {
    // "At risk" read as what it means among today's customers, and planned, simulated and run at that one level.
    const levels = said.segment.named.includes('at-risk') ? await deps.segmentLevels?.() : undefined;
    const intent: Intent = levels ? { ...said, segment: concreteSegment(said.segment, levels) } : said;
    const population = deps.planningPopulation ? await deps.planningPopulation(intent.segment) : undefined;
    const resolved = deps.countSegments ? await resolveSegment(said.segment, deps.countSegments, { minSize: deps.minSegmentSize, now: clock(), ...(population ? { size: population.size } : {}), ...(levels ? { levels } : {}), ...(deps.segmentValues ? { values: deps.segmentValues } : {}) }) : undefined;
    if (resolved && !resolved.ok) return { ok: false, reason: resolved.reason, closest: resolved.closest };
    const simulateMany = population?.simulateMany ?? deps.simulateMany;
    const selection = await planIntent(intent, { ...deps.planner, simulate: population?.simulate ?? deps.simulate, ...(simulateMany ? { simulateMany } : {}), idPrefix: `${intent.id}-r${round}-p` });
    if (selection.status === 'no-plan') return { ok: false, reason: selection.reason };
    // What its campaign will hold out, said with the plan: counted by the campaign's own draw (its
    // share of those it may contact), else, without one, as a share of the segment.
    const size = resolved?.segment.size ?? population?.size;
    const share = selection.chosen.plan.actions[0]?.controlGroupShare ?? 0;
    const drawn = await deps.audienceOf?.(selection.chosen, intent);
    // One count of the segment beside its control: the draw's, when the plan is chosen. The
    // simulations read it minutes before (the default world's "churn > 0.04": 666 read, 627 a world
    // day later at the draw, both said with the plan); what they read is kept as what it was.
    const segment = resolved && drawn && drawn.segment !== resolved.segment.size ? { ...resolved.segment, size: drawn.segment, resolvedAt: clock(), simulated: { size: resolved.segment.size, at: resolved.segment.resolvedAt } } : resolved?.segment;
    const control = drawn
      ? drawnControl(share, drawn)
      : size !== undefined
        ? { share, expected: controlGroupSize(size, share), of: size }
        : undefined;
    return { plan: selection.chosen.plan, outcome: selection.chosen.outcome, selection: selection.status, shortfalls: selection.shortfalls, ...(segment ? { segment } : {}), alternatives: alternativesOf(intent, selection), ...sameOf(selection), ...(control ? { control } : {}), ...(population?.caveat ? { caveats: [population.caveat] } : {}) };
  };
  /**
   * The plan's control counted again by its campaign's own draw as it is approved: days of people's
   * time may pass between the plan and its approval, in which the segment's customers, their consents
   * and other runs' holds move (the plan said 13, its campaign held another number). When the count
   * moved, the plan started says the count its campaign opens with, beside the one made when it was
   * planned (`planned`, `countedAt`); else it is the plan as it was.
   */
  const sameOf = (selection: Parameters<typeof sameAsChosen>[0]) => {
    const same = sameAsChosen(selection);
    return same.length ? { same } : {};
  };
  const recountControl = async (chosen: ChosenPlan, intent: Intent): Promise<ChosenPlan> => {
    const c = chosen.control;
    if (!c || c.segment === undefined || !deps.audienceOf) return chosen;
    const drawn = await deps.audienceOf(chosen, intent);
    if (!drawn || (drawn.control === c.expected && drawn.mayContact === c.of && drawn.segment === c.segment)) return chosen;
    return { ...chosen, control: { ...drawnControl(c.share, drawn), planned: c.planned ?? { expected: c.expected, of: c.of, segment: c.segment }, countedAt: clock() } };
  };
  const describePlan = (c: ChosenPlan) =>
    `${c.plan.id}${c.segment ? ` for "${c.segment.description}" (${c.segment.size} customers${c.segment.simulated ? `; its simulations read ${c.segment.simulated.size} when the planning began` : ''})` : ''}: ${c.plan.actions.map((a) => a.templateId + (a.offerId ? `(${a.offerId})` : '')).join(' + ')}, ${c.selection}, net value ${Math.round(c.outcome.netValue.mean)}, cost up to ${Math.round(c.outcome.cost.high)}${c.control ? `; ${describeControl(c.control)}` : ''}${c.caveats?.length ? `; ${c.caveats.join('; ')}` : ''}${c.shortfalls.length ? `; short: ${c.shortfalls.join('; ')}` : ''}`;

  const runPlan = async (r: IntentRecord, chosen: ChosenPlan, approvedBy: string | undefined, approverRole?: string): Promise<{ ok: true; record: IntentRecord } | Refusal> => {
    const { intent } = r;
    if (intent.policyMode === 'advise') return { ok: false, reason: `intent ${intent.id} is in advise mode: its plans are shown, never executed; change the mode to approve or autonomous to run them` };
    // An AI agent approves nothing: its intent's plan waits for a person, whatever mode it asked for.
    const byAgent = r.createdBy?.kind === 'agent';
    if (intent.policyMode === 'autonomous' && byAgent && !approvedBy) {
      const reason = `intent ${intent.id} was created by the AI agent ${r.createdBy!.id}, and an agent approves nothing: its plan ${chosen.plan.id} waits for a person with the permission intents:approve (POST /intents/${intent.id}/execute), autonomous mode or not`;
      await save(withEvent(r, 'execution-refused', reason));
      return { ok: false, reason };
    }
    if (intent.policyMode === 'approve' && !approvedBy) return { ok: false, reason: `intent ${intent.id} is in approve mode: name the approver (approvedBy) to execute plan ${chosen.plan.id}` };
    if ((intent.policyMode === 'approve' || byAgent) && r.createdBy && r.createdBy.id === approvedBy) {
      const reason = `${approvedBy} created intent ${intent.id} and may not approve its plan ${chosen.plan.id} too; another person with the permission intents:approve must (four eyes)`;
      await save(withEvent(r, 'execution-refused', reason));
      return { ok: false, reason, forbidden: true };
    }
    const verdict = deps.authorize ? await deps.authorize(intent, chosen.plan, approvedBy) : { allowed: true as const };
    if (!verdict.allowed) {
      await save(withEvent(r, 'execution-refused', verdict.reason));
      return { ok: false, reason: verdict.reason };
    }
    // No plan starts past the intent's horizon: the first ends it as expired; a re-plan is refused (the next check closes it).
    const expired = expiredBeforeRun(r, chosen.plan.id);
    if (expired && intent.lifecycleStatus !== 'executing') {
      const closed = await expire(r, expired, `closed at the execute of plan ${chosen.plan.id}${approvedBy ? ` approved by ${approvedBy}` : ''}`);
      throw expiredConflict(closed, closed.failure!.expiredAt!, 'its plan is not started');
    }
    if (expired) {
      throw new TwinloopError('CONFLICT', `plan ${chosen.plan.id} is not started: the horizon of intent ${intent.id} ended at ${new Date(expired.endedAt).toISOString()}; its next check closes it`, {
        context: { intentId: intent.id, state: 'expired', expiredAt: new Date(expired.endedAt).toISOString() },
      });
    }
    // The control its campaign will hold, counted now: a plan whose control would hold out nobody
    // now is not started (its campaign would refuse to open); one whose count moved says so.
    chosen = await recountControl(chosen, intent);
    if (chosen.control?.planned && chosen.control.share > 0 && chosen.control.expected === 0) {
      const reason = `plan ${chosen.plan.id} is not started: counted again as it starts, its campaign ${describeControl(chosen.control)} (${chosen.control.planned.expected} when planned)`;
      await save(withEvent(r, 'execution-refused', reason));
      return { ok: false, reason };
    }
    // Checked before the run starts: an intent that ended (cancelled, failed) starts nothing.
    const next = intent.lifecycleStatus === 'executing' ? r : moved(r, 'executing');
    // The run acts as the person who approved the plan, else as the intent's owner (autonomous).
    const startedBy: SignedActor | undefined = approvedBy
      ? { kind: 'human', id: approvedBy, ...(approverRole ? { role: approverRole } : {}) }
      : r.createdBy && { ...r.createdBy, ...(r.createdByRole ? { role: r.createdByRole } : {}) };
    let executionId: string;
    try {
      ({ executionId } = await deps.execute(chosen, intent, startedBy));
    } catch (err) {
      // Who would start it may not (an owner who lost the right since): refused on the intent, nothing started.
      if (!(err instanceof TwinloopError && err.code === 'FORBIDDEN')) throw err;
      await save(withEvent(r, 'execution-refused', err.message));
      return { ok: false, reason: err.message };
    }
    // A plan that replaces a running one (a re-plan) stops the runs before it: one plan acts at a time.
    const replaced = r.executionIds.filter((x) => x !== executionId);
    const notStopped: string[] = [];
    for (const x of deps.stop ? replaced : []) await deps.stop!(x, `intent ${intent.id} switched to plan ${chosen.plan.id}`).catch((err: Error) => notStopped.push(`${x}: ${err.message}`));
    const record: IntentRecord = {
      ...next,
      plan: chosen,
      pendingPlan: undefined,
      startedAt: r.startedAt ?? clock(),
      planStartedAt: clock(),
      executionIds: [...r.executionIds, executionId],
    };
    const recounted = chosen.control?.planned ? `; its control group counted again at the start, as its campaign draws it: ${describeControl(chosen.control)} (${chosen.control.planned.expected} when planned)` : '';
    const executed = withEvent(record, 'executed', `${chosen.plan.id} as execution ${executionId}${approvedBy ? `, approved by ${approvedBy}` : ''}${recounted}${deps.stop && replaced.length ? `; stopped ${replaced.join(', ')}` : ''}${notStopped.length ? ` (not stopped now: ${notStopped.join('; ')})` : ''}`);
    try {
      return { ok: true, record: await save(executed) };
    } catch (err) {
      // Ended while its run was starting (a cancel in between): the run acts for nobody, so it stops.
      if (err instanceof TwinloopError && err.code === 'CONFLICT') await deps.stop?.(executionId, `intent ${intent.id} ended while this run was starting`).catch(() => undefined);
      throw err;
    }
  };

  /**
   * Planning's first half: the intent moved to `planning` (or found there, a planning a stop
   * interrupted) and saved before any simulation, so a reader sees it being planned and the next
   * start finds and resumes it; marked in flight here until `finishPlanning` ends.
   */
  const enterPlanning = async (id: string): Promise<IntentRecord> => {
    const r = await load(id);
    const resumed = r.intent.lifecycleStatus === 'planning' && !r.plan;
    if (inFlight.has(id)) throw new TwinloopError('CONFLICT', `intent ${id} is being planned now; read its report to follow it`);
    if (r.intent.lifecycleStatus === 'planned') throw new TwinloopError('CONFLICT', `intent ${id} is planned already (${r.plan?.plan.id ?? '?'}); execute it or cancel it`);
    const planning = withEvent(resumed ? r : moved(r, 'planning'), 'planning', resumed ? 'planning again after a restart interrupted it' : 'planning by simulation over the segment');
    inFlight.add(id);
    try {
      return await save(planning);
    } catch (err) {
      inFlight.delete(id);
      throw err;
    }
  };
  /** Planning's second half: the candidates simulated and the plan chosen, or the intent failed with the reason. */
  const finishPlanning = async (planning: IntentRecord): Promise<{ ok: true; record: IntentRecord } | (Refusal & { record: IntentRecord })> => {
    try {
      let chosen: ChosenPlan | Refusal | { fault: string };
      try {
        chosen = await choosePlan(planning.intent, 0);
      } catch (err) {
        chosen = { fault: `planning failed: ${(err as Error).message}` };
      }
      // The planning took minutes, in which the intent may have been cancelled: then what it found is dropped.
      const now = await load(planning.intent.id);
      if (now.intent.lifecycleStatus !== 'planning' || now.plan) return { ok: false, reason: `intent ${now.intent.id} is ${now.intent.lifecycleStatus} already: the planning under way when it ended is dropped`, record: now };
      // A fault of the planning (the simulation failed, no churn model serves) ends the intent
      // with the reason, rather than leaving it accepted with no plan and nothing said.
      if ('fault' in chosen) return { ok: false, reason: chosen.fault, record: await save(failed(withEvent(now, 'plan-failed', chosen.fault), chosen.fault)) };
      // No plan is final: the intent does not wait in planning for one that will not come.
      if ('ok' in chosen) return { ok: false, reason: chosen.reason, ...(chosen.closest ? { closest: chosen.closest } : {}), record: await save(failed(withEvent(now, 'plan-failed', chosen.reason), `no plan: ${chosen.reason}`)) };
      // A planning that ended past the horizon (minutes of simulation, a restart between) has nothing left to plan for.
      const expired = expiredBeforeRun(now, chosen.plan.id);
      if (expired) return { ok: false, reason: expired.reason, record: await expire(withEvent(now, 'planned', describePlan(chosen)), expired, 'closed as its planning ended') };
      return { ok: true, record: await save(withEvent({ ...moved(now, 'planned'), plan: chosen }, 'planned', describePlan(chosen))) };
    } finally {
      inFlight.delete(planning.intent.id);
    }
  };
  /**
   * An autonomous intent's plan runs once planned. A run that cannot start (no flow registered,
   * the journal refused it) is said on the intent as a refusal, which ends `workInProgress`: the
   * plan waits for a person's execute rather than for a retry nobody would see.
   */
  const runIfAutonomous = async (planned: { ok: boolean; record: IntentRecord }): Promise<void> => {
    const { record } = planned;
    if (!planned.ok || record.intent.policyMode !== 'autonomous') return;
    try {
      await service.execute(record.intent.id);
    } catch (err) {
      const now = await load(record.intent.id);
      // Ended meanwhile (cancelled): no run was wanted any more, so there is no refusal to say.
      if (isFinal(now.intent.lifecycleStatus)) return;
      // A person's execute started (or is starting) the run: that is the one run, nothing was refused.
      if (err instanceof TwinloopError && err.code === 'CONFLICT' && err.context.intentId === record.intent.id && err.context.state !== undefined) return;
      const reason = `the run of plan ${record.plan!.plan.id} could not start: ${(err as Error).message}; POST /intents/${record.intent.id}/execute tries again`;
      await save(withEvent(now, 'execution-refused', reason));
    }
  };
  /** One check: observe, assess, re-plan when off track, close at the horizon (`check` holds one per intent at a time). */
  const checkOnce = async (id: string): Promise<{ record: IntentRecord; assessment: Assessment }> => {
    const r = await load(id);
    if (r.intent.lifecycleStatus !== 'executing' || !r.plan || r.startedAt === undefined) {
      throw new TwinloopError('CONFLICT', `intent ${id} is ${r.intent.lifecycleStatus}, not executing; only an executing intent can be checked`);
    }
    const observed = await deps.observe(r.intent, r.plan.plan, r.startedAt);
    if (observed.failed !== undefined) {
      const reason = `execution ${r.executionIds.at(-1) ?? '?'} failed: ${observed.failed}`;
      const record = await closing(failed({ ...r, spend: observed.spend }, reason), `intent ${id} failed: ${reason}`);
      return { record: await save(record), assessment: assess(r.intent, { outcome: r.plan.outcome, startedAt: r.startedAt }, observed) };
    }
    const assessment = assess(r.intent, { outcome: r.plan.outcome, startedAt: r.startedAt }, observed);
    let record: IntentRecord = { ...r, spend: observed.spend, lastAssessment: assessment };
    if (r.lastAssessment?.status !== assessment.status) record = withEvent(record, 'assessed', `status ${assessment.status} at ${Math.round(assessment.elapsedShare * 100)}% of the horizon`);
    if (assessment.horizonReached) {
      const final = assessment.status === 'achieved' ? 'achieved' : 'not-achieved';
      record = withEvent(moved(record, final), final, `horizon reached: ${assessment.expectations.map((e) => `${e.expectationId} ${e.notShown ? `not shown (${e.notShown})` : e.status}`).join(', ')}`);
      return { record: await save(await closing(record, `intent ${id} ended ${final} at its horizon`)), assessment };
    }
    // A plan just switched to has had no time to show anything: it is judged by its simulation
    // until a tenth of the horizon has passed since it started, as the first plan is. Without it an
    // autonomous intent whose measure stayed short re-planned and switched runs at every check.
    const planAge = (observed.asOf - (r.planStartedAt ?? r.startedAt)) / DAY_MS / horizonDays(r.intent.horizon, r.startedAt);
    if (assessment.replan && !r.pendingPlan && planAge >= MIN_ELAPSED_SHARE) {
      const round = r.events.filter((e) => e.kind === 're-planned').length + 1;
      const chosen = await choosePlan(r.intent, round);
      if ('ok' in chosen) {
        record = withEvent(record, 'plan-failed', `re-plan after "${assessment.replan}" found no plan: ${chosen.reason}`);
      } else {
        record = withEvent({ ...record, pendingPlan: chosen }, 're-planned', `${assessment.replan} → ${describePlan(chosen)}`);
        await save(record);
        // Autonomous intents switch plans at once; the others wait for an approved execute().
        if (r.intent.policyMode === 'autonomous') {
          // A person's execute of this re-plan under way at the same moment is the one start.
          const ran = await oneStart(id, () => runPlan(record, chosen, undefined)).catch((err: unknown) => {
            if (err instanceof TwinloopError && err.context.intentId === id && (err.context.state === 'starting' || err.context.state === 'expired')) return { ok: false as const, reason: err.message };
            throw err;
          });
          if (ran.ok) return { record: ran.record, assessment };
          return { record: await load(id), assessment };
        }
      }
    }
    return { record: await save(record), assessment };
  };
  /** Plannings started by `startPlanning`, until each ends. */
  const background = new Set<Promise<void>>();

  const service: IntentService = {
    async createFromText(text, options = {}) {
      const parsed = parseIntentText(text, { id: newId(), now: clock() });
      if (!parsed.ok) return parsed;
      const r = fresh(parsed.intent, { interpretation: parsed.interpretation }, 'from text', options.by);
      return { ok: true, record: await save(await maybeAccept(r, options.accept)) };
    },
    async createFromDraft(draft, options = {}) {
      const v = validateIntentDraft(draft);
      if (!v.ok) throw new TwinloopError('BAD_INPUT', `invalid intent: ${formatIntentIssues(v.issues)}`, { context: { issues: v.issues } });
      const now = iso();
      const intent = intentSchema.parse({ ...v.value, id: newId(), lifecycleStatus: 'proposed', creationDate: now, lastUpdate: now, source: { kind: 'structured' } });
      return save(await maybeAccept(fresh(intent, {}, 'from a structured draft', options.by), options.accept));
    },
    async createFromProposal(proposal, by) {
      if (proposal.intent.lifecycleStatus !== 'proposed' || proposal.intent.source.kind !== 'llm') {
        throw new TwinloopError('BAD_INPUT', 'an LLM proposal must be a proposed intent with source llm; build it with proposeIntentWithLlm');
      }
      return save(fresh(proposal.intent, { rawText: proposal.rawText }, `proposed by model ${proposal.model}; needs an explicit accept`, by));
    },
    async accept(id) {
      const r = await load(id);
      // A proposal left past its horizon has nothing left to plan for: accepting it is refused, naming when it ended.
      const expired = r.intent.lifecycleStatus === 'proposed' ? expiredBeforeRun(r, undefined) : undefined;
      if (expired) {
        throw new TwinloopError('CONFLICT', `intent ${id} expired at ${new Date(expired.endedAt).toISOString()} while proposed, so it is not accepted: ${expired.reason}`, {
          context: { intentId: id, state: 'expired', expiredAt: new Date(expired.endedAt).toISOString() },
        });
      }
      return save(withEvent(moved(r, 'accepted'), 'accepted', 'accepted'));
    },
    async plan(id) {
      return finishPlanning(await enterPlanning(id));
    },
    async execute(id, options = {}) {
      return oneStart(id, async () => {
        const r = await load(id);
        if (r.failure?.expiredAt) throw expiredConflict(r, r.failure.expiredAt, 'nothing is executed');
        const chosen = r.pendingPlan ?? r.plan;
        if (!chosen) return { ok: false, reason: `intent ${id} has no plan to execute; plan it first` };
        if (!r.pendingPlan && r.intent.lifecycleStatus === 'executing') throw executionUnderWay(id, 'executing', `plan ${chosen.plan.id} runs as execution ${r.executionIds.at(-1) ?? '?'}`);
        return runPlan(r, chosen, options.approvedBy, options.approverRole);
      });
    },
    async planAndRun(id) {
      await runIfAutonomous(await service.plan(id));
      return service.report(id);
    },
    async startPlanning(id) {
      const planning = await enterPlanning(id);
      const work: Promise<void> = finishPlanning(planning)
        .then(runIfAutonomous)
        .catch((err: Error) => deps.onBackgroundError?.(id, err))
        .finally(() => background.delete(work));
      background.add(work);
      return planning;
    },
    async settled() {
      while (background.size > 0) await Promise.all(background);
    },
    async planWaiting() {
      const finished: string[] = [];
      for (const record of await service.list()) {
        const id = record.intent.id;
        const work = inFlight.has(id) ? undefined : workInProgress(record);
        if (work === 'planning') await service.planAndRun(id);
        else if (work === 'starting-run') await runIfAutonomous({ ok: true, record });
        else continue;
        finished.push(id);
      }
      return finished;
    },
    async expireDue() {
      const closed: IntentRecord[] = [];
      for (const record of await service.list()) {
        const status = record.intent.lifecycleStatus;
        if (status !== 'accepted' && status !== 'planning' && status !== 'planned') continue;
        // A run being started now decides for itself (it refuses past the horizon): one closer at a time.
        if (starting.has(record.intent.id)) continue;
        const expired = expiredBeforeRun(record, record.plan?.plan.id);
        if (!expired) continue;
        // A planning under way drops what it finds once it reads the intent closed; one that ended
        // meanwhile (cancelled, or failed at its execute) is left as it ended.
        try {
          closed.push(await expire(record, expired, 'closed by the sweep on the runtime clock'));
        } catch (err) {
          if (!(err instanceof TwinloopError && err.code === 'CONFLICT')) throw err;
        }
      }
      return closed;
    },
    check(id) {
      const underWay = checking.get(id);
      if (underWay) return underWay;
      const work = checkOnce(id).finally(() => checking.delete(id));
      checking.set(id, work);
      return work;
    },
    async report(id) {
      const record = await load(id);
      const now = clock();
      return buildIntentReport(record, now, peopleTime(record.intent, now));
    },
    stageOf(record) {
      const now = clock();
      return intentStage(record, now, intentHorizonEnd(record.intent, now), peopleTime(record.intent, now));
    },
    async cancel(id, reason = 'cancelled by request') {
      const r = await load(id);
      return save(await closing(withEvent(moved(r, 'cancelled'), 'cancelled', reason), `intent ${id} cancelled: ${reason}`));
    },
    get: load,
    list: async () => (await deps.store.list()).map(upgradeIntentRecord),
    async upgradeStored() {
      let rewritten = 0;
      for (const stored of await deps.store.list()) {
        const upgraded = upgradeIntentRecord(stored);
        if (upgraded === stored) continue;
        await deps.store.put(upgraded.intent.id, upgraded);
        rewritten++;
      }
      return rewritten;
    },
    onChange(listener) {
      changeListeners.add(listener);
      return () => changeListeners.delete(listener);
    },
  };
  return service;
}
