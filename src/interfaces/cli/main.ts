import { Command } from 'commander';
import { VERSION } from './version.js';
import { routeCommanderErrorsToEdge, runAtEdge } from './cli-edge.js';

type Register = (program: Command) => Promise<void>;

/**
 * Each command module, loaded only when its command is run. Why: a module's imports are the
 * command's whole world (the operator's runtime, fastify, the models, every bench), ~1 CPU-second
 * for all of them, paid before `twinloop twin get` could print a line (3.3–5.4 s on a loaded
 * machine). Help and an unknown command load them all, in this order (the order help lists).
 */
const MODULES: ReadonlyArray<{ commands: readonly string[]; register: Register }> = [
  { commands: ['start'], register: async (p) => (await import('./start-command.js')).registerStartCommand(p) },
  { commands: ['ingest'], register: async (p) => (await import('./ingest-command.js')).registerIngestCommand(p) },
  { commands: ['publish'], register: async (p) => (await import('./publish-command.js')).registerPublishCommand(p) },
  { commands: ['twin', 'replay', 'dead-letters'], register: async (p) => (await import('./twin-commands.js')).registerTwinCommands(p) },
  { commands: ['model'], register: async (p) => (await import('./model-commands.js')).registerModelCommands(p) },
  {
    commands: ['sandbox'],
    register: async (p) => {
      const [commands, serve] = await Promise.all([import('./sandbox-commands.js'), import('./sandbox-serve-command.js')]);
      serve.registerSandboxServe(commands.registerSandboxCommands(p));
    },
  },
  { commands: ['decide'], register: async (p) => (await import('./decide-command.js')).registerDecideCommand(p) },
  { commands: ['intent'], register: async (p) => (await import('./intent-command.js')).registerIntentCommand(p) },
  { commands: ['churn-prevention'], register: async (p) => (await import('./churn-prevention-command.js')).registerChurnPreventionCommands(p) },
  { commands: ['mcp'], register: async (p) => (await import('./mcp-command.js')).registerMcpCommand(p) },
  { commands: ['simulate'], register: async (p) => (await import('./simulate-command.js')).registerSimulateCommands(p) },
  { commands: ['policy'], register: async (p) => (await import('./policy-command.js')).registerPolicyCommands(p) },
  { commands: ['audit'], register: async (p) => (await import('./audit-command.js')).registerAuditCommands(p) },
  { commands: ['service-ops'], register: async (p) => (await import('./service-ops-command.js')).registerServiceOpsCommands(p) },
  { commands: ['keys'], register: async (p) => (await import('./keys-command.js')).registerKeysCommands(p) },
  { commands: ['agent'], register: async (p) => (await import('./agent-command.js')).registerAgentCommands(p) },
  { commands: ['bench'], register: async (p) => void (await import('../bench/bench-commands.js')).registerBenchCommands(p) },
];

/** The program's own options that take a value (the value is not a command's name). */
const GLOBAL_VALUE_OPTIONS = new Set(['--data-dir', '--database-url', '--lateness']);

/** The command `argv` (as `process.argv`) names, skipping the program's own options; undefined if none. */
export function commandNamed(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (GLOBAL_VALUE_OPTIONS.has(arg)) i += 1;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * Builds the `twinloop` command line: with `argv`, only the module of the command it names
 * (all of them when it names none that is known); without, all of them.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = routeCommanderErrorsToEdge(new Command('twinloop'))
    .version(VERSION)
    .description('Living customer twins and an agentic execution engine for telecom operators')
    .option('--data-dir <dir>', 'embedded store folder (env TWINLOOP_DATA_DIR; default ./.twinloop)')
    .option('--database-url <url>', 'use PostgreSQL instead of the embedded store (env TWINLOOP_DATABASE_URL)')
    .option('--lateness <duration>', 'how late an event may arrive and still be applied (e.g. 72h)');
  const name = argv === undefined ? undefined : commandNamed(argv);
  const one = MODULES.find((m) => name !== undefined && m.commands.includes(name));
  for (const m of one ? [one] : MODULES) await m.register(program);
  return program;
}

/** Runs the command line on `argv` (as `process.argv`); errors end in their exit code (cli-edge.ts). */
export async function main(argv: string[]): Promise<void> {
  await runAtEdge(await buildProgram(argv), argv);
}
