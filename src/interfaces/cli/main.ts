import { Command } from 'commander';
import { registerBackfillBench } from './backfill-bench.js';
import { registerIngestBench } from './ingest-bench.js';
import { registerIngestCommand } from './ingest-command.js';
import { registerModelBench } from './model-bench.js';
import { registerModelCommands } from './model-commands.js';
import { registerPublishCommand } from './publish-command.js';
import { registerScoringBench } from './scoring-bench.js';
import { registerUpliftBench } from './uplift-bench.js';
import { registerSandboxBench, registerSandboxCommands } from './sandbox-commands.js';
import { registerStartCommand } from './start-command.js';
import { registerDecideCommand } from './decide-command.js';
import { registerIntentCommand } from './intent-command.js';
import { registerMcpCommand } from './mcp-command.js';
import { registerTwinCommands } from './twin-commands.js';
import { registerAgentCommands } from './agent-command.js';
import { registerAlarmsBench } from './alarms-bench.js';
import { registerAuditCommands } from './audit-command.js';
import { registerDecideBench } from './decide-bench.js';
import { registerPolicyCommands } from './policy-command.js';
import { registerSimulateBench } from './simulate-bench.js';
import { registerSimulateCommands } from './simulate-command.js';
import { registerWorkflowBench } from './workflow-bench-command.js';
import { registerOnboardingBench } from './onboarding-bench.js';
import { VERSION } from './version.js';
import { routeCommanderErrorsToEdge, runAtEdge } from './cli-edge.js';

/** Builds the `twinloop` command line. */
export function buildProgram(): Command {
  const program = routeCommanderErrorsToEdge(new Command('twinloop'))
    .version(VERSION)
    .description('Living customer twins and an agentic execution engine for telecom operators')
    .option('--data-dir <dir>', 'embedded store folder (env TWINLOOP_DATA_DIR; default ./.twinloop)')
    .option('--database-url <url>', 'use PostgreSQL instead of the embedded store (env TWINLOOP_DATABASE_URL)')
    .option('--lateness <duration>', 'how late an event may arrive and still be applied (e.g. 72h)');
  registerStartCommand(program);
  registerIngestCommand(program);
  registerPublishCommand(program);
  registerTwinCommands(program);
  registerModelCommands(program);
  registerSandboxCommands(program);
  registerDecideCommand(program);
  registerIntentCommand(program);
  registerMcpCommand(program);
  registerSimulateCommands(program);
  registerPolicyCommands(program);
  registerAuditCommands(program);
  registerAgentCommands(program);
  const bench = program.command('bench').description('Benchmarks; each prints its figures and a ratio to a same-process baseline');
  registerIngestBench(bench);
  registerModelBench(bench);
  registerSandboxBench(bench);
  registerBackfillBench(bench);
  registerScoringBench(bench);
  registerUpliftBench(bench);
  registerDecideBench(bench);
  registerSimulateBench(bench);
  registerWorkflowBench(bench);
  registerOnboardingBench(bench);
  registerAlarmsBench(bench);
  return program;
}

/** Runs the command line on `argv` (as `process.argv`); errors end in their exit code (cli-edge.ts). */
export async function main(argv: string[]): Promise<void> {
  await runAtEdge(buildProgram(), argv);
}
