import type { Alarm, NetworkAlarmsConnector } from '../../domain/connectors/network-alarms.js';
import { toTwinloopError, type TwinloopError } from '../../domain/errors.js';
import { severityHistory } from './alarm-inbox.js';
import { servesCustomers, signalAlarmCleared, signalAlarmEscalated, signalAlarmSeverity, type AlarmCleared } from './service-ops-signals.js';
import { SERVICE_OPS_WORKFLOW_ID } from './service-operations-flow.js';

/**
 * Turns the network alarm feed into service-operations workflows: one workflow per alarm, its id
 * the alarm id (so a repeated or replayed alarm starts nothing new), and the clear delivered to
 * the running workflow as a signal, as is an update that raises a watched alarm (a warning) to a
 * severity that serves customers (decision 0072). Work for one alarm is chained, so a clear that
 * the feed reports right after the raise reaches a workflow that exists.
 */

/** What the watcher needs of the workflow engine. */
export interface WorkflowStarter {
  start(definitionId: string, input: unknown, options: { workflowId: string }): Promise<{ workflowId: string; created: boolean }>;
  signal(workflowId: string, name: string, payload: unknown): Promise<boolean>;
}

/** Options of `watchAlarms`. */
export interface AlarmWatcherOptions {
  alarms: NetworkAlarmsConnector;
  engine: WorkflowStarter;
  /** Alarms to start a flow for (default: all; the flow watches a warning or indeterminate one and acts on the others). */
  accept?: (alarm: Alarm) => boolean;
  /** Called when starting or signalling fails (the alarm is not lost: `catchUp` finds it again). */
  onError?: (err: TwinloopError, alarm: Alarm) => void;
  /** The incident a new alarm continues (a confirmed suspected incident on its cell or site, or the cleared alarm whose fault is back), passed to its flow. */
  incidentOf?: (alarm: Alarm) => { incident: string; noticesUnder?: string; toldOf?: string[] } | undefined;
  /** Whether an alarm was raised by a person confirming a suspected incident (its flow's compensation waits for its clear). */
  confirmed?: (alarm: Alarm) => boolean;
  /** Called once the workflow of a raised alarm is started (benchmarks, logs). */
  onStarted?: (alarm: Alarm, created: boolean) => void;
}

/** A watcher subscribed to the alarm feed. */
export interface AlarmWatcher {
  /** Starts workflows for raised alarms and signals cleared ones that the feed lists now (after a restart). */
  catchUp(since?: string): Promise<{ started: number; signalled: number }>;
  /** Resolves once every alarm received so far has been handed to the engine. */
  idle(): Promise<void>;
  /** Unsubscribes. */
  stop(): void;
  readonly stats: { raised: number; started: number; cleared: number; signalled: number; escalated: number; ignored: number; errors: number };
}

/** Subscribes to the alarm feed and starts or signals one workflow per alarm. */
export function watchAlarms(options: AlarmWatcherOptions): AlarmWatcher {
  const { alarms, engine } = options;
  const accept = options.accept ?? (() => true);
  const stats = { raised: 0, started: 0, cleared: 0, signalled: 0, escalated: 0, ignored: 0, errors: 0 };
  const chains = new Map<string, Promise<void>>();
  // Cleared alarms only ever signal; their severity says 'cleared', so acceptance is decided on the raise.
  const acceptedIds = new Set<string>();

  const fail = (alarm: Alarm) => (err: unknown) => {
    stats.errors++;
    options.onError?.(toTwinloopError(err), alarm);
  };

  const startFor = async (alarm: Alarm): Promise<boolean> => {
    const link = options.incidentOf?.(alarm);
    const confirmed = options.confirmed?.(alarm) === true;
    // The run starts on the alarm as raised (the severity its history began with): a change of
    // severity since, one the run never heard (the process stopped between keeping it and telling
    // the run), reaches it as a signal with its own time (escalateFor), so a warning made major
    // while this process was down counts its outage from the escalation, not from the raise.
    const raisedAs = severityHistory(alarm)?.[0].perceivedSeverity;
    const given = raisedAs && raisedAs !== alarm.perceivedSeverity && alarm.state !== 'cleared' ? { ...alarm, perceivedSeverity: raisedAs } : alarm;
    const r = await engine.start(SERVICE_OPS_WORKFLOW_ID, { alarm: given, ...(link ? { continues: link.incident, ...(link.noticesUnder ? { noticesUnder: link.noticesUnder, ...(link.toldOf ? { toldOf: link.toldOf } : {}) } : {}) } : {}), ...(confirmed ? { confirmed } : {}) }, { workflowId: alarm.id });
    if (r.created) stats.started++;
    options.onStarted?.(alarm, r.created);
    return r.created;
  };
  // An update to a severity that serves customers ends a watch (the run of a warning acts from
  // then on, from the first such change); each severity the alarm took after its raise is told to a
  // run that acts (version 6), which re-judges what is owed on a worse one. To a run that is not
  // waiting for it, a signal changes nothing; sent again (a catch-up), it is the same signal.
  const escalateFor = async (alarm: Alarm, created: boolean): Promise<void> => {
    const history = severityHistory(alarm);
    if (!history) {
      // An alarm of another feed, or kept before the inbox kept its severities: today's severity, from its last change.
      if (created || !servesCustomers(alarm)) return;
      const changed = (alarm as { changedTime?: unknown }).changedTime;
      if (await signalAlarmEscalated(engine, alarm.id, { escalatedTo: alarm.perceivedSeverity, ...(typeof changed === 'string' ? { escalatedTime: changed } : {}) })) stats.escalated++;
      return;
    }
    const later = history.slice(1).filter((h) => servesCustomers(h));
    if (later.length === 0) return;
    let heard = false;
    if (!servesCustomers(history[0])) heard = await signalAlarmEscalated(engine, alarm.id, { escalatedTo: later[0].perceivedSeverity, escalatedTime: later[0].fromTime });
    for (const h of later) heard = (await signalAlarmSeverity(engine, alarm.id, { escalatedTo: h.perceivedSeverity, escalatedTime: h.fromTime })) || heard;
    if (heard) stats.escalated++;
  };
  const signalFor = async (alarm: Alarm): Promise<boolean> => {
    const payload: AlarmCleared = alarm.clearedTime ? { clearedTime: alarm.clearedTime } : {};
    const delivered = await signalAlarmCleared(engine, alarm.id, payload);
    if (delivered) stats.signalled++;
    return delivered;
  };

  const enqueue = (alarm: Alarm, work: () => Promise<unknown>): void => {
    const prev = chains.get(alarm.id) ?? Promise.resolve();
    const next = prev.then(work).then(() => undefined, fail(alarm));
    chains.set(alarm.id, next);
    // Forget the chain once it is done and nothing was queued behind it (bounded memory).
    void next.then(() => {
      if (chains.get(alarm.id) === next) chains.delete(alarm.id);
    });
  };

  const onAlarm = (alarm: Alarm): void => {
    if (alarm.state === 'cleared') {
      stats.cleared++;
      // Signalled even when this process did not see the raise (it may have started after it):
      // a signal to a run that does not exist or has finished changes nothing.
      acceptedIds.delete(alarm.id);
      // A confirmation of a suspicion its evidence says is over raises its alarm cleared (decision
      // 0057): its flow starts on the clear (tells nobody, opens the ticket, pays if it lasted past
      // the threshold). For one whose run exists, the start is the run's id again: nothing new.
      if (options.confirmed?.(alarm) === true && accept(alarm)) enqueue(alarm, () => startFor(alarm));
      enqueue(alarm, () => signalFor(alarm));
      return;
    }
    stats.raised++;
    if (!accept(alarm)) {
      stats.ignored++;
      return;
    }
    acceptedIds.add(alarm.id);
    enqueue(alarm, async () => {
      const created = await startFor(alarm);
      if (alarm.state === 'updated') await escalateFor(alarm, created);
    });
  };

  const unsubscribe = alarms.subscribe(onAlarm);
  return {
    stats,
    async catchUp(since) {
      let started = 0;
      let signalled = 0;
      // Raised, and updated (an escalation while this process was down: a run that watches it hears of it).
      for (const state of ['raised', 'updated'] as const) {
        const open = await alarms.list({ idempotencyKey: `catch-up:${since ?? 'all'}:${state}`, state, since });
        if (open.status !== 'ok') continue;
        for (const a of open.value.filter(accept)) {
          acceptedIds.add(a.id);
          const created = await startFor(a);
          if (created) started++;
          if (state === 'updated') await escalateFor(a, created);
        }
      }
      const cleared = await alarms.list({ idempotencyKey: `catch-up:${since ?? 'all'}:cleared`, state: 'cleared', since });
      if (cleared.status === 'ok') {
        // A signal to an unknown or finished workflow is simply not delivered. A confirmed alarm
        // raised cleared (over by its evidence) whose run never started (a stop right after the raise) starts now.
        for (const a of cleared.value) {
          if (options.confirmed?.(a) === true && accept(a) && (await startFor(a))) started++;
          if (await signalFor(a)) signalled++;
        }
      }
      return { started, signalled };
    },
    async idle() {
      while (chains.size > 0) await Promise.all([...chains.values()]);
    },
    stop: unsubscribe,
  };
}
