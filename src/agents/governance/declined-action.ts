import type { Clock } from '../../domain/clock.js';
import type { EventSink } from '../../domain/event-sink.js';
import type { Channel, TwinEvent } from '../../domain/events.js';
import { TwinloopError } from '../../domain/errors.js';
import type { Actor } from '../../decisioning/policy/index.js';
import { eventIdOf, TWINLOOP_SOURCE } from './action-report.js';
import type { AuditTrail } from './audit-trail.js';

/**
 * A recommended action a person in contact with the customer chose not to carry out, and why
 * (the agent desktop's Decline). Nothing reaches the back ends; the refusal is kept twice: on the
 * customer's timeline as an `action` event with status `declined` (the reason and who declined),
 * and in the audit trail as an `action.declined` entry. The decision it belonged to then counts
 * as not acted on (the decision service reads the event).
 */
export interface DeclinedAction {
  /** The request id the action would have carried (`<decisionId>:<actionId>`). */
  readonly requestId: string;
  readonly decisionId: string;
  readonly customerId: string;
  readonly actionClass: string;
  readonly channel: Channel;
  /** The catalogue offering recommended. */
  readonly offerId: string;
  readonly by: Actor;
  /** Why the person declined it, in their words. */
  readonly reason: string;
}

/** Longest reason kept (the event's `reason` field). */
export const MAX_DECLINE_REASON = 200;

/** The `action` event of a declined action (pure); `at` is the event time (ms). */
export function declinedEventOf(d: DeclinedAction, at: number): TwinEvent {
  return {
    id: eventIdOf('action', d.requestId, 'declined'),
    kind: 'action',
    customerId: d.customerId,
    time: new Date(at).toISOString(),
    source: TWINLOOP_SOURCE,
    v: 1,
    data: { requestId: d.requestId, decisionId: d.decisionId, actionClass: d.actionClass, channel: d.channel, status: 'declined', reason: d.reason.slice(0, MAX_DECLINE_REASON), offerId: d.offerId, by: d.by.id.slice(0, 128) },
  };
}

/** What recording a decline wrote. */
export interface DeclineRecorded {
  readonly eventId: string;
  readonly auditSeq: number;
  /** The event time of the decline (ISO), on the timeline's clock. */
  readonly at: string;
}

/**
 * Records a decline: the audit entry first (the trail is the record of who decided what), then
 * the timeline's event through the intake. A refused event is an error naming the intake's reason
 * (the person sees it; the audit entry stays, as the decision was made).
 */
export async function recordDecline(o: { sink: EventSink; audit: Pick<AuditTrail, 'record'>; clock: Clock }, d: DeclinedAction): Promise<DeclineRecorded> {
  const audited = await o.audit.record({
    type: 'action.declined',
    requestId: d.requestId,
    actor: d.by,
    action: { actionClass: d.actionClass, channel: d.channel, customerId: d.customerId, cost: 0, params: { offerId: d.offerId, decisionId: d.decisionId } },
    why: { summary: d.reason },
    outcome: { status: 'declined' },
  });
  const event = declinedEventOf(d, o.clock.now());
  const [answer] = await o.sink.submit([event]);
  if (answer?.status === 'rejected') throw new TwinloopError('BAD_INPUT', `the decline was audited (entry ${audited.seq}) but the timeline refused its event: ${answer.reason ?? 'no reason given'}`);
  return { eventId: event.id, auditSeq: audited.seq, at: event.time };
}
