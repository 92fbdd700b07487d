import { cents, isPlanChangeTerms, type PlanChangeTerms } from '../../decisioning/action-pricing.js';
import { systemClock, type Clock } from '../../domain/clock.js';
import { KEEP_REFUSED_MS, submitUntilTaken, type EventSink, type RecordOutcome } from '../../domain/event-sink.js';
import type { ActionStatus, TwinEvent } from '../../domain/events.js';
import { fnv1a32 } from '../../domain/string-hash.js';
import type { ActionRequest, ExecuteVerdict } from '../../decisioning/policy/index.js';
import type { ActionExecutor, ExecutionOutcome } from './guarded-executor.js';
import { onAcceptancePart, paidAtPresentation, presentsOffer } from './offer-settlement.js';

/**
 * What the operator did to a customer, on the customer's own timeline: every request the guarded
 * executor carried out on a customer becomes an `action` event once the back end answered
 * (docs/events.md), recorded against its request and decision. Offers are `presented` (the
 * customer's answer follows as an `offer` event), everything else `delivered`; a final refusal
 * is `failed`, a transient one (retried with the same request id) is not reported.
 */

/** Source of the events Twinloop writes about its own actions and their outcomes. */
export const TWINLOOP_SOURCE = 'twinloop';
/** Reports remembered to write each once (a few hours of a busy operator's actions). */
const REPORTED_MEMORY = 20_000;
/**
 * How long a report is sent again while the intake answers "try again later" (its queue full, the
 * store locked or cut off) before the action is answered without it: generous, since an action
 * carried out and missing from the customer's timeline is wrong for good, and the intake's
 * refusals of this kind last seconds (a lock's wait is 5 s).
 */
export const REPORT_PATIENCE_MS = 120_000;
/** Longest event id (the envelope's limit). */
const MAX_EVENT_ID = 128;

/**
 * An event id from parts, within the envelope's limit: a request id too long for it is cut and
 * completed with a hash of the whole, so distinct requests keep distinct ids.
 */
export function eventIdOf(prefix: string, requestId: string, suffix = ''): string {
  const whole = `${prefix}:${requestId}${suffix ? `:${suffix}` : ''}`;
  if (whole.length <= MAX_EVENT_ID) return whole;
  const hash = fnv1a32(whole).toString(16).padStart(8, '0');
  const room = MAX_EVENT_ID - prefix.length - (suffix ? suffix.length + 1 : 0) - hash.length - 3;
  return `${prefix}:${requestId.slice(0, room)}~${hash}${suffix ? `:${suffix}` : ''}`;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' && v.length <= MAX_EVENT_ID ? v : undefined);


/** A plan change's terms as the event holds them: exactly its five fields (the event's data is strict). */
const planChangeOf = (t: PlanChangeTerms) => ({ fromPlanId: t.fromPlanId, fromMonthlyPrice: t.fromMonthlyPrice, toPlanId: t.toPlanId, toMonthlyPrice: t.toMonthlyPrice, monthlyDifference: t.monthlyDifference });

/**
 * The `action` event of an executed request (pure), or undefined when there is none to write: no
 * customer, or a failure the caller will retry. `at` is the event time (ms).
 */
export function actionEventOf(request: ActionRequest, verdict: Pick<ExecuteVerdict, 'cost'>, outcome: ExecutionOutcome, at: number): TwinEvent | undefined {
  if (!request.customerId) return undefined;
  if (!outcome.ok && outcome.detail?.retryable === true) return undefined;
  const status: ActionStatus = !outcome.ok ? 'failed' : presentsOffer(request) ? 'presented' : 'delivered';
  const p = request.params;
  const detail = outcome.detail ?? {};
  const ref = str(detail.deliveryId) ?? str(detail.adjustmentId) ?? str(detail.notificationId) ?? str(detail.ticketId) ?? str(detail.orderId);
  // The message it went out as: the back end's answer, else what the request says (an offer sent by SMS).
  const notificationChannel = typeof detail.channel === 'string' ? detail.channel : str(p.notificationChannel);
  const data = {
    requestId: request.id,
    ...(str(p.decisionId) ? { decisionId: str(p.decisionId) } : {}),
    actionClass: request.actionClass,
    channel: request.channel,
    status,
    ...(outcome.ok ? {} : { reason: outcome.error.slice(0, 200) }),
    ...(str(p.offerId) ? { offerId: str(p.offerId) } : {}),
    // What was moved at presentation: an offer's acceptance-paid part is booked by the answer, if accepted.
    ...(verdict.cost > 0 ? { amount: outcome.ok ? paidAtPresentation(request, verdict.cost, outcome.actualCost) : cents(verdict.cost) } : {}),
    // The part booked only if the customer accepts (offer-settlement.ts): else the timeline read "presented, 0.00" for a discount.
    ...(status === 'presented' && onAcceptancePart(request) > 0 ? { onAcceptance: onAcceptancePart(request) } : {}),
    ...(request.discountPct !== undefined ? { discountPct: request.discountPct } : {}),
    ...(notificationChannel && notificationChannel.length <= 32 ? { notificationChannel } : {}),
    ...(typeof p.purpose === 'string' && p.purpose.length <= 32 ? { purpose: p.purpose } : {}),
    ...(str(p.campaignId) ? { campaignId: str(p.campaignId) } : {}),
    // A plan change says which plans and prices, as the policy checked them (the timeline read "plan_change delivered" alone).
    ...(isPlanChangeTerms(p.planChange) ? { planChange: planChangeOf(p.planChange) } : {}),
    ...(ref ? { ref } : {}),
  };
  return { id: eventIdOf('action', request.id, status), kind: 'action', customerId: request.customerId, time: new Date(at).toISOString(), source: TWINLOOP_SOURCE, v: 1, data };
}

/** How often (wall clock) reports the intake refused as dated ahead of its clock are sent again while nothing else is carried out. */
export const PENDING_REPORT_EVERY_MS = 5_000;

/** An executor that writes what it carried out to the customers' timelines, and says which reports the intake has not taken yet. */
export interface ReportingExecutor extends ActionExecutor {
  /**
   * The reports the intake refused as dated ahead of its clock (the world's clock ahead of the
   * intake's, as after a restart whose world resumed behind the last run's): actions carried out and
   * not on their customers' timelines yet, kept and sent again until it takes them.
   */
  pendingReports(): number;
  /** Sends the kept reports again now; resolves with how many are still pending. */
  sendPending(): Promise<number>;
}

/**
 * Wraps an executor so that every action it carries out on a customer is written to the twins'
 * intake as an `action` event (after the back end answered, before the caller hears of it). While
 * the intake answers "try again later" the report is sent again (up to `REPORT_PATIENCE_MS`): a
 * report given up was an action carried out and never on the customer's timeline. A report the
 * intake refuses as dated ahead of its clock is kept as pending (`pendingReports`) and sent again
 * with each later action and every `PENDING_REPORT_EVERY_MS` until taken, for at most
 * `KEEP_REFUSED_MS` (wall clock), then written off saying so: before, it was dropped, and the
 * action was missing from the timeline for good. The action stands whatever the intake answers: a
 * refused report, or one still not written, is told to `log`. Only a report the intake answered
 * for good is remembered as made, so the same request carried out again (a workflow step re-run, a
 * repeat after a crash before the caller's answer was kept) reports it.
 */
export function reportingExecutor(
  executor: ActionExecutor,
  o: {
    sink: EventSink;
    clock: Clock;
    /** Real time, that a refused report is kept for (`KEEP_REFUSED_MS`) whatever the world's pace; default the system clock. */
    wallClock?: Clock;
    log?: (line: string) => void;
    patienceMs?: number;
    sleep?: (ms: number) => Promise<void>;
    pendingEveryMs?: number;
  },
): ReportingExecutor {
  const wall = o.wallClock ?? systemClock;
  // A request carried out again with the same id (a workflow step re-run) is answered the same by
  // the back end's idempotency: it is reported once per status.
  const reported = new Set<string>();
  /** Reports refused as dated ahead of the intake's clock, by event id, with since when (wall clock). */
  const pending = new Map<string, { event: TwinEvent; requestId: string; since: number }>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const remember = (id: string) => {
    reported.add(id);
    if (reported.size > REPORTED_MEMORY) reported.delete(reported.values().next().value!);
  };
  /** What the intake answered each report: taken, kept as pending (ahead of its clock), or refused for good. */
  const settle = (reports: readonly { event: TwinEvent; requestId: string }[], answers: readonly RecordOutcome[]) => {
    reports.forEach(({ event, requestId }, i) => {
      const a = answers[i];
      if (a?.status !== 'rejected') {
        pending.delete(event.id);
        return remember(event.id);
      }
      const since = a.retryable ? (pending.get(event.id)?.since ?? wall.now()) : undefined;
      if (since !== undefined && wall.now() - since < KEEP_REFUSED_MS) {
        if (!pending.has(event.id)) o.log?.(`actions: the report of ${requestId} was refused: ${a.reason}; kept as pending, sent again until the intake takes it`);
        pending.set(event.id, { event, requestId, since });
        return;
      }
      pending.delete(event.id);
      remember(event.id);
      o.log?.(`actions: the report of ${requestId} was refused: ${a.reason ?? 'no reason given'}${since !== undefined ? `; refused for ${KEEP_REFUSED_MS / 60_000} min, written off` : ''}`);
    });
  };
  const submit = async (reports: readonly { event: TwinEvent; requestId: string }[]) => {
    let retried = false;
    const answers = await submitUntilTaken(o.sink, reports.map((r) => r.event), {
      patienceMs: o.patienceMs ?? REPORT_PATIENCE_MS,
      sleep: o.sleep,
      onRetry: (err) => {
        if (!retried) o.log?.(`actions: the report of ${reports[0].requestId}${reports.length > 1 ? ` and ${reports.length - 1} more` : ''} waits for the intake (${err.message}); sending it again`);
        retried = true;
      },
    });
    settle(reports, answers);
  };
  const schedule = () => {
    const every = o.pendingEveryMs ?? PENDING_REPORT_EVERY_MS;
    if (timer !== undefined || pending.size === 0 || every <= 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      void sendPending().finally(schedule);
    }, every);
    timer.unref?.();
  };
  let sending: Promise<number> | undefined;
  /** One resend at a time: the timer and a later action do not send the same reports twice at once. */
  const sendPending = (): Promise<number> =>
    (sending ??= (async () => {
      try {
        if (pending.size > 0) await submit([...pending.values()]);
      } catch (err) {
        o.log?.(`actions: ${pending.size} pending reports were not written: ${(err as Error).message}; kept`);
      } finally {
        sending = undefined;
      }
      return pending.size;
    })());
  const wrapped = async (request: ActionRequest, verdict: ExecuteVerdict) => {
    const outcome = await executor(request, verdict);
    const event = actionEventOf(request, verdict, outcome, o.clock.now());
    if (event && !reported.has(event.id) && !pending.has(event.id)) {
      try {
        await submit([{ event, requestId: request.id }]);
      } catch (err) {
        o.log?.(`actions: the report of ${request.id} was not written: ${(err as Error).message}`);
      }
    }
    // Reports kept as pending go again with each later action, as the intake's clock moves on.
    if (pending.size > 0 && !(event && pending.has(event.id) && pending.size === 1)) await sendPending();
    schedule();
    return outcome;
  };
  return Object.assign(wrapped, { pendingReports: () => pending.size, sendPending });
}
