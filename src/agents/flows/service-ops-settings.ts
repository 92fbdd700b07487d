import type { Alarm } from '../../domain/connectors/network-alarms.js';
import type { NotificationChannel } from '../../domain/connectors/notifications.js';
import { QUIET_SEVERITIES } from './service-ops-signals.js';
import type { ServiceOpsPolicy } from './service-ops-policy.js';
import { CONFIRM_SEVERITIES } from './suspected-incidents.js';

/**
 * The outage settings in force, as one answer: the service-operations flow's policy (who is
 * found, when customers are told and compensated, how much), the severities that start a flow,
 * and the anomaly detector's quiet spell and chain reach that decide when a confirmed incident is
 * over or back (decision 0057). `GET /service-operations/incidents` answers it, so the console
 * and the CLI say the values the server acts on, never a copy of them.
 */
export interface ServiceOpsSettings {
  /** Severities whose alarms start a flow that tells the affected customers (and compensates them where `compensation` has an amount). */
  actingSeverities: Alarm['perceivedSeverity'][];
  /** Severities whose alarms start a flow that only watches: it lists the affected customers, tells and pays nobody, and acts if the alarm escalates to an acting severity (decision 0072). */
  watchSeverities: Alarm['perceivedSeverity'][];
  /** Credit per customer by severity, for an outage lasting past `compensateAfterMs`; a severity not listed is never compensated. */
  compensation: { severity: Alarm['perceivedSeverity']; amount: number }[];
  compensateAfterMs: number;
  /** How long a flow waits for the clear before it leaves the alarm to people. */
  maxOpenMs: number;
  notificationChannel: NotificationChannel;
  /** Customers not seen on the alarmed cells for this long before the raise are not counted affected. */
  presenceHorizonMs: number;
  /** The share of their usage on the alarmed cells from which a customer who lives elsewhere counts affected. */
  minPresenceShare: number;
  /** While the alarm is younger than `showingForMs`, every `showingEveryMs` the flow looks for customers showing it, from `showingLookbackMs` before the raise. */
  showingEveryMs: number;
  showingLookbackMs: number;
  showingForMs: number;
  /** The detector's quiet spell: a suspicion this long without a signal is over, and a fault back within it of a clear is the same incident. */
  quietSpellMs: number;
  /** How far back from an alarm's raise a chain of one incident's alarms reaches. */
  chainReachMs: number;
  /** The severities a person confirming a suspicion may give its alarm. */
  confirmSeverities: Alarm['perceivedSeverity'][];
}

/** Every severity a raised alarm can have, worst first (TMF642's perceivedSeverity, `cleared` aside). */
const RAISED_SEVERITIES: readonly Alarm['perceivedSeverity'][] = ['critical', 'major', 'minor', 'warning', 'indeterminate'];

/** The settings of a server whose flow runs on `policy`, whose detector's quiet spell is `quietSpellMs` and whose chains reach `chainReachMs`. */
export function serviceOpsSettings(policy: ServiceOpsPolicy, o: { quietSpellMs: number; chainReachMs: number }): ServiceOpsSettings {
  return {
    actingSeverities: RAISED_SEVERITIES.filter((s) => !QUIET_SEVERITIES.includes(s)),
    watchSeverities: [...QUIET_SEVERITIES],
    compensation: RAISED_SEVERITIES.flatMap((s) => ((policy.compensation[s] ?? 0) > 0 ? [{ severity: s, amount: policy.compensation[s]! }] : [])),
    compensateAfterMs: policy.compensateAfterMs,
    maxOpenMs: policy.maxOpenMs,
    notificationChannel: policy.notificationChannel,
    presenceHorizonMs: policy.presenceHorizonMs,
    minPresenceShare: policy.minPresenceShare,
    showingEveryMs: policy.showingEveryMs,
    showingLookbackMs: policy.showingLookbackMs,
    showingForMs: policy.showingForMs,
    quietSpellMs: o.quietSpellMs,
    chainReachMs: o.chainReachMs,
    confirmSeverities: [...CONFIRM_SEVERITIES],
  };
}
