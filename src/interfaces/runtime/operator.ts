import { ASSISTED_CHANNELS, type Channel } from '../../domain/events.js';
import { DAY_MS } from '../../domain/time.js';
import { threadCpuSecondsIfKnown } from '../../domain/cpu-time.js';
import { startAssist, type Assist } from '../../agents/assist/assist-service.js';
import { earlierDecisions } from '../../agents/assist/earlier-decisions.js';
import { decisionExpiresAt } from '../../decisioning/decision-action.js';
import { actionForDecision } from './decision-actions.js';
import { watchAlarms, type AlarmWatcher } from '../../agents/flows/alarm-watcher.js';
import { ANOMALY_SOURCE_SYSTEM_ID, DEFAULT_CHAIN_REACH_MS, linkConfirmedIncidents } from '../../agents/flows/suspected-incidents.js';
import { DEFAULT_CELL_ANOMALY_OPTIONS } from '../../intelligence/anomaly/cell-anomaly-detector.js';
import { NatsEventBus, PARTITION_STREAM_MAX_AGE_MS, type NatsEventBusOptions, type PartitionedStreamOptions } from '../../bus/nats-event-bus.js';
import { partitionSubject, partitionSubjects } from '../../domain/partitions.js';
import { openPostgresPartitionCheckpoints } from '../../store/postgres-partition-checkpoints.js';
import { openPartitionOwners, openPostgresPartitionLeases } from '../../store/postgres-partition-leases.js';
import { PARTITION_CONSUMER, startPartitionWorker, type PartitionWorker } from '../../twin/partition-worker.js';
import { startIntelligence, type Intelligence } from '../../intelligence/live/live-intelligence.js';
import { buildTrainingPartInThread, fitFirstChurnModelInThread, trainChurnInThread } from '../../intelligence/twin-training/churn-training-thread.js';
import type { TrainingPart } from '../../intelligence/twin-training/training-parts.js';
import type { TwinTrainingSetOptions } from '../../intelligence/twin-training/twin-training-set.js';
import { CHURN_MODEL_NAME } from '../../intelligence/twin-training/train-churn-from-twins.js';
import { collectTrainingRows } from '../../intelligence/twin-training/training-row-collector.js';
import type { RegisteredModel } from '../../intelligence/live/churn-model-service.js';
import { promoteWithReason } from '../../agents/governance/model-promotion.js';
import type { SandboxWorld, WorldConfig } from '../../sandbox/index.js';
import type { StoreOptions } from '../../store/store-options.js';
import type { RecordStore } from '../../store/record-store.js';
import { openModelRegistry } from '../../store/open-model-registry.js';
import { openRecordStore } from '../../store/open-record-store.js';
import { HISTORY_WAY_OUT } from '../../store/sqlite-seeded-history.js';
import { startBusIntake, type BusIntakeHandle } from '../../twin/bus-intake.js';
import type { TwinService } from '../../twin/twin-service.js';
import { DEFAULT_MAX_FUTURE_MS, type AcceptedEvent } from '../../twin/intake.js';
import { DEFAULT_CONTEXT_WINDOW_MS } from '../../twin/customer-context.js';
import { TwinloopError } from '../../domain/errors.js';
import type { Authenticator } from '../auth/authenticator.js';
import { ensureAdminKey, openAuthenticator, type AuthSettings, type FirstAdminKey } from '../auth/local-auth.js';
import { openHttpBss, sandboxBss, type Bss } from './bss.js';
import { openTwins, removeServerLock, writeServerLock } from './open-twins.js';
import { operatorFlows, type ChurnWorkHere, type OperatorFlows, type PopulationAcrossWorkers } from './operator-flows.js';
import { churnAcrossWorkers } from './churn-across-workers.js';
import { liveChurnCeiling, type LiveChurnCeiling } from './live-churn-ceiling.js';
import { DEFAULT_TRAINING_CUSTOMERS, sampleTrainingCustomers } from '../../intelligence/twin-training/training-customers.js';
import { campaignAcrossWorkers } from './campaign-across-workers.js';
import type { CampaignDelivery } from './campaign-delivery.js';
import { workerHeaders } from './worker-identity.js';
import { noChurnModelRefusal, openOperatorServices, TRAIN_A_CHURN_MODEL, type OperatorServices } from './operator-services.js';
import { interactionsFromLog } from './interactions-from-log.js';
import { startLogWaiting } from './start-log-pass.js';
import { forwardSandboxAlarms } from './sandbox-alarms.js';
import { planSandbox, readStoredSandboxState, sandboxAwareClock, startSandboxOperator, storedSandboxState, worldClock, type SandboxOperator, type SeededHistoryOptions } from './sandbox-operator.js';
import { startHistoryWriter, type HistoryWriter } from './history-writer.js';
import { startWriteBehind } from './write-behind.js';
import { CheckpointCadence } from '../../twin/checkpoint-cadence.js';

/** Checkpoint on a timer too, so a quiet system still bounds its replay after a crash. */
const CHECKPOINT_INTERVAL_MS = 30_000;
/**
 * The share of the time the timer's checkpoints may take (`CheckpointCadence`): a checkpoint of
 * 20 s on a loaded machine puts the next one 200 s later, not back to back.
 */
const CHECKPOINT_MAX_SHARE = 0.1;

/** How long after the start a person's contact with no live call waits (503) for the interactions read back from the log. */
const READ_BACK_WAIT_MS = 120_000;
export { ALARM_MAX_AGE_MS, SANDBOX_ALARM_SOURCE } from './sandbox-alarms.js';
/** The proactive scan's monthly budget: a few hundred loyalty offers in the default world. */
export const DEFAULT_RETENTION_BUDGET = 2000;
/** Why a partition worker serves no churn model of its own making. */
const WORKER_NO_MODEL = 'a partition worker holds some of the twins and does not train: train at the gateway (POST /models/train) and this worker serves the champion within --model-check-every (docs/scale.md)';
/** Why a start ended with no churn model when nothing else said why. */
const NOT_ENOUGH_HISTORY = 'not enough history to train a churn model yet';
/** A simulated hour per real second: a day of the world every 24 s keeps the demo visibly moving. */
export const DEFAULT_SANDBOX_SPEED = 3600;

/** The simulated operator to run: which world, how much history, how fast it then lives. */
export interface SandboxOptions {
  readonly config: WorldConfig;
  /** The world's name (or its configuration file): a different name starts a new world. */
  readonly worldName: string;
  readonly seed: number;
  /** Months of history backfilled on the first start. */
  readonly months: number;
  /** Simulated time per real time in the live phase. */
  readonly speed: number;
  /**
   * Whether a first start on the embedded store takes its history from the seed, written behind
   * (decision 0021; default yes), or writes each batch before applying it (decision 0011).
   * `twinloop start` sets it from TWINLOOP_SEEDED_HISTORY (`seededHistoryWanted`).
   */
  readonly seededHistory?: boolean;
}

/** How long the first start took to have every twin present and scored, phase by phase (seconds since `startOperator`). */
export interface ReadyReport {
  readonly twins: number;
  /** Twins holding a churn score (0 when no model could be trained yet: `noModel` says why). */
  readonly scored: number;
  readonly seconds: number;
  /** Opening the store and recovering the twins from its checkpoint and log. */
  readonly openSeconds: number;
  /** The sandbox's history through the intake (0 when it was already in). */
  readonly historySeconds: number;
  /** Training the churn model and scoring every twin (0 when a champion already served). */
  readonly modelSeconds: number;
  /**
   * CPU time of the process (every thread) in the history and model phases: what the work cost,
   * which a shared machine's load does not move as it moves the wall time.
   */
  readonly historyCpuSeconds: number;
  readonly modelCpuSeconds: number;
  /**
   * Of `historyCpuSeconds`, the CPU of the thread the intake runs on (the sandbox's generation, the
   * intake's checks, the twins' reducers, the listeners, its share of garbage collection): the
   * history's bound on two idle cores, as the other threads work beside it. Absent where the
   * platform does not tell a thread's CPU.
   */
  readonly historyThreadCpuSeconds?: number;
  /** Events the history phase took in (the log's position it ended at, less the one it started from). */
  readonly historyEvents: number;
  /**
   * The history phase rebuilt a restarted sandbox world from its seed (decision 0025): its CPU is
   * mostly the rebuild's, on the intake's thread, not the events'.
   */
  readonly rebuiltWorld?: boolean;
  /**
   * CPU seconds of the model's training thread alone (absent when no model was trained now, or the
   * platform does not tell a thread's CPU): `modelCpuSeconds` also holds whatever else the process
   * did meanwhile (the live world's events, requests).
   */
  readonly trainingCpuSeconds?: number;
  /**
   * The model serving is the first model: fitted once on rows collected while the history was
   * applied; the full training runs behind and replaces it when it does better (`fullTraining`).
   */
  readonly firstModel?: boolean;
  readonly noModel?: string;
  /**
   * The first start's history taken from its seed (decision 0021): the share of it written to the
   * log when the twins had it (the history phase's end), and the seconds the model phase waited
   * for the rest (training reads the log). Absent when no history was being written behind.
   */
  readonly writtenBehind?: { readonly atHistoryEnd: number; readonly waitedSeconds: number };
}

/** What the running operator is made of. */
export interface OperatorOptions {
  /** Where everything is kept (embedded SQLite in a data dir, or PostgreSQL). */
  readonly store: StoreOptions;
  /** How late an event may arrive and still be applied in order (the twin layer's default when absent). */
  readonly latenessMs?: number;
  /** How often the registry's churn champion is read again (one trained or promoted elsewhere is served within this) and drift checked (default 60 s, `DEFAULT_CHECK_INTERVAL_MS`). */
  readonly modelCheckEveryMs?: number;
  /** The sandbox operator; absent: events come only from HTTP, files and the broker, and actions find no back ends (unless `connectors`). */
  readonly sandbox?: SandboxOptions;
  /**
   * The sandbox rebuilds its world (a restart) and takes its history only once this settles:
   * `twinloop start` passes its edges' listening, so a restart answers at once (decision 0025).
   * Absent: right after this returns.
   */
  readonly sandboxAfter?: Promise<unknown>;
  /**
   * The BSS over HTTP (`twinloop sandbox serve` in another process, or a BSS speaking the same TM
   * Forum APIs): actions and the flows act through it; not with `sandbox`.
   */
  readonly connectors?: { readonly kind: 'http'; readonly url: string; readonly token?: string };
  /** Also take events from NATS JetStream: its URL, and the stream, subject and durable consumer (defaults in `nats-event-bus.ts`). */
  readonly nats?: NatsEventBusOptions;
  /** Monthly budget of the proactive churn-prevention scan; 0 turns it off. */
  readonly retentionBudget: number;
  /** Contacts a managed campaign's tick asks at once (default CONTACTS_PER_BATCH, decision 0089); 1 asks them one at a time (`bench campaign-tick`'s baseline). */
  readonly campaignContactsPerBatch?: number;
  /** An action policy document put in force at start unless it already is (`--policy FILE`). */
  readonly actionPolicyFile?: { readonly document: unknown; readonly path: string };
  /** One line per notable event (stdout for the server). */
  readonly log: (line: string) => void;
  /** Faults that stop nothing (a failed training, a broker error); default stderr. */
  readonly warn?: (line: string) => void;
  /** How callers are authenticated; default: every caller presents a credential (`enforced`), no OIDC provider. */
  readonly auth?: AuthSettings;
  /** Run as a partition worker (PostgreSQL store, no sandbox, no single-consumer `nats`); absent: every twin in this process. */
  readonly worker?: WorkerOptions;
}

/**
 * A partition worker (`twinloop start --role worker`, decision 0012): it owns its fair share of
 * the partitions by leases in PostgreSQL and takes their events from their JetStream subjects,
 * which the gateway publishes on.
 */
export interface WorkerOptions {
  /** Unique among the workers of a deployment (the leases' presence lock refuses a second one). */
  readonly workerId: string;
  /** The broker, the partitioned stream, the subject base its partitions are under (`<base>.p07`) and the stream's max age. */
  readonly nats: PartitionedStreamOptions;
  /** How often the keeper looks for free partitions and gives back more than its share (default 3 s). */
  readonly keepEveryMs?: number;
  /** How often the live partitions' changed twins are checkpointed (default 30 s). */
  readonly checkpointEveryMs?: number;
}

/** Where the event clock's time comes from: what the console's header says beside it. */
export type EventClockSource = { kind: 'events' } | { kind: 'sandbox'; phase: 'backfilling' | 'live' | 'failed'; speed: number };

/** The running operator: every service the edges use, and how to stop it all. */
export interface Operator {
  readonly twins: TwinService;
  readonly intelligence: Intelligence;
  readonly services: OperatorServices;
  readonly assist: Assist;
  /** Who is asking: API keys, sessions and the OIDC provider every edge authenticates with. */
  readonly auth: Authenticator;
  /** The admin key this start made (the first start, or no admin key left), to show its owner once; absent otherwise. */
  readonly firstAdminKey?: FirstAdminKey;
  /** The simulated operator's world, when one runs. */
  readonly world?: SandboxWorld;
  /** When the sandbox world's backfilled history ends and its live run begins (ms), when one runs. */
  readonly sandboxLiveFromMs?: number;
  /** The churn model against the sandbox's truth on the live world (`GET /sandbox/churn-ceiling`), when a sandbox runs in this process. */
  readonly churnCeiling?: LiveChurnCeiling;
  /** Resolves when the sandbox's history is in (at once without a sandbox); rejects when the sandbox fails. */
  readonly ready: Promise<void>;
  /**
   * Resolves once every twin is present and scored: the history in and a churn model serving
   * (trained now when there is none). What a newcomer waits for; `twinloop start` prints it.
   */
  readonly scored: Promise<ReadyReport>;
  /** Where the event clock comes from now: the sandbox's simulated time (backfilling its history, then live at `speed`×), or the events sent in. */
  clockSource(): EventClockSource;
  /**
   * The world's time (ms), which acts are judged and dated by: while a sandbox or a followed BSS
   * runs, the later of its clock and the latest event applied; null without one (the event clock is then the time).
   */
  worldTime(): number | null;
  /** Share (0-1) of the first start's history written to the log while it is written behind (decision 0021); null when none is. */
  historyWritten(): number | null;
  /** Why the first start's history cannot be written to the log in this run, with what to do; null while it is written or when none is. */
  historyProblem(): string | null;
  /** Share (0-1) of a restarted sandbox world rebuilt from its seed while it is rebuilt (decision 0025); null otherwise. */
  worldRebuilt(): number | null;
  /** Why the sandbox's back ends take no act now (its history loading, its world rebuilt), with when to ask again; null when they do. */
  actsHeld(): string | null;
  /** Records the URL an edge serves on in the data dir's lock, where the CLI's commands find the server. */
  announce(url: string): void;
  /** `worker`: a partition worker (decision 0012); `all`: every twin in this process. */
  readonly role: 'all' | 'worker';
  /** A partition worker's partitions, once `servePartitions` started them; undefined otherwise. */
  partitions(): PartitionWorker | undefined;
  /**
   * A worker starts owning partitions once it answers at `url` (the gateway routes there): the
   * first keeper round runs before this resolves. BAD_INPUT on an operator that is not a worker.
   */
  servePartitions(url: string): Promise<PartitionWorker>;
  /** A partition worker's share of a training fanned out over the workers: its customers' rows, built in a thread with its own store connection (the event loop keeps serving). */
  buildTrainingRows(rows: Omit<TwinTrainingSetOptions, 'onProgress' | 'signal'>): Promise<TrainingPart>;
  /** This process's part of a churn-prevention run spanning the workers (its scan and check). */
  readonly churnHere: ChurnWorkHere;
  /** The managed campaigns' delivery side (on a worker: its part of a campaign spanning the workers, and the campaigns it runs). */
  readonly campaigns: CampaignDelivery;
  /** Stops everything in order; each part closes even if one before it fails (the first failure is thrown at the end). */
  close(): Promise<void>;
}

/**
 * Puts the running operator together — the one place where it is assembled. In order: the twins
 * over the store (taking the data dir's server lock), the model registry and live scoring, the
 * services (decisions, policy with approvals and audit, simulations, intents, workflows and the
 * business flows), the assist cards, the network-alarm watcher, the sandbox operator, the broker
 * intake and the checkpoint timer; then a churn model is trained once there is history, unless
 * one serves already. Every edge (HTTP, MCP, CLI) is built on the `Operator` it returns.
 */
/**
 * Who a card's kept action is judged as accepted by: a person serving the customer (the card's
 * reader; the contact rules read that a person asks, on the card's channel, not who).
 */
const CARD_ACCEPTOR = { kind: 'human', id: 'assist-card' } as const;

export async function startOperator(o: OperatorOptions): Promise<Operator> {
  const startedAt = Date.now();
  const warn = o.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const stateDir = o.store.kind === 'sqlite' ? o.store.dataDir : undefined;
  // The sandbox journals its back ends' acts in the record store, which opens with the services below.
  let recordsOpen: (records: RecordStore) => void = () => {};
  const records = new Promise<RecordStore>((resolve) => (recordsOpen = resolve));
  // Without a data dir (PostgreSQL) the sandbox's position is kept in the record store, read here before the world is planned.
  const previous = o.sandbox && !stateDir ? await openRecordStore(o.store).then((r) => readStoredSandboxState(r).finally(() => r.close())) : undefined;
  const plan = o.sandbox && planSandbox({ config: o.sandbox.config, worldName: o.sandbox.worldName, seed: o.sandbox.seed, months: o.sandbox.months, stateDir, previous, records });
  if (o.sandbox && o.connectors) throw new TwinloopError('BAD_INPUT', 'the in-process sandbox and --connectors http are two BSSs; run one (add --no-sandbox to use the one over HTTP)');
  const world = plan?.world;
  const bss: Bss | undefined = world ? sandboxBss(world, o.sandbox!.speed) : o.connectors && (await openHttpBss({ url: o.connectors.url, token: o.connectors.token, log: o.log }));
  const worker = o.worker;
  if (worker && (o.store.kind !== 'postgres' || o.sandbox || o.nats)) {
    throw new TwinloopError('BAD_INPUT', 'a partition worker keeps its twins in PostgreSQL (--database-url) and takes events only from its partitions (no sandbox, no --nats consumer): run --role worker --no-sandbox with --database-url and --nats-url');
  }
  // The intake's: no event of the sandbox (ahead of real time once live) nor of a real producer is refused as future.
  // The world's time a restart found it at: the operator's clock does not read before it while the
  // world is rebuilt from its first day (set once the twins are recovered, below).
  let reached = 0;
  const clock = sandboxAwareClock(() => bss?.clock, () => reached);
  const timeScale = bss ? bss.liveSpeed : 1;

  const twins = await openTwins(o.store, { clock, access: 'server', log: o.log, partitioned: Boolean(worker), latenessMs: o.latenessMs, ...(bss?.clockSlackMs ? { maxFutureMs: DEFAULT_MAX_FUTURE_MS + bss.clockSlackMs } : {}) });
  // Everything before the twins' newest event was lived; the world goes on from there (decision 0026).
  reached = twins.engine.eventClock;
  const openedAt = Date.now();
  const openedCpu = process.cpuUsage();
  const openedThreadCpu = threadCpuSecondsIfKnown();
  const openedSeq = twins.appliedSeq();
  const registry = await openModelRegistry(o.store);
  // A worker's partitions, bound late: they start once the server listens (`servePartitions`).
  let partitionWorker: PartitionWorker | undefined;
  // Models train in a thread of their own reading the store through its own connection: the
  // event loop keeps answering while the first model trains (issue 16).
  const intelligence = await startIntelligence(twins, registry, {
    log: (line) => o.log(`models: ${line}`),
    trainer: (options) => trainChurnInThread(o.store, options),
    firstTrainer: (rows, options) => fitFirstChurnModelInThread(o.store, rows, options),
    checkIntervalMs: o.modelCheckEveryMs,
    // A worker holds a share of the customers: "at risk" is the population's riskiest tenth, read by the gateway over every worker.
    // Until the gateway's level comes, this worker's own customers' (marked so): never nobody at risk.
    ...(worker ? { atRiskFrom: 'population' as const, atRiskPart: (slot: number) => partitionWorker?.answersFor(twins.engine.table.idAt(slot)) ?? false } : {}),
  });
  // A first start (an empty store, no model, the sandbox's history still to come): the first
  // model's training rows are taken from the twins as the history is applied, so the first model
  // is fitted without reading the history back (issue 16). A start that resumes an interrupted
  // history trains as before, from the log.
  const historyEnd = plan && Date.parse(plan.state.start) + plan.state.backfillDays * DAY_MS;
  const firstRows =
    plan && historyEnd && !worker && !plan.resuming && !plan.state.backfilled && twins.appliedSeq() === 0 && !(await registry.champion(CHURN_MODEL_NAME))
      ? collectTrainingRows(twins.engine, { to: historyEnd - 1 })
      : undefined;
  // A worker's churn-prevention runs reach the other workers' customers (their scan, check and
  // actions) as the worker itself, once the keys and sessions are open (bound late).
  let across: PopulationAcrossWorkers | undefined;
  let flows: OperatorFlows | undefined;
  const buildFlows = operatorFlows(bss, intelligence, clock, {
    humanTimeScale: timeScale,
    log: o.log,
    ...(o.campaignContactsPerBatch !== undefined ? { campaignContactsPerBatch: o.campaignContactsPerBatch } : {}),
    ...(worker
      ? {
          across: () => {
            if (!across) throw new TwinloopError('UNAVAILABLE', 'this worker is still starting; its runs reach the other workers once it has; retry');
            return across;
          },
        }
      : {}),
  });
  // What the operator's acts are judged and dated by: the world's time, not the wall's, while it is behind it.
  const worldTime = worldClock(() => bss?.clock, () => twins.engine.eventClock);
  // The customers' interactions before the start (decision 0050): the twin engine keeps those of
  // the last day, carried by its checkpoint, so they are known once the twins are back; where it
  // does not (a store whose checkpoint was written before it kept them, a partition worker), they
  // are read back from the start's one pass over the log. The intake brings what comes after.
  const interactionsBack = twins.engine.recentInteractions() ? undefined : interactionsFromLog(twins.engine.eventClock - DEFAULT_CONTEXT_WINDOW_MS);
  // Where the start's churn model stands: what a route that would queue work needing one (a
  // simulation, an intent's planning) answers at once while none serves, saying when one will.
  const modelWait: { stage: 'history' | 'fitting' | 'ended'; since: number; outcome?: string } = { stage: plan ? 'history' : 'fitting', since: Date.now() };
  const noChurnModel = (): TwinloopError | null => {
    if (intelligence.live()) return null;
    const waited = `${Math.round((Date.now() - modelWait.since) / 1000)} s`;
    if (worker) return noChurnModelRefusal(WORKER_NO_MODEL, 60);
    if (modelWait.stage === 'history') {
      return noChurnModelRefusal(`the first start's history is still going through the intake (for ${waited} now), and the first model is fitted as soon as it is in: about a minute on --world small, a few on the default world. Ask again then (GET /health, GET /models say when it serves)`, 30);
    }
    if (modelWait.stage === 'fitting') return noChurnModelRefusal(`the churn model is being fitted (or loaded) now, for ${waited}; ask again in a few seconds (GET /models says when it serves)`, 10);
    return noChurnModelRefusal(`${modelWait.outcome ?? 'none was trained at start'}; ${TRAIN_A_CHURN_MODEL}`);
  };
  const running = await openOperatorServices({
    twins,
    storeOptions: o.store,
    clock,
    worldClock: worldTime,
    intelligence,
    bss,
    retentionBudget: o.retentionBudget,
    actionPolicyFile: o.actionPolicyFile,
    flows: (s) => (flows = buildFlows(s)),
    // Bound late: the partitions start once the server listens.
    ...(worker ? { answersFor: (id: string) => partitionWorker?.answersFor(id) ?? false } : {}),
    fromLog: interactionsBack ? [interactionsBack.consumer] : [],
    noChurnModel,
    log: o.log,
  });
  const { services } = running;
  // openOperatorServices builds the flows once the services are up, before it returns.
  const built = flows;
  if (!built) throw new TwinloopError('INTERNAL', 'the operator\'s flows were not built with its services');
  recordsOpen(services.records);
  const auth = await openAuthenticator(services.records, o.auth ?? { mode: 'enforced' }, services.audit, () => [...services.actionPolicy.current().segments.keys()]);
  const firstAdminKey = await ensureAdminKey(auth.keys, stateDir);
  const owners = worker && o.store.kind === 'postgres' ? await openPartitionOwners(o.store) : undefined;
  if (worker && owners) {
    const calls = { routing: { owners: () => owners.owners(), forgetOwners: () => undefined }, headers: workerHeaders(auth.sessions, worker.workerId) };
    across = { churn: churnAcrossWorkers(calls), campaigns: campaignAcrossWorkers(calls) };
  }
  const assist = startAssist(twins, {
    decorateTwin: intelligence.decorateTwin,
    context: { clock },
    recommend: (customerId, request) => {
      const d = services.decisions.decide(customerId, { channel: request.channel, reason: request.reason, direction: 'inbound' });
      return d.ranked.map((r) => ({ actionId: r.actionId, name: r.name, treatment: r.treatment?.name, expectedValue: r.expectedValue, score: r.score, reasons: r.reasons, decisionId: d.decisionId }));
    },
    // A card built again for the same interaction shows its decision while that may still be accepted.
    decisionOpen: (decisionId) => {
      const made = services.decisions.get(decisionId);
      return made !== undefined && clock.now() < decisionExpiresAt(made);
    },
    // A kept decision's action its customer may no longer be offered is dropped from the card built
    // again (its Accept would be refused): one the funnel's what-if now removes at eligibility (nothing
    // logged), or one the guarded executor's own contact rules refuse, judged on the request Accept
    // would send (the one builder, accepted by a person on the line). The what-if's contact step
    // judges no channel opt-out: a check-in stayed on the card after an SMS opt-out on the call.
    stillAllowed: (customerId, request) => {
      const now = services.decisions.whatIf(customerId, { channel: request.channel, reason: request.reason, direction: 'inbound' });
      const ineligible = new Set(now.offers.flatMap((o) => (o.funnel.step === 'eligibility' ? [o.actionId] : [])));
      return (action) => {
        if (ineligible.has(action.actionId)) return false;
        const decision = action.decisionId === undefined ? undefined : services.decisions.get(action.decisionId);
        if (!decision) return true;
        try {
          return services.guarded.contactRefusal(actionForDecision(services, decision, action.actionId, CARD_ACCEPTOR, { accepted: true })) === null;
        } catch (err) {
          // An offering gone from the catalogue is accepted no more; anything else (who is on the line not known yet) is Accept's to answer.
          return !(err instanceof TwinloopError && err.code === 'NOT_FOUND');
        }
      };
    },
    // On the clock decisions are dated by (the operator's), not the card's event time, which lags it under load.
    earlier: (customerId, current, interactionStart) => earlierDecisions({ records: services.records, approvals: services.approvals }, customerId, clock.now(), current, interactionStart),
    log: o.log,
  });
  // A person on a call, chat or store visit is on the line with the customer only while the
  // omnichannel context holds an interaction of that channel in progress (decision 0050), on a
  // channel whose interactions have been seen begin (live, or in the last day before the start):
  // an operator whose store or contact centre sends none takes the person at their word. Until
  // the interactions before the start are known (read back from the log where the twins' checkpoint
  // did not carry them), only a live call in progress is known: otherwise the answer is not known
  // yet (503, ask again), where a restarted process took every person at their word until that
  // channel's next interaction began.
  const interactionsSeenOn = new Set<Channel>();
  assist.contexts.onStarted((started) => interactionsSeenOn.add(started.channel));
  let readBack = false;
  const readingBackSince = performance.now();
  const takeBack = (read: readonly Pick<AcceptedEvent, 'event' | 'time'>[], from: string) => {
    assist.contexts.readBack(read);
    for (const { event } of read) if (event.kind === 'interaction' && event.data.phase === 'start') interactionsSeenOn.add(event.data.channel);
    // Said, with how long it took: until then a person's contact with no live call was answered 503.
    if (read.length > 0) o.log(`assist: ${read.length} interaction events from before the start ${from} in ${((performance.now() - readingBackSince) / 1000).toFixed(1)} s; in progress now: ${ASSISTED_CHANNELS.map((c) => `${assist.contexts.openOn(c, Number.MAX_SAFE_INTEGER).length} on ${c}`).join(', ')}`);
    readBack = true;
  };
  // Taken now, in the same turn as the context began to hear the intake: nothing applied falls between.
  const recent = twins.engine.recentInteractions();
  if (recent) takeBack(recent, "taken from the twins' checkpoint and the log after it");
  else {
    void interactionsBack?.read.then((read) => {
      if (typeof read === 'string') {
        o.log(`assist: the customers' interactions before the start could not be read back from the log (${read}); a call in progress then is known once its next event comes, and a person on a channel none has begun on since is taken at their word`);
        readBack = true;
        return;
      }
      // The engine keeps them from now on, and its next checkpoint carries them: the next start needs no read back.
      if (!worker) twins.engine.completeInteractions(read.flatMap(({ event, time }) => (event.kind === 'interaction' ? [{ event, time }] : [])));
      takeBack(read, 'read back from the log');
    });
  }
  // The read back may take minutes (it comes from the one pass over the log): a person is answered
  // 503 for the first two of them, then taken at their word until it is in, as before the read back
  // was made. A care desk held off for the whole pass (10–15 minutes at load) was an outage of it.
  let tookAtWord = false;
  services.decisions.setInContact((customerId, channel) => {
    const inProgress = assist.contexts.get(customerId).channels[channel]?.inProgress ?? false;
    if (!readBack && !inProgress && performance.now() - readingBackSince >= READ_BACK_WAIT_MS) {
      if (!tookAtWord) o.log(`assist: the customers' interactions before the start are still read back from ${startLogWaiting(running.startLog())} after ${READ_BACK_WAIT_MS / 60_000} minutes; until then a person on a call, chat or store visit with no call in progress seen since the start is taken at their word`);
      tookAtWord = true;
      return undefined;
    }
    if (!readBack && !inProgress) {
      // Read back from the one pass over the log, which reads it whole (minutes on a year's log at load: 582 s on the default world at load 40).
      throw new TwinloopError('UNAVAILABLE', `whether ${customerId} is in contact on ${channel} now is not known yet: the customers' interactions before the server started are read back from ${startLogWaiting(running.startLog())}; ask again in 30 s`, { context: { retryAfterSeconds: 30 } });
    }
    return interactionsSeenOn.has(channel) ? inProgress : undefined;
  });
  // Every alarm the network's systems send in (TMF642, the inbox) starts the service-operations
  // flow (one per alarm); the sandbox's network system sends its alarms there as they happen.
  // An alarm on the cell or site of a confirmed suspected incident continues it (nobody is told twice), and its clear clears it;
  // a confirmed one continues the alarm cleared there within the detector's quiet spell (the fault was back before it was over).
  const confirmed = linkConfirmedIncidents({ alarms: services.alarms, cellsOfSite: (siteId) => twins.engine.cells.cellsOfSite(siteId), sameIncidentMs: DEFAULT_CELL_ANOMALY_OPTIONS.quietMs, maxChainMs: DEFAULT_CHAIN_REACH_MS, onError: (err) => o.log(`alarms: ${err.message}`) });
  const alarms: AlarmWatcher = watchAlarms({
    alarms: services.alarms,
    engine: services.workflows,
    incidentOf: confirmed.incidentOf,
    // An alarm raised by a confirmation is compensated on its clear, from how long it lasted (decision 0057).
    confirmed: (alarm) => services.alarms.get(alarm.id)?.sourceSystemId === ANOMALY_SOURCE_SYSTEM_ID,
    onError: (err, alarm) => o.log(`alarms: ${alarm.id}: ${err.message}`),
  });
  // What the inbox kept that no run heard (a stop between keeping an alarm, its change of severity
  // or its clear and telling its run; a partition worker's PATCH): told now. Starts are by the
  // alarm's id and signals kept once, so what was heard is not acted on twice.
  void alarms.catchUp().then(
    (r) => (r.started + r.signalled > 0 ? o.log(`alarms: caught up with what came while no run heard it: ${r.started} flows started, ${r.signalled} clears told`) : undefined),
    (err: Error) => o.log(`alarms: the catch-up with alarms kept while no run heard them failed (${err.message}); each is acted on at its next change`),
  );
  // The first start's history written behind (decision 0021): by this run from the seed, or the
  // rest of an earlier run's; the store's sealing of it and training wait for it, a shutdown for neither.
  const behind = startWriteBehind({
    seal: () => twins.store.bulkLoadEnded(),
    log: o.log,
    onProblem: (reason) => {
      // Said loudly where the user looks (the log, GET /health, every refused read) with the way
      // out, rather than reads answering "ask again in a few seconds" for ever (decision 0021).
      twins.store.seededHistory?.cannotBeWritten(reason);
      warn(`twins: ${behind.problem()}. The twins and everything live are whole; timelines, as-of reads and training from the log that reach it answer 503 in this run. Way out: ${HISTORY_WAY_OUT}`);
    },
  });
  const writeBehind = (writer: HistoryWriter) => behind.follow(writer);
  if (twins.historyWriter) writeBehind(twins.historyWriter);
  const seededLog = twins.store.seededHistory;
  const seeded: SeededHistoryOptions | undefined = stateDir && seededLog && !worker && o.sandbox?.seededHistory !== false
    ? {
        log: seededLog,
        begin: (pass) => twins.intake.beginSeeded(pass),
        holdCheckpoints: () => twins.holdCheckpoints(),
        onFinished: (record) => writeBehind(startHistoryWriter(stateDir, record)),
      }
    : undefined;
  const sandbox: SandboxOperator | undefined = plan && startSandboxOperator(twins, { plan, speed: o.sandbox!.speed, stateDir, saveState: stateDir ? undefined : storedSandboxState(records), log: o.log, ...(seeded ? { seeded } : {}), ...(o.sandboxAfter ? { after: o.sandboxAfter } : {}) });
  // The sandbox's network system sends its alarms in as they happen (its history's stay out).
  const stopForwarding = sandbox && forwardSandboxAlarms(sandbox.world, services.alarms, { clock, live: sandbox.ready, onError: (err, alarm) => o.log(`alarms: sandbox ${alarm.id}: ${err.message}`) });
  const bus = o.nats ? await NatsEventBus.open(o.nats) : undefined;
  const busIntake: BusIntakeHandle | undefined = bus && startBusIntake(bus, twins.intake, { onError: (err) => warn(`bus intake: ${(err as Error).message}`) });
  let phase: 'backfilling' | 'live' | 'failed' = 'backfilling';
  // While the sandbox's history loads, the twins' own count (a checkpoint every 200,000 events)
  // bounds the replay after a crash and the timer stays out: a checkpoint then snapshots every
  // twin (a day of history touches them all), about 2 CPU-seconds for the default world's 20,000,
  // which every 30 s cost more than the history itself at a shared machine's pace (~150 µs per
  // event at 650 events/s, load 24).
  const cadence = new CheckpointCadence(CHECKPOINT_INTERVAL_MS, CHECKPOINT_MAX_SHARE);
  // Asked every few seconds; the cadence says when one is due.
  const checkpoints = setInterval(() => {
    if (phase !== 'backfilling') void cadence.run(Date.now, () => twins.checkpoint()).catch(() => {});
  }, CHECKPOINT_INTERVAL_MS / 6);

  /**
   * The full training (learner chosen by inner CV) behind the first model, on the same history
   * and cutoffs and the training's own sample (`DEFAULT_TRAINING_CUSTOMERS`, which holds the first
   * model's `FIRST_MODEL_CUSTOMERS`: decision 0111), the first model scored on its validation rows
   * too (`rival`), so both are judged on the same rows: it becomes the champion when it validates
   * better (a higher AUC, or the same and a lower log loss; audited, as a person's promotion is),
   * else stays a challenger.
   */
  let fullTraining: Promise<void> | undefined;
  // Set when the server is asked to stop: the full training then neither starts nor promotes.
  let closing = false;
  // A partition worker's training rows built for the gateway, each in a thread: a stop asks each
  // thread to end and waits for it to exit (a thread left running is ended in the middle of
  // whatever it does when the process exits, a zlib call included).
  const rowsStopping = new AbortController();
  const rowsBuilding = new Set<Promise<void>>();
  const replaceFirstModel = async (first: RegisteredModel, window: { to: number; untilSeq: number; customers: readonly string[] | undefined }): Promise<void> => {
    try {
      if (closing) return;
      o.log(`models: the full training runs behind the first model (${first.info.id})`);
      const document = (await registry.get(first.info.id))?.document;
      const full = await intelligence.train({ window, ...(document ? { rival: { id: first.info.id, document } } : {}) });
      if (closing) return void o.log(`models: ${full.info.id} (full training) stays a challenger: the server is stopping`);
      // A training already running when this one was asked (POST /models/train) is handed back
      // instead: its window is not the first model's, nor was the first model scored on its rows.
      const rival = full.metadata.metrics.rival;
      const sameRows = JSON.stringify(full.metadata.trainingWindow) === JSON.stringify(first.metadata.trainingWindow) && rival?.id === first.info.id;
      if (!sameRows || !rival) return void o.log(`models: ${full.info.id} was trained on another window than the first model (${first.info.id}); not compared, promote it by hand if it is better`);
      // A person may have chosen another champion meanwhile: the start's promotion never overrides it.
      const champion = await registry.champion(CHURN_MODEL_NAME);
      if (champion?.id !== first.info.id) return void o.log(`models: ${first.info.id} (first model) is no longer the champion (${champion?.id ?? 'none'} is); ${full.info.id} (full training) stays a challenger`);
      const [a, b] = [full.metadata.metrics, rival];
      // Better: a higher AUC, or the same ranking (the same trees when it picks GBDT) better calibrated.
      const better = a.auc > b.auc || (a.auc === b.auc && a.logLoss < b.logLoss);
      const figures = `validated AUC ${a.auc}, log loss ${a.logLoss} against the first model's AUC ${b.auc}, log loss ${b.logLoss} on the same ${a.validationRows} rows (the latest cutoff; the first model's own ${first.metadata.metrics.validationRows} gave it ${first.metadata.metrics.auc})`;
      if (full.info.status === 'champion' || !better) {
        o.log(`models: ${first.info.id} (first model) stays the champion: ${full.info.id} (full training) ${figures}`);
        return;
      }
      const reason = `the full training ${figures}`;
      await promoteWithReason({ registry, promote: (id) => intelligence.promote(id), audit: services.audit }, { id: full.info.id, reason, actor: { kind: 'system', id: 'twinloop-start' } });
      o.log(`models: ${full.info.id} replaces ${first.info.id}: ${reason}`);
      // The live ceiling judges the champion serving: recorded again for the one that replaced the first.
      if (!closing) void churnCeiling?.record().catch((err: Error) => warn(`models: churn ceiling not recorded: ${err.message}`));
    } catch (err) {
      if (closing) return void o.log(`models: the full training behind the first model stopped with the server; ${first.info.id} (first model) stays the champion (POST /models/train trains again)`);
      warn(`models: the full training behind the first model failed: ${(err as Error).message}`);
    }
  };

  // Train a churn model from the twins once there is history (after the sandbox backfill), unless
  // the registry already holds a champion; scores appear on every twin when it is done.
  const ready = sandbox ? sandbox.ready : (bss?.ready ?? Promise.resolve());
  const scored = ready.then(
    async (): Promise<ReadyReport> => {
      phase = 'live';
      Object.assign(modelWait, { stage: 'fitting', since: Date.now() });
      const historyAt = Date.now();
      const historyCpu = process.cpuUsage();
      const historyThreadCpu = threadCpuSecondsIfKnown();
      const historyEvents = twins.appliedSeq() - openedSeq;
      const atHistoryEnd = behind.written() ?? undefined;
      let noModel: string | undefined = worker ? WORKER_NO_MODEL : undefined;
      const collected = firstRows?.stop();
      if (typeof collected === 'string') o.log(`models: no rows collected with the history (${collected}); training from the log`);
      const rows = typeof collected === 'object' ? collected : undefined;
      const untilSeq = twins.appliedSeq();
      // Training from the log waits until the log holds the history (written behind, and sealed);
      // the first model does only when it must read some customers' rows back. A restart whose
      // champion already serves trains nothing here: every twin is scored once the world is back,
      // and the ready line does not wait minutes for a history it will not read.
      const logWritten = async () => void (await behind.settled());
      const waitFrom = Date.now();
      if ((!rows || rows.inexact.length > 0) && !intelligence.live()) await logWritten();
      const waitedSeconds = (Date.now() - waitFrom) / 1000;
      const failed = (err: Error) => {
        noModel = err.message;
        warn(`models: ${err.message}`);
        return null;
      };
      const first = rows ? await intelligence.trainFirst(rows, { untilSeq }).catch(failed) : null;
      if (first && historyEnd) fullTraining = logWritten().then(() => replaceFirstModel(first, { to: historyEnd - 1, untilSeq, customers: sampleTrainingCustomers(twins.engine.customerIds(), DEFAULT_TRAINING_CUSTOMERS) }));
      if (!first && rows) await logWritten();
      const trained = worker ? null : (first ?? (await intelligence.trainIfMissing().catch(failed)));
      const live = intelligence.live();
      if (!live) Object.assign(modelWait, { stage: 'ended', outcome: noModel ?? NOT_ENOUGH_HISTORY });
      const doneAt = Date.now();
      const cpuSeconds = (from: NodeJS.CpuUsage, to: NodeJS.CpuUsage) => (to.user + to.system - from.user - from.system) / 1e6;
      return {
        twins: twins.engine.size,
        scored: live ? live.scoredCount() : 0,
        seconds: (doneAt - startedAt) / 1000,
        openSeconds: (openedAt - startedAt) / 1000,
        historySeconds: (historyAt - openedAt) / 1000,
        modelSeconds: (doneAt - historyAt) / 1000,
        historyCpuSeconds: cpuSeconds(openedCpu, historyCpu),
        ...(openedThreadCpu !== undefined && historyThreadCpu !== undefined ? { historyThreadCpuSeconds: historyThreadCpu - openedThreadCpu } : {}),
        historyEvents,
        ...(plan?.resuming ? { rebuiltWorld: true } : {}),
        modelCpuSeconds: cpuSeconds(historyCpu, process.cpuUsage()),
        ...(typeof trained?.cpuSeconds === 'number' ? { trainingCpuSeconds: trained.cpuSeconds } : {}),
        ...(first ? { firstModel: true } : {}),
        ...(live ? {} : { noModel: noModel ?? NOT_ENOUGH_HISTORY }),
        ...(atHistoryEnd === undefined ? {} : { writtenBehind: { atHistoryEnd, waitedSeconds } }),
      };
    },
    (err: Error) => {
      phase = 'failed';
      Object.assign(modelWait, { stage: 'ended', outcome: `the start failed before a model was fitted (${err.message})` });
      warn(`sandbox: ${err.message}`);
      throw err;
    },
  );
  // The edges may not wait for it; a failure was reported above.
  scored.catch(() => {});
  // The live ceiling's moment, once a model serves the live world (after the ready line: it costs a few seconds).
  const churnCeiling = sandbox && !worker ? liveChurnCeiling(sandbox.world, twins, intelligence, o.log) : undefined;
  if (churnCeiling) {
    scored.then(
      () => void (closing ? undefined : churnCeiling.record().catch((err: Error) => warn(`models: churn ceiling not recorded: ${err.message}`))),
      () => {},
    );
  }

  return {
    twins,
    intelligence,
    services,
    assist,
    auth,
    firstAdminKey,
    world,
    ...(plan ? { sandboxLiveFromMs: Date.parse(plan.state.start) + plan.state.backfillDays * DAY_MS } : {}),
    ...(churnCeiling ? { churnCeiling } : {}),
    ready,
    scored,
    clockSource: () => (sandbox ? { kind: 'sandbox', phase, speed: o.sandbox!.speed } : { kind: 'events' }),
    worldTime: () => (bss ? worldTime.now() : null),
    historyWritten: () => behind.written(),
    historyProblem: () => behind.problem() ?? null,
    worldRebuilt: () => sandbox?.rebuilt() ?? null,
    actsHeld: () => sandbox?.world.actsHeld()?.reason ?? null,
    announce(url) {
      if (stateDir) writeServerLock(stateDir, url);
    },
    role: worker ? 'worker' : 'all',
    partitions: () => partitionWorker,
    buildTrainingRows(rows) {
      const built = buildTrainingPartInThread(o.store, rows, rowsStopping.signal);
      const settled = built.then(
        () => undefined,
        () => undefined,
      );
      rowsBuilding.add(settled);
      void settled.then(() => rowsBuilding.delete(settled));
      return built;
    },
    churnHere: built.churnHere,
    campaigns: built.campaigns,
    async servePartitions(url) {
      if (!worker || o.store.kind !== 'postgres') throw new TwinloopError('BAD_INPUT', 'only a partition worker (--role worker) owns partitions');
      if (partitionWorker) return partitionWorker;
      const { nats } = worker;
      const leases = await openPostgresPartitionLeases({ url: o.store.url, schema: o.store.schema, workerId: worker.workerId, answersAt: url, onLost: (err) => {
          warn(`partitions: the leases' session ended (${err.message}); this worker stops answering for its partitions (restart it)`);
          void partitionWorker?.close().catch(() => undefined);
        } });
      partitionWorker = startPartitionWorker({
        twins,
        leases,
        keepEveryMs: worker.keepEveryMs,
        checkpointEveryMs: worker.checkpointEveryMs,
        checkpoints: await openPostgresPartitionCheckpoints({ url: o.store.url, schema: o.store.schema }),
        onRecovered: (ids) => intelligence.live()?.rescore(ids),
        log: o.log,
        openBus: (p) =>
          NatsEventBus.open({ url: nats.url, stream: nats.stream, streamSubjects: [partitionSubjects(nats.base)], streamMaxAgeMs: nats.maxAgeMs ?? PARTITION_STREAM_MAX_AGE_MS, subject: partitionSubject(nats.base, p), consumer: `${nats.stream}-p${String(p).padStart(2, '0')}`, takeOver: true, ...PARTITION_CONSUMER }),
      });
      await partitionWorker.step();
      return partitionWorker;
    },
    async close() {
      closing = true;
      clearInterval(checkpoints);
      // Producers first (nothing new comes in), then what acts on events, then the stores.
      const steps: [string, () => unknown][] = [
        ['the sandbox', () => sandbox?.stop()],
        // What it wrote stays; the next start writes the rest from the seed (and seals it).
        ['the history written behind', () => behind.stop()],
        ["the first model's rows", () => firstRows?.stop()],
        ['the partitions', () => partitionWorker?.close()],
        ['the training rows being built', () => {
          rowsStopping.abort();
          return Promise.all(rowsBuilding);
        }],
        ['the bus intake', () => busIntake?.stop()],
        ['the bus', () => bus?.close()],
        ['the alarm forwarding', () => stopForwarding?.()],
        ['the alarms', () => alarms.stop()],
        ['the confirmed incidents', () => confirmed.stop()],
        // Stops a training still running (the first model's, the full one behind it) rather than waiting minutes for it.
        ['the models', () => intelligence.close()],
        ['the full training', () => fullTraining],
        ['the assist cards', () => assist.close()],
        ['the keys', () => auth.keys.close()],
        ['the flows and records', () => running.close()],
        ["the twins (their checkpoint)", () => twins.close()],
        ['the model registry', () => registry.close()],
        ['the partition owners', () => owners?.close()],
        ['the back ends', () => bss?.close()],
      ];
      let first: unknown;
      const began = Date.now();
      for (const [name, step] of steps) {
        // A step that takes long is named while it runs: a stop that says nothing for minutes reads as hung.
        const started = Date.now();
        const slow = setInterval(() => o.log(`shutdown: still closing ${name} (${Math.round((Date.now() - started) / 1000)} s)`), SLOW_STEP_MS);
        slow.unref();
        try {
          await step();
        } catch (err) {
          first ??= err;
          warn(`shutdown: ${(err as Error).message}`);
        } finally {
          clearInterval(slow);
        }
      }
      if (Date.now() - began >= SLOW_STEP_MS) o.log(`shutdown: everything closed in ${Math.round((Date.now() - began) / 1000)} s`);
      if (stateDir) removeServerLock(stateDir);
      if (first !== undefined) throw first;
    },
  };
}

/** How long a step of a stop may take before it is named in the log (and again as often while it runs). */
const SLOW_STEP_MS = 5000;

/**
 * Whether a first start on the embedded store takes its history from the seed (decision 0021):
 * yes unless `TWINLOOP_SEEDED_HISTORY=off`; any other value than on or off is refused, naming it.
 */
export function seededHistoryWanted(env: NodeJS.ProcessEnv): boolean {
  const v = env.TWINLOOP_SEEDED_HISTORY;
  if (v === undefined || v === '' || v === 'on') return true;
  if (v === 'off') return false;
  throw new TwinloopError('BAD_INPUT', `TWINLOOP_SEEDED_HISTORY must be on or off (unset: on); got "${v}"`);
}
