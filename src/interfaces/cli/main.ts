import { Command } from 'commander';
import { registerIngestCommand } from './ingest-command.js';
import { registerModelCommands } from './model-commands.js';
import { registerPublishCommand } from './publish-command.js';
import { registerSandboxCommands } from './sandbox-commands.js';
import { registerSandboxServe } from './sandbox-serve-command.js';
import { registerStartCommand } from './start-command.js';
import { registerDecideCommand } from './decide-command.js';
import { registerIntentCommand } from './intent-command.js';
import { registerChurnPreventionCommands } from './churn-prevention-command.js';
import { registerKeysCommands } from './keys-command.js';
import { registerMcpCommand } from './mcp-command.js';
import { registerTwinCommands } from './twin-commands.js';
import { registerAgentCommands } from './agent-command.js';
import { registerAuditCommands } from './audit-command.js';
import { registerServiceOpsCommands } from './service-ops-command.js';
import { registerPolicyCommands } from './policy-command.js';
import { registerSimulateCommands } from './simulate-command.js';
import { VERSION } from './version.js';
import { registerBenchCommands } from '../bench/bench-commands.js';
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
  registerSandboxServe(registerSandboxCommands(program));
  registerDecideCommand(program);
  registerIntentCommand(program);
  registerChurnPreventionCommands(program);
  registerMcpCommand(program);
  registerSimulateCommands(program);
  registerPolicyCommands(program);
  registerAuditCommands(program);
  registerServiceOpsCommands(program);
  registerKeysCommands(program);
  registerAgentCommands(program);
  registerBenchCommands(program);
  return program;
}

/** Runs the command line on `argv` (as `process.argv`); errors end in their exit code (cli-edge.ts). */
export async function main(argv: string[]): Promise<void> {
  await runAtEdge(buildProgram(), argv);
}
