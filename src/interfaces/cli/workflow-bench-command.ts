import type { Command } from 'commander';
import { runWorkflowBench, type WorkflowBenchResult } from '../../agents/workflows/index.js';
import { intOption } from './cli-numbers.js';
import { globalOptions } from './cli-context.js';

type Engine = WorkflowBenchResult['sqlite'] | { skipped: string };
const measured = (e: Engine): e is WorkflowBenchResult['sqlite'] => !('skipped' in e);

/** Our PostgreSQL engine's steps/s over DBOS's, when both were measured. */
export function ourOverDbos(r: WorkflowBenchResult): number | null {
  return measured(r.postgres) && measured(r.dbos) ? Math.round((r.postgres.stepsPerSecond / r.dbos.stepsPerSecond) * 100) / 100 : null;
}

/** The human summary of `bench workflows`. */
export function formatWorkflowBench(r: WorkflowBenchResult): string {
  const line = (name: string, e: Engine) =>
    measured(e)
      ? `${name.padEnd(9)} ${Math.round(e.stepsPerSecond).toLocaleString('en-US')} steps/s, ${Math.round(e.workflowsPerSecond).toLocaleString('en-US')} workflows/s, overhead ${e.overheadPerStepUs.toFixed(1)} µs per step (${e.seconds.toFixed(2)} s)`
      : `${name.padEnd(9)} skipped: ${e.skipped}`;
  const ratio = ourOverDbos(r);
  return [
    `${r.workflows} workflows × ${r.stepsPerWorkflow} steps, ${r.concurrency} in flight`,
    `baseline  ${Math.round(r.baseline.stepsPerSecond).toLocaleString('en-US')} steps/s (${r.baseline.perStepUs.toFixed(2)} µs per step, no journal)`,
    line('sqlite', r.sqlite),
    line('postgres', r.postgres),
    line('dbos', r.dbos),
    ratio === null ? 'ours/DBOS: not measured (needs --database-url or DATABASE_URL)' : `ours/DBOS on PostgreSQL: ${ratio}× the steps/s`,
  ].join('\n');
}

/** Adds `bench workflows`: durable workflow steps/s per engine (SQLite, PostgreSQL, DBOS) against a plain loop. */
export function registerWorkflowBench(bench: Command): void {
  bench
    .command('workflows')
    .description('durable workflows: steps/s and per-step overhead on SQLite, PostgreSQL and DBOS (PostgreSQL parts need --database-url or DATABASE_URL)')
    .option('--workflows <n>', 'workflows run', intOption('--workflows', 1), 500)
    .option('--steps <n>', 'steps per workflow', intOption('--steps', 1), 10)
    .option('--concurrency <n>', 'workflows in flight at once', intOption('--concurrency', 1), 16)
    .option('--json', 'last line: one JSON object')
    .action(
      async (opts: { workflows: number; steps: number; concurrency: number; json?: boolean }, command: Command) => {
        const postgresUrl = globalOptions(command).databaseUrl ?? process.env.DATABASE_URL;
        process.stderr.write(`running ${opts.workflows} workflows × ${opts.steps} steps on sqlite${postgresUrl ? ', postgres and dbos' : ''}…\n`);
        const r = await runWorkflowBench({ postgresUrl, workflows: opts.workflows, stepsPerWorkflow: opts.steps, concurrency: opts.concurrency });
        process.stdout.write(`${formatWorkflowBench(r)}\n`);
        if (opts.json) process.stdout.write(`${JSON.stringify({ ...r, ourOverDbos: ourOverDbos(r) })}\n`);
      },
    );
}
