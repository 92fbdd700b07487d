import { randomBytes } from 'node:crypto';
import { createWorkflowEngine, type StepDefinition, type WorkflowDefinition } from '../../agents/workflows/index.js';
import { ok } from '../../domain/connectors/connector-result.js';
import { TwinloopError } from '../../domain/errors.js';
import { openWorkflowJournal } from '../../store/open-workflow-journal.js';
import { dropPostgresSchema } from '../../store/postgres-connection.js';
import { createPostgresDatabase, databaseUrl, dropPostgresDatabase } from '../../store/postgres-databases.js';
import type { WorkflowJournal } from '../../store/workflow-journal.js';
import { intOption } from '../cli/cli-numbers.js';
import { inTempDir } from './bench-fixtures.js';
import { defineBench } from './bench-harness.js';
import { ratio } from './bench-stats.js';

/**
 * The workflow benchmark: durable steps per second and the journal's cost per step, on embedded
 * SQLite, on PostgreSQL and, for comparison, DBOS Transact on the same PostgreSQL, all running
 * the same no-op-ish steps with the same number of workflows in flight.
 */

/** Options of `runWorkflowBench`. */
export interface WorkflowBenchOptions {
  /** PostgreSQL to measure (our journal in a throw-away schema, DBOS in a throw-away database); omitted = SQLite only. */
  postgresUrl?: string;
  workflows: number;
  stepsPerWorkflow: number;
  /** Workflows in flight at once, for every engine (default 16). */
  concurrency?: number;
  /** Alternating turns of PostgreSQL and DBOS, `workflows / turns` workflows each (default 3). */
  turns?: number;
}

/** Turns of the PostgreSQL comparison: enough to alternate (A B, B A, A B), few enough to keep each turn long. */
const DEFAULT_TURNS = 3;

/** One engine's figures. */
export interface WorkflowBenchFigures {
  workflows: number;
  steps: number;
  seconds: number;
  workflowsPerSecond: number;
  stepsPerSecond: number;
  /** Wall time per step beyond the plain-loop baseline, in microseconds (the durability cost). */
  overheadPerStepUs: number;
}

/** What `runWorkflowBench` returns (plain data, for `--json`). */
export interface WorkflowBenchResult {
  workflows: number;
  stepsPerWorkflow: number;
  concurrency: number;
  /** Turns of the PostgreSQL comparison; its figures are each side's best turn of `workflows / turns` workflows. */
  turns: number;
  baseline: { steps: number; seconds: number; stepsPerSecond: number; perStepUs: number };
  sqlite: WorkflowBenchFigures;
  postgres: WorkflowBenchFigures | { skipped: string };
  dbos: WorkflowBenchFigures | { skipped: string };
}

/** The measured step: a little work and an await, like a step that calls a fast, local back end. */
async function benchStepBody(i: number): Promise<{ i: number; v: number }> {
  await Promise.resolve();
  return { i, v: (i * 2654435761) % 1_000_003 };
}

const BENCH_WORKFLOW_ID = 'bench.steps';
const benchStep: StepDefinition<number, { i: number; v: number }> = { id: 'bench.step', version: 1, run: async (i) => ok(await benchStepBody(i)) };
const benchWorkflow: WorkflowDefinition<{ steps: number }, number> = {
  id: BENCH_WORKFLOW_ID,
  version: 1,
  parseInput: (raw) => raw as { steps: number },
  async run(ctx, input) {
    let sum = 0;
    for (let i = 0; i < input.steps; i++) sum += (await ctx.step(benchStep, i)).v;
    return sum;
  },
};

/** Runs `total` jobs with `concurrency` in flight at once. */
async function pool(total: number, concurrency: number, job: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < total) await job(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
}

function figures(workflows: number, steps: number, seconds: number, baselinePerStepUs: number): WorkflowBenchFigures {
  const stepsPerSecond = steps / seconds;
  return {
    workflows,
    steps,
    seconds: Math.round(seconds * 1000) / 1000,
    workflowsPerSecond: Math.round(workflows / seconds),
    stepsPerSecond: Math.round(stepsPerSecond),
    overheadPerStepUs: Math.round((1e6 / stepsPerSecond - baselinePerStepUs) * 10) / 10,
  };
}

/** One engine ready to run batches of the bench workflow: each call answers its seconds. */
interface BenchSide {
  run(workflows: number): Promise<number>;
  close(): Promise<void>;
}

async function engineSide(journal: WorkflowJournal, o: BenchShape): Promise<BenchSide> {
  const engine = createWorkflowEngine({ journal, workerId: `bench-${randomBytes(3).toString('hex')}`, concurrency: o.concurrency, pollIntervalMs: 50 });
  engine.register(benchWorkflow);
  await engine.run();
  return {
    async run(workflows) {
      const t0 = performance.now();
      await pool(workflows, o.concurrency, async () => {
        const { workflowId } = await engine.start(BENCH_WORKFLOW_ID, { steps: o.stepsPerWorkflow });
        const run = await engine.waitFor(workflowId);
        if (run.status !== 'succeeded') throw new TwinloopError('INTERNAL', `bench workflow ${workflowId} ended ${run.status}: ${run.error ?? ''}`);
      });
      return (performance.now() - t0) / 1000;
    },
    close: () => engine.stop(),
  };
}

/** The subset of the DBOS API the benchmark uses (it is a devDependency, loaded only here). */
interface DbosApi {
  setConfig(config: { name: string; systemDatabaseUrl: string; logLevel?: string; systemDatabasePoolSize?: number }): void;
  launch(): Promise<void>;
  shutdown(options?: { deregister?: boolean }): Promise<void>;
  registerWorkflow<A extends unknown[], R>(fn: (...args: A) => Promise<R>, config: { name: string }): (...args: A) => Promise<R>;
  runStep<R>(fn: () => Promise<R>, config: { name: string }): Promise<R>;
}

async function loadDbos(): Promise<DbosApi | string> {
  const moduleName = '@dbos-inc/dbos-sdk';
  try {
    const mod = (await import(moduleName)) as { DBOS: DbosApi };
    return mod.DBOS;
  } catch {
    return 'DBOS Transact is not installed; install the dev dependency @dbos-inc/dbos-sdk (npm install --include=dev) to compare against it';
  }
}

/** DBOS Transact on its own throw-away database of the same PostgreSQL, launched; or why not. */
async function dbosSide(url: string, o: BenchShape): Promise<BenchSide | { skipped: string }> {
  const DBOS = await loadDbos();
  if (typeof DBOS === 'string') return { skipped: DBOS };
  const dbName = `twinloop_dbos_bench_${randomBytes(4).toString('hex')}`;
  await createPostgresDatabase(url, dbName);
  const drop = () => dropPostgresDatabase(url, dbName).catch(() => undefined);
  let workflow: (steps: number) => Promise<number>;
  try {
    DBOS.setConfig({ name: 'twinloop-bench', systemDatabaseUrl: databaseUrl(url, dbName), logLevel: 'error', systemDatabasePoolSize: 10 });
    workflow = DBOS.registerWorkflow(
      async (steps: number) => {
        let sum = 0;
        for (let i = 0; i < steps; i++) sum += (await DBOS.runStep(() => benchStepBody(i), { name: 'bench.step' })).v;
        return sum;
      },
      { name: BENCH_WORKFLOW_ID },
    );
    await DBOS.launch();
  } catch (err) {
    await drop();
    throw err;
  }
  return {
    async run(workflows) {
      const t0 = performance.now();
      await pool(workflows, o.concurrency, () => workflow(o.stepsPerWorkflow));
      return (performance.now() - t0) / 1000;
    },
    async close() {
      try {
        await DBOS.shutdown({ deregister: true });
      } finally {
        await drop();
      }
    },
  };
}

/** Workflows, steps each and workflows in flight. */
type BenchShape = Required<Omit<WorkflowBenchOptions, 'postgresUrl' | 'turns'>>;

/** The best of a side's turns (the machine's load only ever slows one down), as figures. */
function bestFigures(o: BenchShape, perTurn: number, seconds: readonly number[], baselineUs: number): WorkflowBenchFigures {
  return figures(perTurn, perTurn * o.stepsPerWorkflow, Math.min(...seconds), baselineUs);
}

/**
 * Our engine on PostgreSQL and DBOS, each open beside the other, in alternating turns (A B, B A,
 * A B…) of `workflows / turns` workflows each: one after the other, a shared machine's drifting
 * load would be read as a difference between the engines (2.3× and 2.55× in two runs that way).
 */
async function compareOnPostgres(url: string, o: BenchShape, turns: number, baselineUs: number): Promise<{ postgres: WorkflowBenchFigures; dbos: WorkflowBenchFigures | { skipped: string } }> {
  const schema = `twinloop_wfbench_${randomBytes(4).toString('hex')}`;
  const journal = await openWorkflowJournal({ kind: 'postgres', url, schema }, { poolSize: Math.min(o.concurrency, 10) });
  const perTurn = Math.max(1, Math.ceil(o.workflows / turns));
  try {
    const ours = await engineSide(journal, o);
    try {
      const dbos = await dbosSide(url, o);
      try {
        const sides: BenchSide[] = 'skipped' in dbos ? [ours] : [ours, dbos];
        const seconds: number[][] = sides.map(() => []);
        for (let turn = 0; turn < turns; turn++) {
          const order = turn % 2 === 0 ? sides.keys() : [...sides.keys()].reverse();
          for (const i of order) seconds[i].push(await sides[i].run(perTurn));
        }
        return { postgres: bestFigures(o, perTurn, seconds[0], baselineUs), dbos: 'skipped' in dbos ? dbos : bestFigures(o, perTurn, seconds[1], baselineUs) };
      } finally {
        if (!('skipped' in dbos)) await dbos.close();
      }
    } finally {
      await ours.close();
    }
  } finally {
    await journal.close();
    await dropPostgresSchema(url, schema);
  }
}

/** Runs the benchmark once: baseline, SQLite, and with `postgresUrl` our PostgreSQL journal against DBOS in turns. */
export async function runWorkflowBench(options: WorkflowBenchOptions): Promise<WorkflowBenchResult> {
  const o = { workflows: options.workflows, stepsPerWorkflow: options.stepsPerWorkflow, concurrency: options.concurrency ?? 16 };
  const turns = options.turns ?? DEFAULT_TURNS;
  for (const [k, v] of Object.entries({ ...o, turns })) {
    if (!Number.isInteger(v) || v < 1) throw new TwinloopError('BAD_INPUT', `workflow bench ${k} must be an integer ≥ 1; got ${v}`);
  }
  const steps = o.workflows * o.stepsPerWorkflow;
  const t0 = performance.now();
  for (let w = 0; w < o.workflows; w++) for (let i = 0; i < o.stepsPerWorkflow; i++) await benchStepBody(i);
  const baselineSeconds = Math.max((performance.now() - t0) / 1000, 1e-9);
  const baselineUs = (baselineSeconds * 1e6) / steps;
  const baseline = { steps, seconds: Math.round(baselineSeconds * 1e6) / 1e6, stepsPerSecond: Math.round(steps / baselineSeconds), perStepUs: Math.round(baselineUs * 1000) / 1000 };

  const sqlite = await inTempDir('workflow-bench', async (dataDir) => {
    const journal = await openWorkflowJournal({ kind: 'sqlite', dataDir });
    try {
      const side = await engineSide(journal, o);
      try {
        return figures(o.workflows, steps, await side.run(o.workflows), baselineUs);
      } finally {
        await side.close();
      }
    } finally {
      await journal.close();
    }
  });

  if (!options.postgresUrl) {
    const skipped = 'no PostgreSQL URL given; pass postgresUrl to measure PostgreSQL and DBOS';
    return { ...o, turns, baseline, sqlite, postgres: { skipped }, dbos: { skipped } };
  }
  return { ...o, turns, baseline, sqlite, ...(await compareOnPostgres(options.postgresUrl, o, turns, baselineUs)) };
}

type Engine = WorkflowBenchResult['sqlite'] | { skipped: string };
const measured = (e: Engine): e is WorkflowBenchResult['sqlite'] => !('skipped' in e);

/** Our PostgreSQL engine's steps/s over DBOS's, when both were measured. */
export function ourOverDbos(r: WorkflowBenchResult): number | null {
  return measured(r.postgres) && measured(r.dbos) ? ratio(r.postgres.stepsPerSecond, r.dbos.stepsPerSecond, 2) : null;
}

/** The human summary of `bench workflows`. */
export function formatWorkflowBench(r: WorkflowBenchResult): string {
  const line = (name: string, e: Engine) =>
    measured(e)
      ? `${name.padEnd(9)} ${Math.round(e.stepsPerSecond).toLocaleString('en-US')} steps/s, ${Math.round(e.workflowsPerSecond).toLocaleString('en-US')} workflows/s, overhead ${e.overheadPerStepUs.toFixed(1)} µs per step (${e.seconds.toFixed(2)} s)`
      : `${name.padEnd(9)} skipped: ${e.skipped}`;
  const ratio = ourOverDbos(r);
  return [
    `${r.workflows} workflows × ${r.stepsPerWorkflow} steps, ${r.concurrency} in flight; PostgreSQL and DBOS in ${r.turns} alternating turns of ${Math.ceil(r.workflows / r.turns)} workflows, each one's best`,
    `baseline  ${Math.round(r.baseline.stepsPerSecond).toLocaleString('en-US')} steps/s (${r.baseline.perStepUs.toFixed(2)} µs per step, no journal)`,
    line('sqlite', r.sqlite),
    line('postgres', r.postgres),
    line('dbos', r.dbos),
    ratio === null ? 'ours/DBOS: not measured (needs --database-url or DATABASE_URL)' : `ours/DBOS on PostgreSQL: ${ratio}× the steps/s`,
  ].join('\n');
}

/** `bench workflows`: durable workflow steps/s per engine (SQLite, PostgreSQL, DBOS) against a plain loop. */
export const workflowBench = defineBench({
  name: 'workflows',
  description: 'durable workflows: steps/s and per-step overhead on SQLite, PostgreSQL and DBOS (PostgreSQL parts need --database-url or DATABASE_URL)',
  options: [
    { flags: '--workflows <n>', description: 'workflows run', parse: intOption('--workflows', 1), default: 500 },
    { flags: '--steps <n>', description: 'steps per workflow', parse: intOption('--steps', 1), default: 10 },
    { flags: '--concurrency <n>', description: 'workflows in flight at once', parse: intOption('--concurrency', 1), default: 16 },
    { flags: '--turns <n>', description: 'alternating turns of PostgreSQL and DBOS, workflows / turns each (the best kept)', parse: intOption('--turns', 1), default: DEFAULT_TURNS },
  ],
  run: (o: { workflows: number; steps: number; concurrency: number; turns: number }, { log, globals }) => {
    const postgresUrl = globals.databaseUrl ?? process.env.DATABASE_URL;
    log(`running ${o.workflows} workflows × ${o.steps} steps on sqlite${postgresUrl ? ', postgres and dbos' : ''}…`);
    return runWorkflowBench({ postgresUrl, workflows: o.workflows, stepsPerWorkflow: o.steps, concurrency: o.concurrency, turns: o.turns });
  },
  summary: formatWorkflowBench,
  json: (r) => ({ ...r, ourOverDbos: ourOverDbos(r) }),
});
