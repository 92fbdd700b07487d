import { systemClock } from '../../domain/clock.js';
import { toTwinloopError, TwinloopError, type ErrorCode } from '../../domain/errors.js';
import { loadChampion } from '../../intelligence/live/churn-model-service.js';
import { IncidentLedger, operatorTwinSource, simulate, type Scenario, type ScenarioResult, type SimulationRun } from '../../simulation/index.js';
import { openModelRegistry } from '../../store/open-model-registry.js';
import { resolveStoreOptions } from '../../store/store-options.js';
import { revenueLedgerFromLog } from '../runtime/revenue-ledger-from-log.js';
import { openTwins, type GlobalOptions } from './cli-context.js';
import { createProgress } from './progress.js';
import { callServer, type ServerTarget } from './server-client.js';

/**
 * Where `twinloop simulate FILE` runs its scenarios: on the running server (its lab, as POST
 * /simulations), or here on the store when none runs. Either says first what it does, then how far.
 */

/** What a simulation answered: the line over its table, its results, and what its JSON says beside them. */
export interface SimulationDone {
  readonly header: string;
  readonly results: readonly ScenarioResult[];
  readonly json: Record<string, unknown>;
}

interface SimulateOutput {
  readonly json?: boolean;
  /** A line on stderr for a person (nothing under --json). */
  readonly say: (line: string) => void;
}

/** How long to wait between two reads of a run on the server: its progress moves in seconds. */
export const RUN_POLL_MS = 1_000;

/**
 * The scenarios run by the server's lab (POST /simulations, then GET /simulations/ID until it
 * ends), with a bar of its progress; Ctrl-C cancels the run there. A run that fails or is
 * cancelled is the error it carries. `pause` is injected for tests.
 */
export async function simulateOnServer(
  server: ServerTarget,
  scenarios: readonly Scenario[],
  out: SimulateOutput,
  pause: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<SimulationDone> {
  const progress = createProgress({ json: out.json });
  // Stopped by a person (Ctrl-C), the run is cancelled on the server too, not left to spend its CPU
  // for nobody; one interrupted while the server had not yet answered its start is cancelled once it does.
  let id: string | undefined;
  let interrupted = false;
  const cancelRun = (runId: string) => {
    out.say(`cancelling run ${runId} on the server…`);
    void callServer(server, 'POST', `/simulations/${encodeURIComponent(runId)}/cancel`)
      .catch(() => undefined)
      .finally(() => process.exit(130));
  };
  const onInterrupt = () => {
    interrupted = true;
    progress.stop();
    if (id !== undefined) cancelRun(id);
  };
  process.on('SIGINT', onInterrupt);
  let run: SimulationRun;
  try {
    // Said before the server is asked: a loaded server took 16 s to answer the start (the default world at load 50).
    out.say(`asking the server at ${server.url} to simulate ${scenarios.length} scenario${scenarios.length === 1 ? '' : 's'} (POST /simulations)…`);
    run = (await callServer(server, 'POST', '/simulations', { scenarios })) as SimulationRun;
    id = run.id;
    if (interrupted) {
      cancelRun(id);
      return await new Promise<never>(() => {});
    }
    out.say(`run ${id} (GET /simulations/${id}; the console's Simulation lab keeps it)`);
    progress.start(100, 'simulating on the server');
    while (run.status === 'running') {
      progress.update(Math.round(run.progress * 100));
      await pause(RUN_POLL_MS);
      run = (await callServer(server, 'GET', `/simulations/${encodeURIComponent(id)}`)) as SimulationRun;
    }
  } finally {
    progress.stop();
    if (!interrupted) process.off('SIGINT', onInterrupt);
  }
  if (run.status === 'failed') throw new TwinloopError((run.error?.code as ErrorCode | undefined) ?? 'INTERNAL', `simulation run ${id} on the server failed: ${run.error?.message ?? 'no reason given'}`);
  if (run.status === 'cancelled') throw new TwinloopError('CONFLICT', `simulation run ${id} was cancelled on the server (POST /simulations/${id}/cancel) before it finished`);
  const results = run.results ?? [];
  return { header: `run ${id} on the server at ${server.url}`, results, json: { run: { id, server: server.url } } };
}

/**
 * The scenarios simulated in this process on the store (no server runs on it): the champion from
 * the registry, the twins recovered to the log's end, and the billing records and incidents the lab
 * reads from the whole log (minutes on the default world), each step said, the log's read with a bar.
 */
export async function simulateHere(g: GlobalOptions, scenarios: readonly Scenario[], out: SimulateOutput & { readonly workers?: number }): Promise<SimulationDone> {
  const storeOptions = resolveStoreOptions({ dataDir: g.dataDir, databaseUrl: g.databaseUrl }, process.env);
  const where = storeOptions.kind === 'sqlite' ? `the store in ${storeOptions.dataDir}` : 'the PostgreSQL store';
  out.say(`no Twinloop server runs on this data dir (start one, or pass --url, to have it simulate): simulating here, on ${where}`);
  const registry = await openModelRegistry(storeOptions);
  let model;
  try {
    model = await loadChampion(registry);
  } finally {
    await registry.close();
  }
  if (!model) throw new TwinloopError('NOT_FOUND', 'no churn champion model is registered; the simulation needs one to turn twins into churn hazards: train one with `twinloop model train-twins`');
  out.say(`reading the twins (churn model ${model.id} v${model.version})…`);
  const twins = await openTwins(g, systemClock, 'read');
  const progress = createProgress({ json: out.json });
  try {
    // As the server's lab reads it: who accepts, from the twins' answers, and each twin's
    // revenue noise, from the bills and top-ups of the log (the server keeps them as they come).
    // And an incident's effect on churn, from the incidents and churn of the log's last year (as the server keeps them).
    const incidents = new IncidentLedger();
    const lastSeq = await twins.store.lastSeq();
    out.say(`reading each twin's bills and top-ups and the incidents from the log (${lastSeq.toLocaleString('en')} events; a server keeps them as they come)…`);
    progress.start(lastSeq, 'reading the log');
    const revenue = await revenueLedgerFromLog(twins.store, twins.engine.eventClock, (seq) => progress.update(seq), incidents).catch((thrown: unknown) => {
      const err = toTwinloopError(thrown);
      if (err.code !== 'UNAVAILABLE') throw err;
      throw new TwinloopError('UNAVAILABLE', `the simulation reads each twin's bills and top-ups from the log, which cannot give them yet: ${err.message}. A server on this data dir writes the first start's history behind (GET /health: historyWritten 1 when done; \`twinloop start\` writes the rest); run this again then, with the server running, which it then asks`, { cause: err });
    });
    progress.stop();
    const source = operatorTwinSource(twins.engine, model, { answers: true, revenue, incidents });
    out.say(`simulating ${scenarios.length} scenario${scenarios.length === 1 ? '' : 's'} over ${twins.engine.size} twins…`);
    progress.start(100, 'simulating');
    const results = await simulate(source, scenarios, { workers: out.workers, onProgress: (f) => progress.update(Math.round(f * 100)) });
    progress.stop();
    return { header: `churn model ${model.id} v${model.version}, ${twins.engine.size} twins`, results, json: { model: { id: model.id, version: model.version } } };
  } finally {
    progress.stop();
    await twins.close();
  }
}
