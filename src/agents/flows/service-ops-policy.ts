import type { Alarm } from '../../domain/connectors/network-alarms.js';
import type { NotificationChannel } from '../../domain/connectors/notifications.js';
import { DAY_MS } from '../../domain/time.js';
import { DEFAULT_MIN_PRESENCE_SHARE } from './affected-customers.js';

/** How the service-operations flow treats an alarm, and its documented defaults (service-operations-flow.ts). */

/** How the flow treats an alarm; every field has a documented default (DEFAULT_SERVICE_OPS_POLICY). */
export interface ServiceOpsPolicy {
  /** Customers in the first notice batch: the highest-value ones, out before the rest is processed. */
  firstBatch: number;
  /** Customers per later batch (one journaled step each). */
  batchSize: number;
  /** Parallel guarded requests inside a batch. */
  concurrency: number;
  /** Customers not seen on the cell for this long before the alarm are left out (customers move). */
  presenceHorizonMs: number;
  /**
   * A customer counts as affected where they are most (the alarmed cells carry at least as many of
   * their usage records as any other cell of theirs: their home), or where they are at least this
   * share of the time (the chance they are there when it fails). Lower finds more of the
   * passers-by (who are mostly elsewhere when it fails) and tells more people who were not touched.
   */
  minPresenceShare: number;
  /** Compensation only once an alarm has lasted longer than this. */
  compensateAfterMs: number;
  /** Credit per customer by alarm severity; a severity absent here is never compensated. */
  compensation: Partial<Record<Alarm['perceivedSeverity'], number>>;
  /** How long to wait for the clear before closing the flow without a resolution notice. */
  maxOpenMs: number;
  /** The channel of the notices. */
  notificationChannel: NotificationChannel;
  /**
   * While the alarm is younger than `showingForMs`, every `showingEveryMs` the flow looks for
   * customers showing the incident whom the twins' records did not place there (a bad session on
   * the alarmed cells, or a service call from someone seen on them), from `showingLookbackMs`
   * before the raise (a degradation hurts before its thresholds raise the alarm), and tells them
   * too. Only with evidence in the flow's dependencies.
   */
  showingEveryMs: number;
  showingLookbackMs: number;
  showingForMs: number;
}

/**
 * Defaults: a first batch of 5 gets the first notice out in one guarded round trip; batches of 50
 * keep the journal at ~1 step per 50 customers; compensation after 4 h (a half working day
 * without service), 10 for critical and 5 for major alarms (within the default policy's
 * autonomous limit of 10 per compensation); a week before an unresolved alarm is left to humans.
 */
export const DEFAULT_SERVICE_OPS_POLICY: ServiceOpsPolicy = {
  firstBatch: 5,
  batchSize: 50,
  concurrency: 16,
  presenceHorizonMs: 30 * DAY_MS,
  // Home customers in (wherever else they go), and anyone there more often than not; occasional visitors out.
  minPresenceShare: DEFAULT_MIN_PRESENCE_SHARE,
  compensateAfterMs: 4 * 3_600_000,
  compensation: { critical: 10, major: 5 },
  maxOpenMs: 7 * DAY_MS,
  notificationChannel: 'sms',
  // A quarter of an hour: customers call about an incident within the hour (docs/sandbox.md's
  // call-in delay is about half an hour), so a look every 15 minutes tells most of them first.
  showingEveryMs: 15 * 60_000,
  // An hour: alarms of degradations come about 45 minutes after customers start to feel them.
  showingLookbackMs: 3_600_000,
  // A day: most incidents clear within hours; a day of looks is at most 96 journaled looks.
  showingForMs: DAY_MS,
};
