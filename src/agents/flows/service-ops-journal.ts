import { DAY_MS } from '../../domain/time.js';
import type { Alarm } from '../../domain/connectors/network-alarms.js';
import type { GuardedStatus } from '../governance/guarded-executor.js';

/**
 * What a service-operations run journals (service-operations-flow.ts), read back by the incidents
 * view and the per-customer reasons: its step ids, its batch keys, and the shapes of what each
 * step keeps. One place for the keys, so the flow that writes them and the views that read them agree.
 */

export const AFFECTED_STEP_ID = 'affected-customers';
/** A later look for customers showing the incident (bad sessions on the alarmed cells, service calls from customers seen there); keys `showing-N`. */
export const SHOWING_STEP_ID = 'showing-customers';
export const OUTAGE_NOTICE_STEP_ID = 'outage-notices';
export const TROUBLE_TICKET_STEP_ID = 'trouble-ticket';
export const COMPENSATION_STEP_ID = 'compensation';
export const RESOLUTION_NOTICE_STEP_ID = 'resolution-notices';
/**
 * Version 6: the severity the run acts on, journaled at each judgement (when it starts to act, and
 * at each escalation it hears), keys `severity-N`: the incidents view reads what the run owed from
 * it, not from the alarm's severity today.
 */
export const SEVERITY_STEP_ID = 'severity';
/**
 * Version 8: before a resolution notice held to the morning, the alarms that say the fault is back
 * (`ServiceOpsDeps.faultBack`) and whom of those to be told they touch; key `fault-back`.
 */
export const FAULT_BACK_STEP_ID = 'fault-back';
/**
 * Version 10: the earlier alarms on the place that may have told this alarm's customers of the outage
 * and not yet that it was over (cleared at most `FAULT_REACH_MS` before its raise); key `fault-before`.
 */
export const FAULT_BEFORE_STEP_ID = 'fault-before';
/**
 * Version 11 (decision 0103, amended): before a round of payments, what other alarms on the place
 * overlapping this one (open at some moment of its life) paid each customer of the round (carried out
 * or waiting for a person), with those alarms; key `${prefix}-paid-on-place`. Journaled: a replay
 * pays as the run decided, whatever those runs paid since.
 */
export const PAID_ON_PLACE_STEP_ID = 'paid-on-place';
/** What overlapping alarms on the place paid a customer for the same outage (`PAID_ON_PLACE_STEP_ID`): in all, and which. */
export interface PaidOnPlace {
  amount: number;
  by: string[];
}
/**
 * How far before a raise an earlier alarm's clear is looked at (version 10): a resolution waits at
 * most for the contact policy's quiet hours (11 h by default), so a day finds every one still owed.
 */
export const FAULT_REACH_MS = DAY_MS;

/**
 * What the fault-back look found (version 8): the alarms open on the place again, and the customers
 * they touch, who are not told it is resolved; version 10, also those a later alarm's run told it
 * is resolved already (`resolvedBy`, with that alarm).
 */
export interface FaultBack {
  alarmIds: string[];
  customers: string[];
  resolvedBy?: Record<string, string>;
  /** Version 11: of `alarmIds`, those raised before the clear (open alongside this alarm, not back after it). */
  overlapping?: string[];
}

/** A judgement of the severity (version 6): the severity acted on, since when, and when the outage counts from for compensation. */
export interface SeverityJudged {
  severity: Alarm['perceivedSeverity'];
  fromMs: number;
  outageFromMs: number;
}

/**
 * The customers a run found affected, from its journaled steps: those found at the alarm, then
 * those found showing the incident while it lasted, each once, in the order found.
 */
export function affectedOfRun(steps: readonly { key: string; status: string; output?: string | null }[]): string[] {
  const out = new Set<string>();
  const read = (s: { output?: string | null } | undefined) => (s?.output ? (JSON.parse(s.output) as string[]) : []);
  for (const c of read(steps.find((s) => s.key === AFFECTED_STEP_ID && s.status === 'succeeded'))) out.add(c);
  const looks = steps.filter((s) => /^showing-\d+$/.test(s.key) && s.status === 'succeeded').sort((a, b) => Number(a.key.slice(8)) - Number(b.key.slice(8)));
  for (const l of looks) for (const c of read(l)) out.add(c);
  return [...out];
}

/** One batch of guarded requests: who went through, who is waiting for approval, who not. */
export interface BatchOutcome {
  executed: string[];
  pending: string[];
  refused: number;
  failed: number;
  /** Asked already under the incident by another of its alarms, otherwise (another place or severity): not asked again. */
  askedBefore?: number;
  /** Outage notices not asked because the alarm had cleared when their turn came (`clearedOf`): nobody is told of an outage that is over. */
  over?: number;
  /**
   * Each customer not carried out, with what became of their request and why (the policy's reason
   * for a refusal or an approval, the back end's for a failure): the page says it per customer.
   * Absent in batches journaled before it was kept. `approved` is never journaled: the incidents view
   * reads a request the run left waiting that a person approved since and that is not carried out yet
   * so (`withDecisions`), committed and not paid.
   */
  why?: Record<string, { status: GuardedStatus | 'asked-before' | 'approved' | 'over' | 'down'; reason: string }>;
  /**
   * A compensation batch's credit to each of its customers (the payment, or the difference after an
   * escalation): what the incidents view totals per incident. Absent in other batches, and in
   * compensation batches journaled before it was kept (the view reads the settings then).
   */
  amount?: number;
  /**
   * Version 11, a payment batch: the credit of each customer paid less than `amount` (the difference,
   * what an overlapping alarm on the place paid them for the same outage taken off; decision 0103,
   * amended). Their `why` is absent when carried out; a customer whom such an alarm paid in full is
   * not asked (`why` asked-before, naming it).
   */
  amounts?: Record<string, number>;
  /**
   * Version 10, an outage notice batch: its customers not told, as an earlier alarm on the place told
   * them of the outage and not yet that it was over (in `why` as asked-before, naming it); the run
   * owes them its resolution, as if told. Each with the alarm that told them.
   */
  toldBefore?: Record<string, string>;
  /**
   * Version 11, a resolution batch: its customers not told it is resolved, as another alarm on the
   * place touching them was open when their notice was due (in `why` as down, naming it), each with
   * that alarm; its run tells them at its clear.
   */
  down?: Record<string, string>;
  /**
   * A batch of an alarm that goes on an incident (asked under the incident's request ids): its
   * customers asked under this alarm's own id instead, the incident's being held by a failed ask
   * of another of its alarms (empty when none was). Where the incidents view asks what became of a
   * request left waiting for a person. Absent in other batches, and in batches journaled before it
   * was kept (the view then looks under both ids).
   */
  underAlarm?: string[];
}
/**
 * The keys of a run's batches (`${prefix}-N`, the prefix the flow gives `runBatches`): outage notices
 * at the alarm (`notice-first-N`, `notice-N`) and to those found showing it later
 * (`notice-showing-R-N`); the payments (`compensation-N`, `compensation-later-N`); the top-ups after
 * an escalation (`compensation-uplift-SEVERITY-PAIDBEFORE-N`, version 6); the resolutions (`resolution-N`).
 */
export const BATCH_KEYS = {
  notice: /^notice(-first|-showing-\d+)?-\d+$/,
  /** Of the notices, those at the alarm (not to customers found showing it later). */
  noticeAtAlarm: /^notice(-first)?-\d+$/,
  compensation: /^compensation(-later)?-\d+$/,
  uplift: /^compensation-uplift-([a-z]+)-(\d+(?:\.\d+)?)-\d+$/,
  resolution: /^resolution-\d+$/,
} as const;
