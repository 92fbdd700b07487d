import type { LifecycleStatus } from './intent-schema.js';

/**
 * The moves an intent's lifecycle allows. `planning` while its candidate plans are simulated,
 * `planned` holding the chosen plan until it runs (decision 0061: a planned intent read `planning`
 * beside the stage `awaiting-approval`); re-planning while executing stays in `executing`; `failed`
 * (no plan could be made, the run failed, or it expired before it ran) ends it with the reason;
 * `achieved`, `not-achieved`, `failed` and `cancelled` are final.
 */
export const LIFECYCLE_MOVES: Readonly<Record<LifecycleStatus, readonly LifecycleStatus[]>> = {
  proposed: ['accepted', 'cancelled'],
  accepted: ['planning', 'cancelled'],
  planning: ['planning', 'planned', 'failed', 'cancelled'],
  planned: ['executing', 'failed', 'cancelled'],
  executing: ['executing', 'achieved', 'not-achieved', 'failed', 'cancelled'],
  achieved: [],
  'not-achieved': [],
  failed: [],
  cancelled: [],
};

/** Whether the status ends the intent (achieved, not-achieved, failed, cancelled): nothing moves it on. */
export const isFinal = (status: LifecycleStatus): boolean => LIFECYCLE_MOVES[status].length === 0;

/** Whether the lifecycle allows moving from one status to another, with the reason when not. */
export function canMove(from: LifecycleStatus, to: LifecycleStatus): { ok: true } | { ok: false; reason: string } {
  if (LIFECYCLE_MOVES[from].includes(to)) return { ok: true };
  const next = LIFECYCLE_MOVES[from];
  return {
    ok: false,
    reason: next.length
      ? `an intent in status ${from} cannot move to ${to}; allowed next: ${next.join(', ')}`
      : `an intent in status ${from} is final and cannot move to ${to}; create a new intent instead`,
  };
}

/** What the intent service is still doing for an intent without anyone asking, as its record says. */
export const INTENT_WORK = ['planning', 'starting-run'] as const;
/** One of INTENT_WORK. */
export type IntentWork = (typeof INTENT_WORK)[number];

/**
 * What the intent service still does for this intent on its own, read from the record alone (so a
 * restart finds the same, `IntentService.planWaiting` resumes it and a caller waits on it):
 * `planning` while accepted or planning (its plans being simulated, or to be after a restart),
 * `starting-run` when an autonomous intent of a person has its plan and neither a run nor a
 * refusal since it was planned; undefined when it waits for a person or has ended.
 */
export function workInProgress(r: {
  readonly intent: { readonly lifecycleStatus: LifecycleStatus; readonly policyMode: string };
  readonly plan?: unknown;
  readonly createdBy?: { readonly kind: string };
  readonly events: readonly { readonly kind: string }[];
}): IntentWork | undefined {
  const status = r.intent.lifecycleStatus;
  if (status === 'accepted' || status === 'planning') return 'planning';
  if (status !== 'planned' || r.intent.policyMode !== 'autonomous' || r.createdBy?.kind === 'agent') return undefined;
  const planned = r.events.findLastIndex((e) => e.kind === 'planned');
  return r.events.slice(planned + 1).some((e) => e.kind === 'execution-refused') ? undefined : 'starting-run';
}

/**
 * Where an intent stands as a person reads it, beyond its TMF921 lifecycle status: `planned` is
 * `awaiting-approval` (or `advice-only`, or `starting-run`, or `expired`), `executing` is `acting`, and
 * `not-achieved` is `missed` (a target's value falls short) or `not-yet-readable` (it meets the
 * target by its point estimate, but its 90 % interval does not show it, or it came with none).
 * An intent that waited for approval read `planning` with nothing in progress, which said neither
 * that a person was wanted nor since when.
 */
export const INTENT_STAGES = ['proposed', 'planning', 'awaiting-approval', 'advice-only', 'starting-run', 'acting', 'achieved', 'missed', 'not-yet-readable', 'expired', 'failed', 'cancelled'] as const;
/** One of INTENT_STAGES. */
export type IntentStageName = (typeof INTENT_STAGES)[number];

/** The stage, since when, whom it waits for and one sentence saying it. */
export interface IntentStage {
  readonly stage: IntentStageName;
  /** When it entered the stage (ISO, the world's time: the history's entry that put it there). */
  readonly since: string;
  /** Whom it waits for, when it waits for a person. */
  readonly waitingFor?: string;
  /**
   * A plan awaiting approval: the latest time of people's time (ISO, the wall clock) its approval
   * lets it run, its horizon's end at the world's pace now. At the sandbox's 3,600x "this month"
   * may leave minutes, and a plan approved after them was silently never run.
   */
  readonly approveBy?: string;
  readonly summary: string;
}

/** How the world's time maps to people's: the wall clock now, and the real ms until the intent's horizon ends at the world's pace (Infinity: the world does not move by itself). */
export interface PeopleTime {
  readonly wallNow: number;
  readonly realMsUntilEnd: number;
}

/** A span of people's time in words: "4 min 30 s", "2 h 5 min", "3 d 4 h". */
function peopleSpan(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  return `${Math.floor(h / 24)} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

/** What `intentStage` reads of a record (structurally, so this module needs no store types). */
export interface StagedRecord {
  readonly intent: { readonly id: string; readonly lifecycleStatus: LifecycleStatus; readonly policyMode: string; readonly creationDate: string; readonly budget?: { readonly amount: number } };
  readonly spend?: number;
  readonly plan?: { readonly plan: { readonly id: string } };
  readonly pendingPlan?: { readonly plan: { readonly id: string } };
  readonly createdBy?: { readonly kind: string; readonly id: string };
  readonly lastAssessment?: {
    readonly measuredAt?: string;
    readonly carriedOut?: string;
    readonly expectations: readonly {
      readonly targetName: string;
      readonly targetCondition: string;
      readonly targetValue: number;
      readonly current?: number;
      readonly currentRange?: { readonly low: number; readonly high: number };
      readonly notShown?: string;
      readonly status: string;
    }[];
  };
  readonly failure?: { readonly at: string; readonly reason: string; readonly expiredAt?: string };
  readonly events: readonly { readonly at: string; readonly kind: string; readonly detail: string }[];
}

const round2 = (x: number) => String(Math.round(x * 100) / 100);

/** An expectation's reading in words: "net_value atLeast 0: 120 (90 %: -40 to 310)" or "… not measured". */
function reading(e: NonNullable<StagedRecord['lastAssessment']>['expectations'][number]): string {
  const target = `${e.targetName} ${e.targetCondition} ${e.targetValue}`;
  if (e.current === undefined) return `${target}: not measured`;
  const range = e.currentRange ? ` (90 %: ${round2(e.currentRange.low)} to ${round2(e.currentRange.high)})` : ' (no interval)';
  return `${target}: ${round2(e.current)}${range}`;
}

/**
 * The stage of an intent at `now` (ms, the world's time), read from its record alone (pure): the
 * report, `GET /intents`, the CLI and the console show it.
 */
export function intentStage(r: StagedRecord, now: number, horizonEnd: number, people?: PeopleTime): IntentStage {
  const status = r.intent.lifecycleStatus;
  const lastOf = (...kinds: string[]) => r.events.findLast((e) => kinds.includes(e.kind));
  const since = (...kinds: string[]) => lastOf(...kinds)?.at ?? r.intent.creationDate;
  const ends = new Date(horizonEnd).toISOString();
  const creator = r.createdBy ? `, not ${r.createdBy.id} who created it` : '';
  const approver = `a person with the permission intents:approve${creator}`;
  // How much of the plan its runs carried out, said while it acts and at its end.
  const carried = r.lastAssessment?.carriedOut ? `; carried out: ${r.lastAssessment.carriedOut}` : '';
  switch (status) {
    case 'proposed':
      return { stage: 'proposed', since: since('created'), waitingFor: 'a person with the permission intents:write to accept it', summary: `proposed: waits to be accepted (POST /intents/${r.intent.id}/accept) before it is planned` };
    case 'accepted':
      return { stage: 'planning', since: since('accepted'), summary: 'accepted: its planning by simulation starts' };
    case 'planning':
      return { stage: 'planning', since: since('planning'), summary: 'planning: its candidate plans are being simulated over its segment' };
    case 'planned': {
      if (!r.plan) return { stage: 'failed', since: since('planned'), summary: 'planned, but its record holds no plan: cancel it and make a new intent' };
      const planned = since('planned');
      if (now >= horizonEnd) return { stage: 'expired', since: ends, summary: `expired: its horizon ended ${ends} before plan ${r.plan.plan.id} ran; it will not run` };
      if (r.intent.policyMode === 'advise') return { stage: 'advice-only', since: planned, summary: `planned (advise mode): plan ${r.plan.plan.id} is shown, never run` };
      const work = workInProgress(r);
      if (work === 'starting-run') return { stage: 'starting-run', since: planned, summary: `planned: plan ${r.plan.plan.id} is starting (autonomous mode)` };
      const refused = r.events.slice(r.events.findLastIndex((e) => e.kind === 'planned') + 1).findLast((e) => e.kind === 'execution-refused');
      // Its deadline in people's time, when the world keeps a pace: the approver reads a wall clock, not the world's.
      const by = people && Number.isFinite(people.realMsUntilEnd) ? new Date(people.wallNow + people.realMsUntilEnd).toISOString() : undefined;
      const inPeoplesTime = by ? ` (world time), that is by ${by.slice(0, 16).replace('T', ' ')} UTC in people's time at the world's pace now, ${peopleSpan(people!.realMsUntilEnd)} from now: approved after that, the plan does not run` : '';
      return {
        stage: 'awaiting-approval',
        since: planned,
        waitingFor: approver,
        ...(by ? { approveBy: by } : {}),
        summary: `awaiting approval since ${planned}: plan ${r.plan.plan.id} runs when ${approver} executes it (POST /intents/${r.intent.id}/execute), before its horizon ends ${ends}${inPeoplesTime}${refused ? `; last refused: ${refused.detail}` : ''}`,
      };
    }
    case 'executing': {
      const measured = r.lastAssessment?.measuredAt;
      const readings = r.lastAssessment?.expectations.map(reading).join('; ');
      const pending = r.pendingPlan && r.intent.policyMode !== 'autonomous' ? r.pendingPlan.plan.id : undefined;
      return {
        stage: 'acting',
        since: since('executed'),
        ...(pending ? { waitingFor: `${approver}, to switch to the re-plan ${pending}` } : {}),
        summary: `acting: plan ${r.plan?.plan.id ?? '?'} runs until ${ends}; ${measured ? `measured ${measured}: ${readings}` : 'not measured yet (the first check reads its campaign within 6 hours of the world\'s time)'}${carried}${pending ? `; re-plan ${pending} awaits approval` : ''}`,
      };
    }
    case 'achieved':
      return { stage: 'achieved', since: since('achieved'), summary: `achieved at its horizon: ${r.lastAssessment?.expectations.map(reading).join('; ') ?? ''}${carried}` };
    case 'not-achieved': {
      const es = r.lastAssessment?.expectations ?? [];
      // A value shown short of its target is a miss; one its interval does not settle (none, or one that straddles the target) cannot be read yet.
      const missed = es.filter((e) => e.status !== 'achieved' && !e.notShown);
      const unread = es.filter((e) => e.notShown);
      const at = since('not-achieved');
      const over = r.intent.budget && (r.spend ?? 0) > r.intent.budget.amount ? `spent ${round2(r.spend ?? 0)} of a budget of ${r.intent.budget.amount}` : undefined;
      if (missed.length > 0 || unread.length === 0 || over) return { stage: 'missed', since: at, summary: `missed at its horizon: ${[...(missed.length ? missed : es).map(reading), ...(over ? [over] : [])].join('; ') || 'nothing was measured'}${carried}` };
      return { stage: 'not-yet-readable', since: at, summary: `not yet readable at its horizon: ${unread.map((e) => `${reading(e)}: ${e.notShown!.replace(/^not yet readable: /, '')}`).join('; ')}${carried}` };
    }
    case 'failed':
      if (r.failure?.expiredAt) return { stage: 'expired', since: r.failure.expiredAt, summary: `expired at ${r.failure.expiredAt} before its plan ran (closed ${r.failure.at})` };
      return { stage: 'failed', since: r.failure?.at ?? since('failed', 'plan-failed'), summary: `failed: ${r.failure?.reason ?? lastOf('failed', 'plan-failed')?.detail ?? 'no reason kept'}` };
    case 'cancelled':
      return { stage: 'cancelled', since: since('cancelled'), summary: `cancelled: ${lastOf('cancelled')?.detail ?? ''}` };
  }
}
