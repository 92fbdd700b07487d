import { z } from 'zod';
import { ok, transient, type ConnectorResult } from '../../domain/connectors/connector-result.js';
import { alarmClearedWithin, alarmOpenAt, alarmOpenDuring, cellsOfAlarmedObject, type Alarm } from '../../domain/connectors/network-alarms.js';
import { TwinloopError } from '../../domain/errors.js';
import { deliveryChannelOf } from '../../decisioning/action-contact.js';
import type { ActionRequestInput } from '../../decisioning/policy/index.js';
import { FINISHED_STATUSES } from '../../store/workflow-journal.js';
import type { GuardedExecutor, GuardedStatus } from '../governance/guarded-executor.js';
import type { StepDefinition, WorkflowContext, WorkflowDefinition, WorkflowEngine } from '../workflows/index.js';
import { rankAffected, type CellLookup, type IncidentEvidence, type ScoreLookup } from './affected-customers.js';
import { DEFAULT_SERVICE_OPS_POLICY, type ServiceOpsPolicy } from './service-ops-policy.js';
import { ACTING_ORDER, ALARM_CLEARED_LATE_SIGNAL, ALARM_CLEARED_SIGNAL, ALARM_WATCH_ENDED_SIGNAL, alarmSeveritySignal, servesCustomers, type AlarmCleared, type AlarmEscalated } from './service-ops-signals.js';
import {
  AFFECTED_STEP_ID,
  COMPENSATION_STEP_ID,
  FAULT_BACK_STEP_ID,
  FAULT_BEFORE_STEP_ID,
  FAULT_REACH_MS,
  OUTAGE_NOTICE_STEP_ID,
  PAID_ON_PLACE_STEP_ID,
  RESOLUTION_NOTICE_STEP_ID,
  SEVERITY_STEP_ID,
  SHOWING_STEP_ID,
  TROUBLE_TICKET_STEP_ID,
  type BatchOutcome,
  type FaultBack,
  type PaidOnPlace,
  type SeverityJudged,
} from './service-ops-journal.js';

/**
 * Service operations: a network alarm → the customers it touches (from the twins' cells, active
 * now, ranked by presence and value) → proactive service notices, highest value first, in batches
 * → one trouble ticket per alarm → compensation for severe alarms that last past a threshold →
 * when the alarm clears (signal from the alarm watcher), a resolution notice to those notified.
 * Every action goes through the guarded executor; each customer's request id (the connector's
 * idempotency key) is `${alarmId}:${purpose}:${customerId}`, so a re-run batch never acts twice;
 * an alarm that continues a confirmed suspected incident uses that incident's alarm id there.
 */

export const SERVICE_OPS_WORKFLOW_ID = 'service-operations';
/**
 * Version 11: one outage a customer until every alarm on the place is clear (decision 0103). Alarms
 * overlapping on the place are one fault: an outage notice is not sent to whom another alarm there
 * (open, or cleared within a day) told of the outage and not yet of its end, and a resolution is not
 * sent to whom another open alarm there touches and whose run will tell them at its clear. Another alarm's
 * notices are read under the id its run asked them under (`noticesIdOf`: version 10 read a run that
 * went on an incident under its own id, and told its customers "outage" again), and the batches read
 * the place when they ask (`onPlace`), not once at the raise. A top-up's evidence no longer carries
 * `paidBeforeState` (from version 10 on: nothing read it).
 * Version 10: one notice a customer a fault, and a top-up owed with its payment (decision 0093,
 * amended). A fault back on the place is not told as an outage to a customer an earlier alarm there
 * told of the outage and not yet that it was over (their resolution held to the morning, or kept from
 * them as the fault was back): they heard "outage" and nothing since, so this run owes them only its
 * resolution (`toldBefore`). A resolution is checked against the place whenever it goes, at once too,
 * not only when held to the morning: not told while an alarm raised there since the clear is open, nor
 * when a later alarm's run told them it is resolved already. A top-up names the payments it adds to
 * (`params.addsTo`), and the policy judges it with them as they stand then (one rejected: nothing);
 * its summary no longer says how the earlier payment stood when the run asked (its approver reads it
 * live).
 * Version 9 says in a top-up's summary whether the payment it adds to was carried out or was waiting
 * for a person when the run asked it (version 8 said "asked" for both); the evidence says it in every
 * version (`paidBeforeState`), as the approver of a top-up decides on it. Both are what the run heard,
 * not a live reading: a person may have decided the earlier payment since.
 * Version 8 keeps a resolution notice held to the morning from those the fault is back for: an alarm
 * on the same place raised after the clear and still open then (`fault-back`), whose own run tells
 * them (they were told "resolved" while it was down); and pays the difference after an escalation to
 * those whose payment at the lower severity waits for a person too, not only to those paid (they
 * ended up with the lower amount once it was approved).
 * Version 7 holds its notices to the contact policy's hours (decision 0088): an outage notice due
 * in quiet hours waits for their end, watching (customers showing the incident, awake and using the
 * service, are told at once), and is not sent if the outage cleared meanwhile; a resolution notice
 * due in quiet hours waits for their end. The trouble ticket goes first, whatever the hour.
 * Version 6 hears every escalation: a watch lasts while the alarm is raised (it ended after a week,
 * and an escalation after that was never acted on), and a run that acts re-judges what is owed when
 * its alarm is made worse (its later notices' words, the compensation's amount, the difference to
 * those paid less), journaling each judgement (`severity-N`; decision 0072, amended).
 * Version 5 compensates every customer the outage touched, told or not (before: those told), and
 * keeps why each customer's request was not carried out (`BatchOutcome.why`). Version 4 watches an alarm of a quiet severity (a warning) instead of leaving it unseen: it finds
 * and keeps finding the affected customers, tells and pays nobody, and acts as on a raise if the
 * alarm escalates (decision 0072). Version 3 tells no one of an outage that is already over: before each round of outage notices
 * it looks whether the clear came (a run started late, or slowed behind a busy engine, told
 * customers of an outage hours after it ended, then of its end). Version 2 looks again while the
 * alarm is young for customers showing the incident (below); versions 1 (found once, at the
 * alarm), 2 to 4 stay registered for runs started before them.
 */
export const SERVICE_OPS_WORKFLOW_VERSION = 11;
/** The notification templates of the notices: an outage, the same fault back after its clear, its end. */
export const NOTICE_TEMPLATES = { outage: 'network-incident-notice', back: 'network-incident-back', resolved: 'network-incident-resolved' } as const;

/** The flow's dependencies, passed explicitly. */
export interface ServiceOpsDeps {
  guarded: () => GuardedExecutor;
  cells: CellLookup;
  scores: ScoreLookup;
  /** Who is showing the incident; without it the flow finds its customers once, at the alarm. */
  evidence?: IncidentEvidence;
  policy?: Partial<ServiceOpsPolicy>;
  /**
   * The first time at or after `now` when the contact policy lets the operator reach out (its quiet
   * hours' end, or `now`): where the notices wait in quiet hours (version 7). Without it they go at
   * any hour.
   */
  contactAllowedAt?: (now: number) => number;
  /**
   * The other alarms on the alarm's place (the same cell or site, a cell of its site, the site of its
   * cell) that serve customers, raised or cleared (`alarmsOnPlace` in suspected-incidents.ts over the
   * inbox): whether the fault is back after the clear when a resolution is due (version 8), and
   * which earlier alarm there told a customer of the outage and not yet of its end (version 10).
   * Without it every resolution goes to everyone told, and every outage notice is sent.
   */
  alarmsOnPlace?: (alarm: Alarm) => Alarm[];
  /**
   * The id another alarm's run asks its notices under (`noticesIdOf` its input: the incident it goes
   * on, else its own id; the server reads the run from the engine): version 11 reads that alarm's
   * outage and resolution notices by it (one key for one fault), and by the alarm's own id (where
   * the incident's was held by a failed ask). Without it: the alarm's own id alone.
   */
  noticesIdOf?: (alarmId: string) => Promise<string>;
  /**
   * Whether another alarm's run will tell a customer "resolved" at its clear, read from the engine
   * (`resolvesAtClearOfRun`). Version 11 keeps a resolution from a customer another open alarm touches
   * only when it will. Without it: whenever that alarm touches them. `cleared`: that alarm has
   * cleared, so only those its outage notice reached or it counted told (it tells nobody else now).
   */
  resolvesAtClear?: (alarmId: string, o?: { cleared?: boolean }) => Promise<(customerId: string) => boolean>;
  /**
   * What another alarm's run paid each customer (carried out or waiting for a person, payments and
   * top-ups), read from the engine (`compensatedByRun`). Version 11 pays a customer once for alarms
   * overlapping on the place (decision 0103, amended): what they paid is taken off. Without it:
   * each alarm pays its own.
   */
  compensatedBy?: (alarmId: string) => Promise<(customerId: string) => number>;
  /**
   * When the operator heard that the alarm cleared (ISO, the alarm inbox's), or undefined while it is
   * raised: read just before each outage notice is asked (version 3 on), so a notice whose batch
   * goes out after the clear is not sent, whether or not the run has heard the clear yet (at 3,600x
   * a batch slowed by load went out an hour of the world's time after a 3-minute fault had cleared).
   */
  clearedOf?: (alarmId: string) => string | undefined;
}

/** Whole-batch retries when every request failed: enough to ride out a back-end blip, not a long outage. */
const BATCH_ATTEMPTS = 3;
/** A batch's customers it did not ask (held back, answered by another alarm's ask, the outage over): not counted when judging whether every ask failed. */
const NOT_ASKED: ReadonlySet<string> = new Set(['down', 'asked-before', 'over']);

const alarmSchema = z.object({
  id: z.string().min(1).max(200),
  alarmType: z.enum(['communicationsAlarm', 'qualityOfServiceAlarm', 'processingErrorAlarm', 'equipmentAlarm', 'environmentalAlarm']),
  perceivedSeverity: z.enum(['critical', 'major', 'minor', 'warning', 'indeterminate', 'cleared']),
  probableCause: z.string().max(200),
  alarmedObject: z.object({ id: z.string().min(1).max(200), '@referredType': z.enum(['Cell', 'Site']) }),
  raisedTime: z.iso.datetime({ offset: true }),
  clearedTime: z.iso.datetime({ offset: true }).optional(),
  state: z.enum(['raised', 'updated', 'cleared']),
});

/** The flow's input: the alarm as the feed reported it when the flow started. */
export interface ServiceOpsInput {
  alarm: Alarm;
  /**
   * The alarm of the incident this one continues (a confirmed suspected incident on the same cell
   * or site, src/agents/flows/suspected-incidents.ts): customers' notices and compensation carry
   * its id in their request ids, so whoever it already told or paid is not told or paid again.
   */
  continues?: string;
  /**
   * When the fault is back (`continues` reaches an alarm that cleared, and customers were told it
   * was resolved): the alarm whose request ids its notices are asked under, the first of the chain
   * after that clear (this alarm itself, or the open confirmed alarm it goes on). Its customers are
   * told the fault is back (those `continues`' outage notice reached; anyone else of an outage) and,
   * at its clear, resolved again; compensation stays under `continues`.
   * Absent: the notices are the incident's, as compensation is.
   */
  noticesUnder?: string;
  /**
   * With `noticesUnder`: the chain's earlier alarms whose outage notices say who heard of the
   * incident (`IncidentLink.toldOf`): told by any of them, a customer is told it is back. Absent
   * (runs started before it): `continues` alone, the chain's first.
   */
  toldOf?: string[];
  /**
   * The alarm was raised by a person confirming a suspected incident (backdated to its first
   * signal), not by a network system that keeps reporting it: being open at the compensation
   * threshold is no evidence that the outage lasted (nobody may have cleared it yet). Its
   * compensation is decided at its clear (a person's, the network alarm's, or the suspicion's
   * signals stopping), from how long it lasted (docs/decisions/0057). Absent in earlier runs' input.
   */
  confirmed?: boolean;
}

/** What a run reports. */
export interface ServiceOpsResult {
  alarmId: string;
  affected: number;
  notified: number;
  pendingApproval: number;
  refused: number;
  failed: number;
  /** The trouble ticket's request; null for a watch (nothing was acted on). */
  ticket: GuardedStatus | null;
  compensated: number;
  compensationPending: number;
  cleared: boolean;
  durationMs: number | null;
  resolutionNotices: number;
  /** Customers found later, showing the incident, beyond those found at the alarm (in `affected` too). */
  showing: number;
  /** Affected customers not told of the outage because it had cleared before their notice (version 3). */
  notToldCleared?: number;
  /** Version 6: customers paid the difference after the alarm was made worse than the severity they were paid for. */
  compensationRaised?: number;
  /** Version 8: customers told of the outage and not told it was resolved, as the fault was back when their notice was due (`fault-back`). */
  resolutionWithheld?: number;
  /** Version 4: true when the run only watched (a quiet severity that never escalated: nobody told or paid); the severity it acted on after an escalation. */
  watched?: boolean;
  escalatedTo?: Alarm['perceivedSeverity'];
}


/** What a batch step is asked (journaled with it). */
interface BatchInput {
  alarm: Alarm;
  customers: string[];
  incident?: string;
  toldOf?: readonly string[];
  paidBefore?: number;
  waitingBefore?: string[];
  /** Version 10, outage notices: the earlier alarms on the place whose outage notice, unresolved, stands for this one's. */
  earlier?: readonly string[];
  /** Version 10, a top-up: the requests each customer's top-up adds to (their payment, and an earlier top-up). */
  addsTo?: Record<string, string[]>;
  /**
   * Version 11, notices: the step reads the other alarms on the place itself, when it asks (not the
   * run once at its raise), besides `besides` (the alarms of this run's own incident). Outage
   * notices: one told of the outage by any of them, open or cleared within `FAULT_REACH_MS` of the
   * raise, and not yet of its end, is not told again. Resolutions: one an alarm open on the place
   * touches is not told it is resolved while it is down. `noticesId`: the id this run asks its
   * notices under (another alarm's requests under it are this run's own).
   */
  onPlace?: { besides: readonly string[]; noticesId: string };
  /**
   * Version 11, resolutions: when this alarm cleared (its run's end of the outage). Another alarm on
   * the place that cleared after it (ties by id) and whose run tells a customer "resolved", or told
   * them, stands for this one's resolution: one "resolved" a customer a place (decision 0103, amended).
   */
  clearedMs?: number;
  /** Version 11, payments: what alarms overlapping on the place paid each customer for the same outage (`paid-on-place`), taken off theirs. */
  paidElsewhere?: Record<string, PaidOnPlace>;
}

/** The id an alarm's run asks its notices under: the alarm its fault is back under, else the incident it goes on, else its own. */
export const noticesIdOf = (input: Pick<ServiceOpsInput, 'alarm' | 'continues' | 'noticesUnder'>): string => input.noticesUnder ?? input.continues ?? input.alarm.id;

/** `noticesIdOf` the run of `alarmId` (workflow id = alarm id) as the engine keeps it (`ServiceOpsDeps.noticesIdOf`); no run: the alarm's own id. */
export async function noticesIdOfRun(engine: Pick<WorkflowEngine, 'get'>, alarmId: string): Promise<string> {
  const input = (await engine.get(alarmId))?.input as Partial<ServiceOpsInput> | null | undefined;
  return input?.alarm ? noticesIdOf({ ...input, alarm: input.alarm }) : alarmId;
}


/**
 * Whether the run of `alarmId` will tell a customer "resolved" at its clear
 * (`ServiceOpsDeps.resolvesAtClear`), as a run of version 11 tells those it notified: its outage
 * notice reached them, or it counted them told by another alarm. One it found and has not come to
 * yet (its notices wait for the contact hours, or the run is not started: it will find them as
 * they are ranked now) it will notify or count told then. Nobody: a run that ended, or one of
 * version 10 or before (it does not count told a customer an alarm open alongside told).
 * `cleared` (the alarm has cleared): only those it notified; a run not started tells nobody (it
 * starts on a cleared alarm and tells no one of an outage that is over).
 */
export async function resolvesAtClearOfRun(engine: Pick<WorkflowEngine, 'get' | 'steps'>, alarmId: string, o: { cleared?: boolean } = {}): Promise<(customerId: string) => boolean> {
  const run = await engine.get(alarmId);
  if (!run) return () => o.cleared !== true;
  if (run.definitionId !== SERVICE_OPS_WORKFLOW_ID || run.definitionVersion < 11 || FINISHED_STATUSES.includes(run.status)) return () => false;
  const [found, decided, notified] = [new Set<string>(), new Set<string>(), new Set<string>()];
  for (const st of (await engine.steps(alarmId)) ?? []) {
    if (st.status !== 'succeeded' || st.output === null) continue;
    if (st.stepId === AFFECTED_STEP_ID || st.stepId === SHOWING_STEP_ID) for (const c of st.output as string[]) found.add(c);
    if (st.stepId !== OUTAGE_NOTICE_STEP_ID) continue;
    const r = st.output as BatchOutcome;
    for (const c of [...r.executed, ...Object.keys(r.toldBefore ?? {})]) notified.add(c);
    for (const c of [...r.executed, ...r.pending, ...Object.keys(r.why ?? {}), ...Object.keys(r.toldBefore ?? {})]) decided.add(c);
  }
  return o.cleared ? (c) => notified.has(c) : (c) => notified.has(c) || (found.has(c) && !decided.has(c));
}

/**
 * What the run of `alarmId` paid each customer, carried out or waiting for a person (its payments
 * and top-ups: every batch of its compensation step), read from the engine
 * (`ServiceOpsDeps.compensatedBy`). Batches journaled without their credit (before it was kept) count nothing.
 */
export async function compensatedByRun(engine: Pick<WorkflowEngine, 'steps'>, alarmId: string): Promise<(customerId: string) => number> {
  const paid = new Map<string, number>();
  for (const st of (await engine.steps(alarmId)) ?? []) {
    if (st.stepId !== COMPENSATION_STEP_ID || st.status !== 'succeeded' || st.output === null) continue;
    const b = st.output as BatchOutcome;
    for (const c of [...b.executed, ...b.pending]) paid.set(c, (paid.get(c) ?? 0) + (b.amounts?.[c] ?? b.amount ?? 0));
  }
  return (c) => paid.get(c) ?? 0;
}

/** Splits a ranked list into the first batch and fixed-size batches after it. */
export function batchesOf<T>(items: readonly T[], first: number, size: number): T[][] {
  const out: T[][] = [];
  if (items.length === 0) return out;
  out.push(items.slice(0, first));
  for (let i = first; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Every version of the flow, newest first: each stays registered for the runs started under it (they finish as they began). */
export const SERVICE_OPS_VERSIONS: readonly number[] = Array.from({ length: SERVICE_OPS_WORKFLOW_VERSION }, (_, i) => SERVICE_OPS_WORKFLOW_VERSION - i);

/** The service-operations workflow at every version (SERVICE_OPS_VERSIONS), newest first: what a server registers. */
export function serviceOperationsWorkflows(deps: ServiceOpsDeps): WorkflowDefinition<ServiceOpsInput, ServiceOpsResult>[] {
  return SERVICE_OPS_VERSIONS.map((v) => serviceOperationsWorkflow(deps, v));
}

/**
 * Builds the service-operations workflow over its dependencies: the current version, or an
 * earlier `version` (one of SERVICE_OPS_VERSIONS) for the runs started under it; register them all
 * (serviceOperationsWorkflows).
 */
export function serviceOperationsWorkflow(deps: ServiceOpsDeps, version: number = SERVICE_OPS_WORKFLOW_VERSION): WorkflowDefinition<ServiceOpsInput, ServiceOpsResult> {
  if (!SERVICE_OPS_VERSIONS.includes(version)) throw new TwinloopError('BAD_INPUT', `service operations: version ${version} does not exist; versions 1 to ${SERVICE_OPS_WORKFLOW_VERSION}`);
  const policy: ServiceOpsPolicy = { ...DEFAULT_SERVICE_OPS_POLICY, ...deps.policy };
  if (
    !(
      policy.firstBatch >= 1 &&
      policy.batchSize >= 1 &&
      policy.concurrency >= 1 &&
      policy.compensateAfterMs >= 0 &&
      policy.maxOpenMs > 0 &&
      policy.minPresenceShare >= 0 &&
      policy.minPresenceShare <= 1 &&
      policy.showingEveryMs > 0 &&
      policy.showingLookbackMs >= 0 &&
      policy.showingForMs >= 0
    )
  ) {
    throw new TwinloopError('BAD_INPUT', 'service operations: firstBatch, batchSize and concurrency must be ≥ 1, compensateAfterMs ≥ 0, maxOpenMs > 0, minPresenceShare in [0, 1], showingEveryMs > 0, showingLookbackMs and showingForMs ≥ 0');
  }
  const actor = { kind: 'agent' as const, id: 'service-operations' };

  const affected: StepDefinition<Alarm, string[]> = {
    id: AFFECTED_STEP_ID,
    version: 1,
    run: async (alarm) => {
      const sinceMs = Date.parse(alarm.raisedTime) - policy.presenceHorizonMs;
      const cells = cellsOfAlarmedObject(alarm.alarmedObject, (site) => deps.cells.cellsOfSite(site));
      return ok(rankAffected(deps.cells.rankedOn(cells, { sinceMs }), deps.scores, policy.minPresenceShare).map((r) => r.customerId));
    },
  };

  /**
   * Customers showing the incident in [fromMs, toMs]: a bad session on the alarmed cells, or a
   * service call or complaint from someone the twins have seen there; active twins only.
   */
  const showing: StepDefinition<{ alarm: Alarm; fromMs: number; toMs: number }, string[]> = {
    id: SHOWING_STEP_ID,
    version: 1,
    run: async ({ alarm, fromMs, toMs }) => {
      const evidence = deps.evidence;
      if (!evidence) return ok([]);
      const cells = cellsOfAlarmedObject(alarm.alarmedObject, (site) => deps.cells.cellsOfSite(site));
      const found = new Set(evidence.customersOn(cells, fromMs, toMs));
      const sinceMs = Date.parse(alarm.raisedTime) - policy.presenceHorizonMs;
      for (const p of deps.cells.rankedOn(cells, { sinceMs })) if (evidence.firstContact(p.customerId, fromMs, toMs) !== null) found.add(p.customerId);
      return ok([...found].filter((c) => deps.scores(c)?.active === true));
    },
  };

  /**
   * Another alarm with the ids its notices may be asked under (version 11: its run's, and its own;
   * before, its own), but `own`, the asking run's: a request under it is the asking run's own (an
   * alarm that goes on this run's incident asks under its ids: what it asked there is this run's too).
   */
  type Keyed = { id: string; keys: string[] };
  const keyed = async (ids: readonly string[], own?: string): Promise<Keyed[]> =>
    Promise.all(ids.map(async (id) => ({ id, keys: version >= 11 && deps.noticesIdOf ? [...new Set([await deps.noticesIdOf(id), id])].filter((k) => k !== own) : [id] })));
  /** Whether `alarm`'s `purpose` request for the customer was carried out, under any id its notices go under. */
  const doneFor = async (alarm: Keyed, purpose: string, customerId: string): Promise<boolean> => {
    for (const k of alarm.keys) if ((await deps.guarded().statusOf(`${k}:${purpose}:${customerId}`)) === 'executed') return true;
    return false;
  };
  /**
   * Version 10: the earlier alarm of `earlier` whose outage notice reached the customer and whose
   * resolution notice has not (held to the morning, or kept from them as the fault was back): their
   * last word from the operator is "outage". Undefined when none.
   */
  const outageStillTold = async (earlier: readonly Keyed[], customerId: string): Promise<string | undefined> => {
    for (const e of earlier) {
      if (!(await doneFor(e, OUTAGE_NOTICE_STEP_ID, customerId))) continue;
      if (!(await doneFor(e, RESOLUTION_NOTICE_STEP_ID, customerId))) return e.id;
    }
    return undefined;
  };
  /** Version 11: the other alarms on the place, besides the run's own incident's, that serve customers (the inbox as it is now). */
  const othersOnPlace = (alarm: Alarm, besides: readonly string[]): Alarm[] => {
    const own = new Set([alarm.id, ...besides]);
    return (deps.alarmsOnPlace?.(alarm) ?? []).filter((a) => !own.has(a.id));
  };
  /** Of `customers`, those `alarms` touch (found as an alarm's own are: `rankAffected` on its cells), each with the first that does. */
  const touchedBy = (alarms: readonly Alarm[], customers: readonly string[]): Map<string, string> => {
    const ours = new Set(customers);
    const out = new Map<string, string>();
    for (const a of alarms) {
      const cells = cellsOfAlarmedObject(a.alarmedObject, (site) => deps.cells.cellsOfSite(site));
      const present = deps.cells.rankedOn(cells, { sinceMs: Date.parse(a.raisedTime) - policy.presenceHorizonMs });
      for (const r of rankAffected(present, deps.scores, policy.minPresenceShare)) if (ours.has(r.customerId) && !out.has(r.customerId)) out.set(r.customerId, a.id);
    }
    return out;
  };

  /**
   * Version 11: of `customers`, those an alarm of `open` (open on the place) touches and whose run
   * will tell them "resolved" at its clear, each with the first that does: their resolution is that
   * run's. One that alarm touches but will not tell (its outage ask failed, went to a person or came
   * after the clear; found on its cells only since its raise; a run of version 10 or before) is told
   * by this run, or never would be.
   */
  const stillDownUnder = async (open: readonly Alarm[], customers: readonly string[]): Promise<Map<string, string>> => {
    const touched = touchedBy(open, customers);
    if (!deps.resolvesAtClear) return touched;
    const tells = new Map<string, (customerId: string) => boolean>();
    for (const id of new Set(touched.values())) tells.set(id, await deps.resolvesAtClear(id));
    return new Map([...touched].filter(([c, id]) => tells.get(id)!(c)));
  };
  /**
   * Version 11 (decision 0103, amended): of `customers`, those another alarm on the place that
   * cleared after this one (at `clearedMs`; the same instant: the greater id) tells "resolved", its
   * run having notified them, or told already; each with the first such alarm. The resolution is
   * that alarm's: the last to clear tells it, so two runs woken together (both held to the contact
   * hours) do not both tell it, whichever looks first. The order is the same from either run, and the
   * last in it defers to none, so nobody is left without one.
   */
  const resolvedByLater = async (others: readonly Alarm[], clearedMs: number, ownId: string, noticesId: string, customers: readonly string[]): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    const later = others.filter((a) => a.clearedTime !== undefined && (Date.parse(a.clearedTime) > clearedMs || (Date.parse(a.clearedTime) === clearedMs && a.id > ownId)));
    for (const k of await keyed(later.map((a) => a.id), noticesId)) {
      // Whether it will tell them, read before whether it told them: a run that ends in between has told them.
      const tells = deps.resolvesAtClear ? await deps.resolvesAtClear(k.id, { cleared: true }) : () => false;
      for (const c of customers) if (!out.has(c) && (tells(c) || (await doneFor(k, RESOLUTION_NOTICE_STEP_ID, c)))) out.set(c, k.id);
    }
    return out;
  };

  /** A batch step: one guarded request per customer, each with its own stable request id. */
  const batchStep = (
    id: string,
    request: (alarm: Alarm, customerId: string, incident: string, toldOf?: readonly string[], paidBefore?: number, waitingBefore?: boolean, addsTo?: readonly string[], elsewhere?: PaidOnPlace) => ActionRequestInput | Promise<ActionRequestInput>,
    // What the request id names after the incident (default the step's id): one id per thing asked of a customer.
    purposeOf: (alarm: Alarm) => string = () => id,
    // Notices of an outage: not asked once the alarm has cleared (`clearedOf`).
    untilCleared = false,
  ): StepDefinition<BatchInput, BatchOutcome> => ({
    id,
    version: 1,
    async run({ alarm, customers, incident, toldOf, paidBefore, waitingBefore, earlier, addsTo, onPlace, clearedMs, paidElsewhere }, ctx): Promise<ConnectorResult<BatchOutcome>> {
      const out: BatchOutcome = { executed: [], pending: [], refused: 0, failed: 0 };
      const statuses = new Map<string, { status: GuardedStatus | 'asked-before' | 'over' | 'down'; reason: string }>();
      const goesOn = incident !== undefined && incident !== alarm.id;
      const underAlarm = new Set<string>();
      const toldBefore = new Map<string, string>();
      // Version 11: the other alarms on the place as they are now. Before an outage notice: those whose
      // outage notice, not yet resolved, stands for this one's (open, or cleared within a day of the raise:
      // a resolution held to the morning). Before a resolution: those open, and whom they touch.
      const others = onPlace ? othersOnPlace(alarm, onPlace.besides) : [];
      const raisedMs = Date.parse(alarm.raisedTime);
      const standing = untilCleared
        ? onPlace
          ? await keyed(others.filter((a) => alarmOpenDuring(a, raisedMs - FAULT_REACH_MS)).map((a) => a.id), onPlace.noticesId)
          : await keyed(earlier ?? [])
        : [];
      const down = onPlace && !untilCleared ? await stillDownUnder(others.filter((a) => a.clearedTime === undefined), customers) : new Map<string, string>();
      const resolvedLater = onPlace && !untilCleared && clearedMs !== undefined ? await resolvedByLater(others, clearedMs, alarm.id, onPlace.noticesId, customers.filter((c) => !down.has(c))) : new Map<string, string>();
      const tell = async (customerId: string): Promise<void> => {
        // Version 10: told of the outage by an earlier alarm on the place and not yet that it was over, a customer is not told it again.
        const by = standing.length > 0 ? await outageStillTold(standing, customerId) : undefined;
        if (by !== undefined) {
          toldBefore.set(customerId, by);
          statuses.set(customerId, { status: 'asked-before', reason: `told of the outage by ${by} and not yet that it was over: one notice a fault, its end told at this alarm's clear` });
          return;
        }
        toldBefore.delete(customerId);
        const elsewhere = paidElsewhere?.[customerId];
        const req = await request(alarm, customerId, incident ?? alarm.id, toldOf, paidBefore, waitingBefore?.includes(customerId) === true, addsTo?.[customerId], elsewhere);
        if (req.actionClass === 'compensation' && elsewhere) {
          // Version 11: paid for this outage by alarms overlapping on the place; owed only what is left of this one's amount.
          if ((req.cost ?? 0) <= 0) {
            statuses.set(customerId, { status: 'asked-before', reason: `compensated for this outage by ${elsewhere.by.join(', ')} (${elsewhere.amount} in all), open on the place alongside this alarm: one compensation an outage` });
            return;
          }
          (out.amounts ??= {})[customerId] = req.cost ?? 0;
        } else if (req.actionClass === 'compensation') out.amount = req.cost ?? 0;
        const full = { ...req, id: `${incident ?? alarm.id}:${purposeOf(alarm)}:${customerId}`, params: { ...req.params, workflowId: ctx.workflowId } };
        const ask = async (): Promise<{ status: GuardedStatus | 'asked-before'; reason: string }> => {
          try {
            const r = await deps.guarded().execute(full);
            return { status: r.status, reason: r.reason };
          } catch (err) {
            if (!(goesOn && err instanceof TwinloopError && err.code === 'CONFLICT')) throw err;
            // An alarm that goes on an incident asks under the incident's request ids; one another
            // of its alarms asked otherwise (another place, another severity's amount) and carried
            // out (or a person has) is the customer's one notice or compensation for it: this one
            // is not made. One that failed did nothing, yet holds the id: asked under this alarm's
            // own id instead, or the customer would never be paid.
            const first = await deps.guarded().statusOf(full.id);
            if (first === 'executed' || first === 'pending-approval') return { status: 'asked-before', reason: `${first === 'executed' ? 'done' : 'waiting for a person'} already under ${incident}, this incident's first alarm` };
            underAlarm.add(customerId);
            const r = await deps.guarded().execute({ ...full, id: `${alarm.id}:${purposeOf(alarm)}:${customerId}` });
            return { status: r.status, reason: r.reason };
          }
        };
        // The fault over by this customer's turn: not told of it (one asked before a crash is answered as it was).
        const clearedAt = untilCleared && version >= 3 ? deps.clearedOf?.(alarm.id) : undefined;
        if (clearedAt !== undefined && (await deps.guarded().statusOf(full.id)) === null) {
          statuses.set(customerId, { status: 'over', reason: `the alarm cleared at ${clearedAt.slice(0, 16).replace('T', ' ')} UTC, before this notice went` });
          return;
        }
        // Version 11: down still under another alarm on the place: not told it is resolved (one asked before a crash is answered as it was).
        const downBy = down.get(customerId);
        if (downBy !== undefined && (await deps.guarded().statusOf(full.id)) === null) {
          statuses.set(customerId, { status: 'down', reason: `${downBy} was open on the place when it was due (down still); that alarm's run tells them at its clear` });
          return;
        }
        // Version 11: an alarm on the place that cleared after this one tells them (one "resolved" a customer a place).
        const laterBy = resolvedLater.get(customerId);
        if (laterBy !== undefined && (await deps.guarded().statusOf(full.id)) === null) {
          statuses.set(customerId, { status: 'down', reason: `${laterBy}, on the place, cleared after this alarm and its run tells them it is resolved: one "resolved" a customer a place` });
          return;
        }
        // One immediate second try with the same id: a back end's passing hiccup should not cost a customer the notice.
        let r = await ask();
        if (r.status === 'failed') r = await ask();
        statuses.set(customerId, r);
      };
      await inParallel(customers, policy.concurrency, tell);
      // Version 11: counted told by another alarm whose resolution went meanwhile (a clear and this raise
      // at the same instant: it looked before this alarm was in the inbox), a customer is told of this outage.
      if (onPlace && untilCleared && toldBefore.size > 0) {
        const again: string[] = [];
        for (const [c, by] of toldBefore) if (await doneFor(standing.find((e) => e.id === by)!, RESOLUTION_NOTICE_STEP_ID, c)) again.push(c);
        await inParallel(again, policy.concurrency, tell);
      }
      for (const c of customers) {
        const { status: s, reason } = statuses.get(c) ?? { status: 'failed', reason: 'not asked' };
        if (s !== 'executed') (out.why ??= {})[c] = { status: s, reason };
        if (s === 'asked-before') out.askedBefore = (out.askedBefore ?? 0) + 1;
        else if (s === 'over') out.over = (out.over ?? 0) + 1;
        else if (s === 'down') (out.down ??= {})[c] = down.get(c) ?? resolvedLater.get(c)!;
        else if (s === 'executed') out.executed.push(c);
        else if (s === 'pending-approval') out.pending.push(c);
        else if (s === 'failed') out.failed++;
        else out.refused++;
      }
      if (goesOn) out.underAlarm = customers.filter((c) => underAlarm.has(c));
      if (toldBefore.size > 0) out.toldBefore = Object.fromEntries(customers.flatMap((c) => (toldBefore.has(c) ? [[c, toldBefore.get(c)!]] : [])));
      // Only a batch where nothing asked got through is retried, a few times (the executor or back end
      // is down); single failures (e.g. a customer who has left) are reported, not retried. Customers
      // not asked (held back while another alarm on the place is open, told or paid by another alarm,
      // the outage over) are out of the count: a batch of 10 with 4 held back and 6 failed is retried
      // (before, it was given up and those 6 never heard "resolved").
      const askedOf = customers.filter((c) => !NOT_ASKED.has(statuses.get(c)?.status ?? 'failed')).length;
      if (askedOf > 0 && out.failed === askedOf && ctx.attempt < BATCH_ATTEMPTS) return transient(`all ${askedOf} requests of the batch failed`);
      return ok(out);
    },
  });

  // A notice is the incident's (an alarm that continues one asks under its request ids): what is
  // asked names the incident, so a continuing alarm's ask is the same request and is answered as
  // the first (nobody is told twice); the alarm that asks is the evidence. Asked on the channel the
  // customer receives it by (THE mapping, deliveryChannelOf: an SMS is a web contact), as the
  // executor carries it: what is asked, kept and compared on a retry is what goes out.
  // A fault back after its clear is told as back (the customer's last message said resolved).
  const notice = (kind: 'outage' | 'back' | 'resolved') => (alarm: Alarm, customerId: string, incident: string): ActionRequestInput => ({
    actionClass: 'communication',
    channel: deliveryChannelOf(policy.notificationChannel),
    customerId,
    domain: 'service_operations',
    params: { notificationChannel: policy.notificationChannel, purpose: 'service', templateId: NOTICE_TEMPLATES[kind], alarmId: incident },
    actor,
    why: {
      summary: `${{ outage: 'Proactive notice of', back: 'Notice of the return of', resolved: 'Resolution of' }[kind]} network incident ${incident} on ${alarm.alarmedObject['@referredType']} ${alarm.alarmedObject.id}`,
      evidence: { alarmId: alarm.id, severity: alarm.perceivedSeverity, probableCause: alarm.probableCause },
    },
  });
  const outageStep = batchStep(OUTAGE_NOTICE_STEP_ID, notice('outage'), undefined, true);
  // "Back" only to a customer an outage notice of the chain reached (`toldOf`: its earlier alarms):
  // one whose notices failed, or found only now, never heard of the outage, and is told of an
  // outage, under the same ids (review: "the fault is back" went to people never told).
  const backNotices = batchStep(OUTAGE_NOTICE_STEP_ID, async (alarm, customerId, incident, toldOf) => {
    let told = toldOf === undefined;
    for (const earlier of toldOf ?? []) if (!told) told = (await deps.guarded().statusOf(`${earlier}:${OUTAGE_NOTICE_STEP_ID}:${customerId}`)) === 'executed';
    return notice(told ? 'back' : 'outage')(alarm, customerId, incident);
  }, undefined, true);
  const resolutionNotices = batchStep(RESOLUTION_NOTICE_STEP_ID, notice('resolved'));
  // Compensation is the incident's too, as its notices are: one an incident, whichever of its alarms pays it.
  // One request shape for the payment and the difference after an escalation (version 6).
  const compensationAsk = (customerId: string, incident: string, amount: number, reason: string, why: ActionRequestInput['why'], addsTo?: readonly string[]): ActionRequestInput => ({
    actionClass: 'compensation',
    channel: 'app',
    customerId,
    domain: 'service_operations',
    cost: amount,
    params: { amount, reason, alarmId: incident, ...(addsTo && addsTo.length > 0 ? { addsTo: [...addsTo] } : {}) },
    actor,
    why,
  });
  // Version 11: what alarms overlapping on the place paid the customer for the same outage is taken off
  // (`elsewhere`): one compensation an outage, the worst severity's amount in all (decision 0103, amended).
  const compensation = batchStep(COMPENSATION_STEP_ID, (alarm, customerId, incident, _toldOf, _paidBefore, _waiting, _addsTo, elsewhere) => {
    const owed = policy.compensation[alarm.perceivedSeverity] ?? 0;
    const lasting = `lasting more than ${Math.round(policy.compensateAfterMs / 60_000)} minutes`;
    if (!elsewhere) return compensationAsk(customerId, incident, owed, `network incident ${incident}`, { summary: `Compensation for network alarm ${incident} (${alarm.perceivedSeverity}) ${lasting}`, evidence: { alarmId: alarm.id } });
    const amount = Math.max(0, owed - elsewhere.amount);
    return compensationAsk(customerId, incident, amount, `network incident ${incident}`, {
      summary: `Compensation for network alarm ${incident} (${alarm.perceivedSeverity}) ${lasting}: ${amount}, the ${owed} owed less the ${elsewhere.amount} asked for the same outage by ${elsewhere.by.join(', ')}, open on the place alongside it`,
      evidence: { alarmId: alarm.id, paidOnPlace: elsewhere.amount, paidBy: elsewhere.by },
    });
  });
  // Version 6: an escalation after the customers were paid at a lower severity's amount pays the
  // difference, asked once per customer and severity (`…:compensation-uplift-critical:C…`), so a
  // customer is owed, in all, the amount of the worst severity the outage reached.
  const uplift = batchStep(
    COMPENSATION_STEP_ID,
    (alarm, customerId, incident, _toldOf, paidBefore = 0, waitingBefore = false, addsTo) => {
      const amount = Math.max(0, (policy.compensation[alarm.perceivedSeverity] ?? 0) - paidBefore);
      // Version 10: it names the payments it adds to, judged with them as they stand when it is carried
      // out (one a person rejected: nothing), and its approver reads them live: no word of how they stood here.
      if (version >= 10) {
        return compensationAsk(customerId, incident, amount, `network incident ${incident} (now ${alarm.perceivedSeverity})`, {
          summary: `Compensation for network alarm ${incident} raised to ${alarm.perceivedSeverity}: ${amount} on top of the ${paidBefore} asked at its earlier severity, owed only with it`,
          // No word of how the run heard the payment stood (`paidBeforeState`, versions 8 and 9): nothing reads it, the approver reads the payment live (evidence is not what a repeated ask is compared on).
          evidence: { alarmId: alarm.id, severity: alarm.perceivedSeverity, paidBefore, addsTo: [...(addsTo ?? [])] },
        }, addsTo);
      }
      // Version 8 asks it of those whose earlier payment waits for a person too: asked, not yet paid.
      // The approver is told which (version 9 in the summary; the summary is what a repeated request
      // id is compared on, so a run of version 8 keeps its words); the evidence says it always.
      // What the run heard of it, not a live reading: a person may have decided it since (said so, not claimed as now).
      const before = version >= 9 ? (waitingBefore ? 'asked, waiting for a person when this run asked it,' : 'paid') : version >= 8 ? 'asked' : 'paid';
      return compensationAsk(customerId, incident, amount, `network incident ${incident} (now ${alarm.perceivedSeverity})`, {
        summary: `Compensation for network alarm ${incident} raised to ${alarm.perceivedSeverity}: ${amount} on top of the ${paidBefore} ${before} at its earlier severity`,
        evidence: { alarmId: alarm.id, severity: alarm.perceivedSeverity, paidBefore, paidBeforeState: waitingBefore ? 'pending' : 'executed' },
      });
    },
    (alarm) => `${COMPENSATION_STEP_ID}-uplift-${alarm.perceivedSeverity}`,
  );
  /** Version 6: journals a judgement of the severity (what the run acts on, and when the outage counts from); the view reads it. */
  const severityStep: StepDefinition<SeverityJudged, SeverityJudged> = { id: SEVERITY_STEP_ID, version: 1, run: async (judged) => ok(judged) };
  const ticket: StepDefinition<{ alarm: Alarm; affected: number }, GuardedStatus> = {
    id: TROUBLE_TICKET_STEP_ID,
    version: 1,
    async run({ alarm, affected: n }, ctx) {
      const r = await deps.guarded().execute({
        id: `${alarm.id}:${TROUBLE_TICKET_STEP_ID}`,
        actionClass: 'trouble_ticket',
        channel: 'app',
        domain: 'service_operations',
        params: { alarmId: alarm.id, alarmedObject: alarm.alarmedObject, severity: alarm.perceivedSeverity, probableCause: alarm.probableCause, affectedCustomers: n, workflowId: ctx.workflowId },
        actor,
        why: { summary: `Network alarm ${alarm.id} touches ${n} customers`, evidence: { alarmId: alarm.id } },
      });
      return r.status === 'failed' ? transient(r.reason) : ok(r.status);
    },
  };

  /**
   * Version 8: the alarms open again on the place after the clear, and whom of `customers` they
   * touch (found as the alarm's own customers are: `rankAffected` on their cells), or null. Version
   * 10 (`resolved`): also whom a later alarm's run told it is resolved already (one notice a fault).
   */
  const faultBackStep: StepDefinition<{ alarm: Alarm; sinceMs: number; atMs: number; customers: string[]; resolved?: boolean; toldBy?: Record<string, string>; onPlace?: { besides: readonly string[]; noticesId: string } }, FaultBack | null> = {
    id: FAULT_BACK_STEP_ID,
    version: 1,
    run: async ({ alarm, sinceMs, atMs, customers, resolved, toldBy, onPlace }) => {
      // Version 11 (`onPlace`): any other alarm on the place open now, overlapping or back after the
      // clear, keeps the notice from whom it touches; and a resolution any alarm raised since this one
      // told them stands for this one's. Before: alarms raised after the clear only.
      const others = onPlace ? othersOnPlace(alarm, onPlace.besides) : (deps.alarmsOnPlace?.(alarm) ?? []).filter((a) => a.id !== alarm.id);
      const later = others.filter((a) => Date.parse(a.raisedTime) >= (onPlace ? Date.parse(alarm.raisedTime) : sinceMs) && Date.parse(a.raisedTime) <= atMs);
      const back = onPlace ? others.filter((a) => alarmOpenAt(a, atMs)) : later.filter((a) => a.clearedTime === undefined || Date.parse(a.clearedTime) > atMs);
      const resolvedBy: Record<string, string> = {};
      if (resolved) {
        // Read only: a bounded number at once, as a batch asks its requests.
        const by = new Map<string, string>();
        const laterKeyed = await keyed(later.map((x) => x.id), onPlace?.noticesId);
        await inParallel(customers, policy.concurrency, async (c) => {
          // The earlier alarm whose outage notice stood for ours: its resolution, if it went since, was their last word too.
          for (const a of [...laterKeyed, ...(toldBy?.[c] ? await keyed([toldBy[c]], onPlace?.noticesId) : [])]) if (await doneFor(a, RESOLUTION_NOTICE_STEP_ID, c)) return void by.set(c, a.id);
        });
        for (const c of customers) if (by.has(c)) resolvedBy[c] = by.get(c)!;
      }
      if (back.length === 0 && Object.keys(resolvedBy).length === 0) return ok(null);
      // Version 11: only those the other alarm's run will tell at its clear (else this run tells them now).
      const touched = onPlace ? await stillDownUnder(back, customers) : touchedBy(back, customers);
      const overlapping = onPlace ? back.filter((a) => Date.parse(a.raisedTime) < sinceMs).map((a) => a.id) : [];
      return ok({ alarmIds: back.map((a) => a.id), customers: customers.filter((c) => touched.has(c)), ...(Object.keys(resolvedBy).length > 0 ? { resolvedBy } : {}), ...(overlapping.length > 0 ? { overlapping } : {}) });
    },
  };
  /**
   * Version 11: of `customers`, what the other alarms on the place that overlap this one (raised by
   * `untilMs`, this alarm's clear or now, and not cleared before its raise) paid each for the same
   * outage, with which alarms: one compensation an outage (decision 0103, amended). Alarms of the
   * run's own incident are not others: they pay under its request ids already.
   */
  const paidOnPlaceStep: StepDefinition<{ alarm: Alarm; customers: string[]; untilMs: number; onPlace: { besides: readonly string[]; noticesId: string } }, Record<string, PaidOnPlace>> = {
    id: PAID_ON_PLACE_STEP_ID,
    version: 1,
    run: async ({ alarm, customers, untilMs, onPlace }) => {
      const out: Record<string, PaidOnPlace> = {};
      if (!deps.compensatedBy) return ok(out);
      const raisedMs = Date.parse(alarm.raisedTime);
      const overlapping = othersOnPlace(alarm, onPlace.besides).filter((a) => alarmOpenDuring(a, raisedMs, untilMs));
      for (const a of overlapping) {
        const paid = await deps.compensatedBy(a.id);
        for (const c of customers) {
          const amount = paid(c);
          if (amount <= 0) continue;
          const e = (out[c] ??= { amount: 0, by: [] });
          [e.amount, e.by] = [e.amount + amount, [...e.by, a.id]];
        }
      }
      return ok(out);
    },
  };
  /** Version 10: the earlier alarms on the place cleared at most `FAULT_REACH_MS` before the raise, latest clear first. */
  const faultBeforeStep: StepDefinition<{ alarm: Alarm }, string[]> = {
    id: FAULT_BEFORE_STEP_ID,
    version: 1,
    run: async ({ alarm }) => {
      const raisedMs = Date.parse(alarm.raisedTime);
      const cleared = (deps.alarmsOnPlace?.(alarm) ?? []).filter((a) => a.id !== alarm.id && alarmClearedWithin(a, raisedMs, FAULT_REACH_MS));
      return ok(cleared.sort((a, b) => Date.parse(b.clearedTime!) - Date.parse(a.clearedTime!)).map((a) => a.id));
    },
  };

  // When the contact policy next lets the operator reach out (version 7), journaled as a step.
  const contactHours: StepDefinition<{ nowMs: number }, number> = {
    id: 'contact-hours',
    version: 1,
    run: async ({ nowMs }) => ok(deps.contactAllowedAt ? deps.contactAllowedAt(nowMs) : nowMs),
  };
  /**
   * Runs `customers` through `step` in batches keyed `${key}-N` (BATCH_KEYS), the first of
   * `firstSize` (default the policy's batch size), totalled. `under`: the incident whose request ids
   * they are asked under (absent: the alarm's own); `toldOf`, `paidBefore`, `waiting`, `earlier` and
   * `addsTo` as each step reads them (BatchInput), the last two version 10's; `onPlace` version 11's.
   */
  const runBatches = async (
    ctx: WorkflowContext,
    o: { step: typeof outageStep; alarm: Alarm; customers: readonly string[]; key: string; firstSize?: number; under?: string; toldOf?: readonly string[]; paidBefore?: number; waiting?: ReadonlySet<string>; earlier?: readonly string[]; addsTo?: ReadonlyMap<string, readonly string[]>; onPlace?: { besides: readonly string[]; noticesId: string }; clearedMs?: number; paidElsewhere?: Readonly<Record<string, PaidOnPlace>> },
  ): Promise<BatchOutcome> => {
    const total: BatchOutcome = { executed: [], pending: [], refused: 0, failed: 0 };
    const batches = batchesOf(o.customers, o.firstSize ?? policy.batchSize, policy.batchSize);
    const earlier = o.earlier && o.earlier.length > 0 ? { earlier: o.earlier } : {};
    for (let i = 0; i < batches.length; i++) {
      const waitingBefore = o.waiting ? batches[i].filter((c) => o.waiting!.has(c)) : [];
      const addsTo = o.addsTo ? { addsTo: Object.fromEntries(batches[i].flatMap((c) => (o.addsTo!.has(c) ? [[c, [...o.addsTo!.get(c)!]]] : []))) } : {};
      const elsewhere = o.paidElsewhere ? batches[i].filter((c) => o.paidElsewhere![c] !== undefined) : [];
      const paidElsewhere = elsewhere.length > 0 ? { paidElsewhere: Object.fromEntries(elsewhere.map((c) => [c, o.paidElsewhere![c]])) } : {};
      const input: BatchInput = { alarm: o.alarm, customers: batches[i], ...(o.under ? { incident: o.under } : {}), ...(o.toldOf ? { toldOf: o.toldOf } : {}), ...(o.paidBefore !== undefined ? { paidBefore: o.paidBefore } : {}), ...(waitingBefore.length > 0 ? { waitingBefore } : {}), ...earlier, ...addsTo, ...(o.onPlace ? { onPlace: o.onPlace } : {}), ...(o.clearedMs !== undefined ? { clearedMs: o.clearedMs } : {}), ...paidElsewhere };
      const r = await ctx.step(o.step, input, { key: `${o.key}-${i}` });
      total.executed.push(...r.executed);
      total.pending.push(...r.pending);
      total.refused += r.refused;
      total.failed += r.failed;
      if (r.toldBefore) total.toldBefore = { ...total.toldBefore, ...r.toldBefore };
      if (r.underAlarm) (total.underAlarm ??= []).push(...r.underAlarm);
      if (r.over) total.over = (total.over ?? 0) + r.over;
      if (r.down) total.down = { ...total.down, ...r.down };
    }
    return total;
  };

  return {
    id: SERVICE_OPS_WORKFLOW_ID,
    version,
    // The incident view reads whom the run found, told and compensated from these steps for as long as the alarm is listed.
    keptSteps: [AFFECTED_STEP_ID, SHOWING_STEP_ID, OUTAGE_NOTICE_STEP_ID, COMPENSATION_STEP_ID, RESOLUTION_NOTICE_STEP_ID, SEVERITY_STEP_ID, FAULT_BACK_STEP_ID],
    parseInput: (raw) => {
      const id = z.string().min(1).max(200);
      const input = z.object({ alarm: alarmSchema, continues: id.optional(), noticesUnder: id.optional(), toldOf: z.array(id).max(1000).optional(), confirmed: z.boolean().optional() }).parse(raw);
      return {
        alarm: input.alarm as Alarm,
        ...(input.continues ? { continues: input.continues } : {}),
        ...(input.continues && input.noticesUnder ? { noticesUnder: input.noticesUnder, ...(input.toldOf ? { toldOf: input.toldOf } : {}) } : {}),
        ...(input.confirmed ? { confirmed: true } : {}),
      };
    },
    async run(ctx, { alarm: asRaised, continues, noticesUnder, toldOf: toldOfChain, confirmed }) {
      const raisedMs = Date.parse(asRaised.raisedTime);
      // Notices of a fault back are its own (told as back, then resolved); compensation is the incident's.
      const [told, outageNotices] = noticesUnder ? [noticesUnder, backNotices] : [continues, outageStep];
      // Whose outage notices say a customer heard of the incident before (so "back" is true for
      // them): any earlier alarm of the chain (runs started before it was given: its first alone).
      const toldOf = noticesUnder && continues ? (toldOfChain ?? [continues]) : undefined;
      const found = await ctx.step(affected, asRaised);
      const known = new Set(found);
      const notified: string[] = [];
      const look = { round: 0, fromMs: raisedMs - policy.showingLookbackMs, found: 0, pending: 0, refused: 0, failed: 0 };
      /** The alarm as the flow acts on it: as raised, or at the severity it escalated to (version 4). */
      let alarm = asRaised;
      /** Version 10: the earlier alarms on the place whose outage notice, not yet resolved, stands for this one's (`fault-before`). */
      let faultBefore: string[] | undefined;
      /**
       * Version 11: the notices read the other alarms on the place when they are asked (one word a
       * customer while any alarm there is open), besides those of this run's own incident.
       */
      const onPlace = version >= 11 && deps.alarmsOnPlace ? { besides: [...new Set([continues, noticesUnder, ...(toldOfChain ?? [])].filter((x): x is string => x !== undefined))], noticesId: told ?? asRaised.id } : undefined;
      const place = onPlace ? { onPlace } : {};
      /** Version 10: the customers counted told as such an alarm told them of the outage, each with it. */
      const toldEarlier = new Map<string, string>();
      const toldBy = (r: BatchOutcome): string[] => {
        for (const [c, e] of Object.entries(r.toldBefore ?? {})) toldEarlier.set(c, e);
        return Object.keys(r.toldBefore ?? {});
      };

      /**
       * Waits for `signals` (one, or the first of several: version 6) at most `timeoutMs`; in
       * version 2, while the alarm is young, wakes every `showingEveryMs` to find the customers
       * newly showing the incident, and tells them unless the run only watches (`tell` false); with
       * `untold`, every customer showing it who was not told yet, newly found or not. Each
       * look is journaled (its window and whom it found), so a replay tells nobody twice. `key`
       * names the wait in the journal (default: the signal's name), for a body that waits for the
       * same signals more than once.
       */
      const waitWatching = async <T>(signals: string | readonly string[], timeoutMs: number, o: { tell?: boolean; key?: string; untold?: boolean } = {}): Promise<{ payload: T | null; timedOut: boolean; signal?: string | null }> => {
        const tell = o.tell ?? true;
        const base = o.key ?? (typeof signals === 'string' ? signals : signals.join('|'));
        const wait = (ms: number, key: string | undefined) =>
          typeof signals === 'string' ? ctx.waitForSignal<T | null>(signals, { timeoutMs: ms, fallback: null, ...(key ? { key } : {}) }) : ctx.waitForAnySignal<T | null>(signals, { timeoutMs: ms, fallback: null, key: key ?? base });
        if (version < 2 || !deps.evidence) return wait(timeoutMs, o.key);
        const untilMs = (await ctx.now(`${base}-from`)) + timeoutMs;
        for (;;) {
          const nowMs = await ctx.now(`look-${look.round}`);
          const young = nowMs < raisedMs + policy.showingForMs;
          if (young) {
            const seen = await ctx.step(showing, { alarm, fromMs: look.fromMs, toMs: nowMs }, { key: `showing-${look.round}` });
            look.fromMs = nowMs;
            const fresh = seen.filter((c) => !known.has(c));
            for (const c of fresh) known.add(c);
            look.found += fresh.length;
            if (tell) {
              // `untold` (the wait for the contact hours, version 7): everyone showing it not told yet, found at the alarm or not.
              const toldSet = o.untold ? new Set(notified) : undefined;
              const toTell = toldSet ? [...new Set(seen)].filter((c) => !toldSet.has(c)) : fresh;
              const out = await runBatches(ctx, { step: outageNotices, alarm, customers: toTell, key: `notice-showing-${look.round}`, under: told, toldOf, earlier: faultBefore, ...place });
              notified.push(...out.executed, ...toldBy(out));
              look.pending += out.pending.length;
              look.refused += out.refused;
              look.failed += out.failed;
            }
          }
          const left = untilMs - nowMs;
          if (left <= 0) return { payload: null, timedOut: true, signal: null };
          const w = await wait(young ? Math.min(policy.showingEveryMs, left) : left, `${base}-${look.round}`);
          look.round++;
          if (!w.timedOut) return w;
        }
      };

      // Version 4: a quiet severity is watched (decision 0072): its customers are found and looked
      // for as it goes on, nobody is told or paid, and an escalation to a severity that serves
      // customers makes the run act from then on, the outage counted from the escalation.
      let outageFromMs = raisedMs;
      if (version >= 4 && !servesCustomers(asRaised)) {
        // Version 6: the watch lasts as long as the alarm is raised (a week at a time, one journaled
        // wait each), as a warning escalated after its week was never acted on; before, it ended
        // after `maxOpenMs`, and an escalation after that told nobody and paid nobody.
        let w = await waitWatching<AlarmCleared & Partial<AlarmEscalated>>(ALARM_WATCH_ENDED_SIGNAL, policy.maxOpenMs, { tell: false });
        for (let week = 1; version >= 6 && w.timedOut; week++) w = await waitWatching<AlarmCleared & Partial<AlarmEscalated>>(ALARM_WATCH_ENDED_SIGNAL, policy.maxOpenMs, { tell: false, key: `${ALARM_WATCH_ENDED_SIGNAL}-${week}w` });
        const escalatedTo = w.payload?.escalatedTo;
        if (w.timedOut || escalatedTo === undefined || !servesCustomers({ perceivedSeverity: escalatedTo })) {
          const clearedTime = w.timedOut ? undefined : w.payload?.clearedTime;
          const endMs = w.timedOut ? undefined : clearedTime ? Date.parse(clearedTime) : await ctx.now('watch-ended-at');
          return { alarmId: asRaised.id, affected: known.size, notified: 0, pendingApproval: 0, refused: 0, failed: 0, ticket: null, compensated: 0, compensationPending: 0, cleared: !w.timedOut, durationMs: endMs === undefined ? null : endMs - raisedMs, resolutionNotices: 0, showing: look.found, notToldCleared: 0, watched: true };
        }
        alarm = { ...asRaised, perceivedSeverity: escalatedTo };
        outageFromMs = w.payload?.escalatedTime ? Date.parse(w.payload.escalatedTime) : await ctx.now('escalated-at');
      }
      // Version 10: whose outage notice, still unresolved, stands for this alarm's (one notice a fault).
      if (version === 10 && deps.alarmsOnPlace) faultBefore = await ctx.step(faultBeforeStep, { alarm: asRaised }, { key: FAULT_BEFORE_STEP_ID });
      const customers = [...known];
      const [head, rest] = [customers.slice(0, policy.firstBatch), customers.slice(policy.firstBatch)];
      /**
       * Version 3: the clear that already came (the alarm given cleared, or its signal waiting in
       * the journal), looked at without waiting; a notice of an outage that is over is not sent.
       */
      let clearedEarly: AlarmCleared | undefined;
      const clearedNow = async (key: string): Promise<boolean> => {
        if (version < 3) return false;
        if (clearedEarly) return true;
        if (alarm.state === 'cleared') clearedEarly = alarm.clearedTime ? { clearedTime: alarm.clearedTime } : {};
        else {
          const peek = await ctx.waitForSignal<AlarmCleared | null>(ALARM_CLEARED_SIGNAL, { timeoutMs: 0, fallback: null, key });
          if (!peek.timedOut) clearedEarly = peek.payload ?? {};
        }
        return clearedEarly !== undefined;
      };
      const none: BatchOutcome = { executed: [], pending: [], refused: 0, failed: 0 };
      /**
       * Version 7: in the contact policy's quiet hours the notices wait for their end, the ticket
       * having gone first. The wait watches: a customer showing the incident meanwhile is told at
       * once, and a clear ends it (then the outage is over and not told).
       */
      const dayFor = async (key: string): Promise<number | undefined> => {
        if (version < 7 || !deps.contactAllowedAt) return undefined;
        const nowMs = await ctx.now(key);
        // Journaled: a replay after the policy changed takes the path the run took.
        const opens = await ctx.step(contactHours, { nowMs }, { key: `${key}-open` });
        return opens > nowMs ? opens - nowMs : undefined;
      };
      let ticketStatus: GuardedStatus | undefined;
      const nightMs = version >= 7 && !(await clearedNow('cleared-before-notice-hours')) ? await dayFor('notice-hours') : undefined;
      if (nightMs !== undefined) {
        ticketStatus = await ctx.step(ticket, { alarm, affected: customers.length });
        const w = await waitWatching<AlarmCleared>(ALARM_CLEARED_SIGNAL, nightMs, { key: 'notice-hours', untold: true });
        if (!w.timedOut) clearedEarly = w.payload ?? {};
      }
      // Those told while the run waited for the contact hours are not asked again (none before version 7).
      const toldBefore = new Set(notified);
      const toldAtNight = customers.filter((c) => toldBefore.has(c)).length;
      const untold = (some: readonly string[]) => (toldAtNight > 0 ? some.filter((c) => !toldBefore.has(c)) : some);
      const firstOut = (await clearedNow('cleared-before-notice-first')) ? none : await runBatches(ctx, { step: outageNotices, alarm, customers: untold(head), key: 'notice-first', firstSize: policy.firstBatch, under: told, toldOf, earlier: faultBefore, ...place });
      ticketStatus ??= await ctx.step(ticket, { alarm, affected: customers.length });
      const restOut = (await clearedNow('cleared-before-notice')) ? none : await runBatches(ctx, { step: outageNotices, alarm, customers: untold(rest), key: 'notice', under: told, toldOf, earlier: faultBefore, ...place });
      // With those whose turn came after the clear (`over`: the run had not heard it yet).
      const notToldCleared = (clearedEarly ? customers.length - toldAtNight - (firstOut === none ? 0 : untold(head).length) : 0) + (firstOut.over ?? 0) + (restOut.over ?? 0);
      notified.push(...firstOut.executed, ...toldBy(firstOut), ...restOut.executed, ...toldBy(restOut));

      /** What the run reports at its end, from what it did. */
      const result = (comp: BatchOutcome, cleared: boolean, endMs: number | undefined, resolved: BatchOutcome | undefined): ServiceOpsResult => ({
        alarmId: alarm.id,
        affected: customers.length,
        notified: notified.length,
        pendingApproval: firstOut.pending.length + restOut.pending.length + look.pending,
        refused: firstOut.refused + restOut.refused + look.refused,
        failed: firstOut.failed + restOut.failed + look.failed,
        ticket: ticketStatus,
        compensated: comp.executed.length,
        compensationPending: comp.pending.length,
        cleared,
        durationMs: endMs === undefined ? null : endMs - raisedMs,
        resolutionNotices: resolved?.executed.length ?? 0,
        showing: look.found,
        ...(version >= 3 ? { notToldCleared } : {}),
        ...(alarm.perceivedSeverity !== asRaised.perceivedSeverity ? { escalatedTo: alarm.perceivedSeverity } : {}),
      });

      if (version >= 6) {
        // Version 6: the run hears every change of its alarm to a worse severity while it acts (a
        // minor made major, a major made critical) and re-judges what is owed: its later notices
        // (to customers found showing it, the resolution) name the severity in force, the
        // compensation is that severity's, counted from when the alarm first took a compensated
        // severity, and customers already paid a lower severity's amount are paid the difference.
        // Before, an acting run heard no escalation: a minor alarm made major paid nobody.
        const amountOf = (severity: Alarm['perceivedSeverity']) => policy.compensation[severity] ?? 0;
        let isCleared = alarm.state === 'cleared' || clearedEarly !== undefined;
        let clearTime = alarm.state === 'cleared' ? alarm.clearedTime : clearedEarly?.clearedTime;
        // Hours at a severity not compensated (a warning, a minor alarm) are not hours of a compensated outage.
        let paidFromMs: number | undefined = amountOf(alarm.perceivedSeverity) > 0 ? outageFromMs : undefined;
        let judgements = 0;
        const judge = (fromMs: number) => ctx.step(severityStep, { severity: alarm.perceivedSeverity, fromMs, outageFromMs: paidFromMs ?? outageFromMs }, { key: `${SEVERITY_STEP_ID}-${judgements++}` });
        await judge(outageFromMs);
        /**
         * Hears the escalations sent to the run (`alarm-severity-*` worse than the severity it acts
         * on, worst first: a major and a critical both sent act as critical), the one way for both
         * paths that do: a look without waiting (`timeoutMs` 0: nothing journaled when nothing is
         * worse) and the acting loop's wait, watching, for them or the clear (`orCleared`). Made
         * worse, the run acts on the new severity from the escalation's time (else now, journaled as
         * `atKey`), the compensated outage counted from the first severity compensated, and judges
         * it (`severity-N`). Answers what it heard: the escalation, the clear, or nothing in time.
         */
        const hearSeverities = async (o: { key: string; atKey: string; timeoutMs: number; orCleared?: boolean }): Promise<{ heard: 'escalated' | 'nothing' } | { heard: 'cleared'; clearedTime: string | undefined }> => {
          const worse = ACTING_ORDER.slice(ACTING_ORDER.indexOf(alarm.perceivedSeverity) + 1).reverse().map(alarmSeveritySignal);
          const signals = o.orCleared ? [...worse, ALARM_CLEARED_SIGNAL] : worse;
          if (signals.length === 0) return { heard: 'nothing' };
          const w =
            o.timeoutMs === 0
              ? await ctx.waitForAnySignal<(AlarmCleared & Partial<AlarmEscalated>) | null>(signals, { timeoutMs: 0, fallback: null, key: o.key })
              : await waitWatching<AlarmCleared & Partial<AlarmEscalated>>(signals, o.timeoutMs, { key: o.key });
          if (w.timedOut) return { heard: 'nothing' };
          if (!w.payload?.escalatedTo || w.signal === ALARM_CLEARED_SIGNAL) return o.orCleared ? { heard: 'cleared', clearedTime: w.payload?.clearedTime } : { heard: 'nothing' };
          const atMs = w.payload.escalatedTime ? Date.parse(w.payload.escalatedTime) : await ctx.now(o.atKey);
          alarm = { ...alarm, perceivedSeverity: w.payload.escalatedTo };
          if (paidFromMs === undefined && amountOf(alarm.perceivedSeverity) > 0) paidFromMs = atMs;
          await judge(atMs);
          return { heard: 'escalated' };
        };
        // Version 7: the alarm made worse and cleared while the run waited for the contact hours: the
        // loop below hears no escalation once cleared, so the worst one sent is heard here, and what
        // is owed is judged on it (a minor made major at night and cleared before the day was paid as
        // a minor: nothing).
        if (version >= 7 && isCleared) await hearSeverities({ key: 'escalated-before-clear', atKey: 'escalated-before-clear-at', timeoutMs: 0 });
        const asked = new Set<string>();
        // Each customer's payment by amount: carried out, or (version 8) waiting for a person, who
        // pays it if approved; the difference after an escalation is owed on either.
        const paid = new Map<string, number>();
        // Of them, whose payment (or a top-up of it) the run left waiting for a person: a top-up's approver is told.
        const waiting = new Set<string>();
        // Version 10: the request ids of each customer's payment and top-ups asked (under the incident, or
        // the alarm's own where the incident's was held): what a later top-up names as what it adds to.
        const askedUnder = new Map<string, string[]>();
        const keep = (r: BatchOutcome, purpose: string) => {
          for (const c of [...r.executed, ...r.pending]) askedUnder.set(c, [...(askedUnder.get(c) ?? []), `${r.underAlarm?.includes(c) ? alarm.id : (continues ?? alarm.id)}:${purpose}:${c}`]);
        };
        const owes = (r: BatchOutcome) => {
          for (const c of r.pending) waiting.add(c);
          return version >= 8 ? [...r.executed, ...r.pending] : r.executed;
        };
        const comp: BatchOutcome = { executed: [], pending: [], refused: 0, failed: 0 };
        let raisedPay = 0;
        let thresholdPaid = false;
        /**
         * Asks compensation for every customer found and not asked yet, at the severity in force.
         * Version 11: less what alarms overlapping on the place paid them for the same outage, looked
         * at once before the batches (journaled: a replay pays as decided), up to `untilMs` (the clear), else now.
         */
        const payFound = async (prefix: string, untilMs?: number) => {
          const amount = amountOf(alarm.perceivedSeverity);
          const who = [...known].filter((c) => !asked.has(c));
          for (const c of who) asked.add(c);
          const paidElsewhere = onPlace && deps.compensatedBy && who.length > 0 ? await ctx.step(paidOnPlaceStep, { alarm, customers: who, untilMs: untilMs ?? (await ctx.now(`${prefix}-${PAID_ON_PLACE_STEP_ID}-at`)), onPlace }, { key: `${prefix}-${PAID_ON_PLACE_STEP_ID}` }) : {};
          const r = await runBatches(ctx, { step: compensation, alarm, customers: who, key: prefix, under: continues, paidElsewhere });
          keep(r, COMPENSATION_STEP_ID);
          for (const c of owes(r)) paid.set(c, amount);
          // Paid in full by an overlapping alarm: what they have is what a later escalation tops up from.
          for (const [c, e] of Object.entries(paidElsewhere)) if (!paid.has(c) && r.why?.[c]?.status === 'asked-before') paid.set(c, e.amount);
          comp.executed.push(...r.executed);
          comp.pending.push(...r.pending);
          comp.refused += r.refused;
          comp.failed += r.failed;
        };
        /** After a worse severity, the difference to each customer paid (or, version 8, asked) a lower one's amount. */
        const payDifference = async () => {
          const amount = amountOf(alarm.perceivedSeverity);
          const byPaid = new Map<number, string[]>();
          for (const [c, p] of paid) if (p < amount) byPaid.set(p, [...(byPaid.get(p) ?? []), c]);
          for (const [p, who] of [...byPaid].sort((x, y) => x[0] - y[0])) {
            const r = await runBatches(ctx, { step: uplift, alarm, customers: who, key: `compensation-uplift-${alarm.perceivedSeverity}-${p}`, under: continues, paidBefore: p, waiting, ...(version >= 10 ? { addsTo: askedUnder } : {}) });
            keep(r, `${COMPENSATION_STEP_ID}-uplift-${alarm.perceivedSeverity}`);
            for (const c of owes(r)) paid.set(c, amount);
            raisedPay += r.executed.length;
          }
        };
        const byClear = confirmed === true;
        let leaveAtMs = (await ctx.now('acting-from')) + policy.maxOpenMs;
        for (let round = 0; !isCleared; round++) {
          const amount = amountOf(alarm.perceivedSeverity);
          const dueMs = amount > 0 && !thresholdPaid && !byClear && paidFromMs !== undefined ? paidFromMs + policy.compensateAfterMs : Infinity;
          const untilMs = Math.min(dueMs, leaveAtMs);
          const nowMs = await ctx.now(`acting-${round}`);
          const w = await hearSeverities({ key: `acting-${round}`, atKey: `escalated-${round}`, timeoutMs: Math.max(1, untilMs - nowMs), orCleared: true });
          if (w.heard === 'nothing') {
            // At the threshold, or (a confirmed alarm) still open when its wait ran out, which is the evidence: everyone found is owed.
            if (amount > 0 && !thresholdPaid) {
              thresholdPaid = true;
              await payFound(COMPENSATION_STEP_ID);
              leaveAtMs = (await ctx.now(`paid-${round}`)) + policy.maxOpenMs;
              continue;
            }
            break;
          }
          if (w.heard === 'cleared') {
            [isCleared, clearTime] = [true, w.clearedTime];
            break;
          }
          // An alarm made worse late in its wait is waited for a full one from then.
          leaveAtMs = Math.max(leaveAtMs, (await ctx.now(`heard-${round}`)) + policy.maxOpenMs);
          if (thresholdPaid) await payDifference();
        }
        const endMs = isCleared ? (clearTime ? Date.parse(clearTime) : await ctx.now('cleared-at')) : undefined;
        if (thresholdPaid) await payFound('compensation-later', endMs);
        else if (amountOf(alarm.perceivedSeverity) > 0 && endMs !== undefined && paidFromMs !== undefined && endMs - paidFromMs > policy.compensateAfterMs) await payFound(COMPENSATION_STEP_ID, endMs);
        // Version 7: told it is over in the contact policy's hours, not woken for it.
        const resolutionWait = isCleared && notified.length > 0 ? await dayFor('resolution-hours') : undefined;
        if (resolutionWait !== undefined) await ctx.sleep('resolution-hours', resolutionWait);
        // Version 8: a fault back overnight (an alarm raised on the place after the clear, open at
        // the morning) is down again for those it touches: they are not told it is resolved (the
        // new alarm's run tells them of it, and of its end). Version 10 looks whenever the resolution
        // goes, at once too (a run slowed behind a busy engine, a fault back within minutes), and
        // leaves out those a later alarm's run told it is resolved already: one notice a fault.
        // Version 11: any other alarm open on the place, overlapping (raised before the clear) or back,
        // and each resolution looks again when it is asked (a raise at the instant of the clear).
        let back: FaultBack | null = null;
        if (isCleared && notified.length > 0 && deps.alarmsOnPlace && endMs !== undefined && (version >= 10 || (version >= 8 && resolutionWait !== undefined))) {
          back = await ctx.step(faultBackStep, { alarm, sinceMs: endMs, atMs: await ctx.now('fault-back-at'), customers: notified, ...(version >= 10 ? { resolved: true, ...(toldEarlier.size > 0 ? { toldBy: Object.fromEntries(toldEarlier) } : {}) } : {}), ...place }, { key: FAULT_BACK_STEP_ID });
        }
        const downAgain = new Set([...(back?.customers ?? []), ...Object.keys(back?.resolvedBy ?? {})]);
        const toResolve = downAgain.size > 0 ? notified.filter((c) => !downAgain.has(c)) : notified;
        const resolved = isCleared ? await runBatches(ctx, { step: resolutionNotices, alarm, customers: toResolve, key: 'resolution', under: told, ...place, ...(onPlace && endMs !== undefined ? { clearedMs: endMs } : {}) }) : undefined;
        const withheld = downAgain.size + Object.keys(resolved?.down ?? {}).length;
        return { ...result(comp, isCleared, endMs, resolved), ...(raisedPay > 0 ? { compensationRaised: raisedPay } : {}), ...(withheld > 0 ? { resolutionWithheld: withheld } : {}) };
      }

      // Wait for the clear, at most until the compensation threshold; a clear reported by the
      // alarm itself (started late, already cleared) counts as well.
      const compensable = (policy.compensation[alarm.perceivedSeverity] ?? 0) > 0;
      const startedMs = await ctx.now('started');
      let clearedTime = alarm.state === 'cleared' ? alarm.clearedTime : clearedEarly?.clearedTime;
      let cleared = alarm.state === 'cleared' || clearedEarly !== undefined;
      // A confirmed alarm (raised by a person) waits for its clear: only the clear says how long it lasted.
      const byClear = confirmed === true;
      if (!cleared) {
        const firstWait = compensable && !byClear ? Math.max(0, outageFromMs + policy.compensateAfterMs - startedMs) : policy.maxOpenMs;
        const w = await waitWatching<AlarmCleared>(ALARM_CLEARED_SIGNAL, Math.max(1, firstWait));
        if (!w.timedOut) [cleared, clearedTime] = [true, w.payload?.clearedTime];
      }
      const lastedMs = cleared ? (clearedTime ? Date.parse(clearedTime) : await ctx.now('cleared-at')) - outageFromMs : (await ctx.now('threshold-at')) - outageFromMs;
      let comp: BatchOutcome = { executed: [], pending: [], refused: 0, failed: 0 };
      // Still open at the threshold (the wait timed out) counts as lasting past it, when a network
      // system vouches for it; a confirmed alarm, on a clear past the threshold or still open when
      // its wait (maxOpenMs, days past the threshold) ran out: that it is still open then is itself
      // the evidence (one whose signals never stopped was never compensated, nor told it was over).
      const compensate = compensable && (!cleared || lastedMs > policy.compensateAfterMs);
      // Version 5: every customer it touched is owed (found at the alarm or showing it since), told
      // or not: a notice that failed or was refused (no consent for messages) takes nothing off the
      // outage they lived through; whom the policy holds back (a leaver, a cap) it says, with why.
      // Before: those told, or everyone when the outage was over before anyone was told.
      const owedNow = (): readonly string[] => (version >= 5 ? [...known] : clearedEarly ? customers : notified);
      const owed = owedNow();
      if (compensate) comp = await runBatches(ctx, { step: compensation, alarm, customers: owed, key: 'compensation', under: continues });
      if (!cleared && compensable) {
        const compensatedSoFar = owed.length;
        const w = await waitWatching<AlarmCleared>(ALARM_CLEARED_LATE_SIGNAL, policy.maxOpenMs);
        if (!w.timedOut) [cleared, clearedTime] = [true, w.payload?.clearedTime];
        // Those found (version 5; told, before) after the compensation ran are owed it as well.
        const later = await runBatches(ctx, { step: compensation, alarm, customers: (version >= 5 ? owedNow() : notified).slice(compensatedSoFar), key: 'compensation-later', under: continues });
        comp = { executed: [...comp.executed, ...later.executed], pending: [...comp.pending, ...later.pending], refused: comp.refused + later.refused, failed: comp.failed + later.failed };
      }
      const resolved = cleared ? await runBatches(ctx, { step: resolutionNotices, alarm, customers: notified, key: 'resolution', under: told }) : undefined;
      const endMs = cleared ? (clearedTime ? Date.parse(clearedTime) : await ctx.now('resolved-at')) : undefined;
      return result(comp, cleared, endMs, resolved);
    },
  };
}
