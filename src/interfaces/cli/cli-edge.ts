import { CommanderError, type Command } from 'commander';
import { toTwinloopError, TwinloopError, type ErrorCode } from '../../domain/errors.js';

/**
 * The one table from error codes to process exit codes (README, "Exit codes"). 2 is what the
 * user can fix in the command line or its files, as shells use it for usage errors.
 */
export const EXIT_CODE: Record<ErrorCode, number> = {
  INTERNAL: 1,
  BAD_INPUT: 2,
  NOT_FOUND: 3,
  CONFLICT: 4,
  POLICY_DENIED: 5,
  OVERLOADED: 6,
  UNAVAILABLE: 7,
  UNAUTHENTICATED: 8,
  FORBIDDEN: 9,
  TOO_LARGE: 10,
  RATE_LIMITED: 11,
};

/** Every error line of the CLI starts so, commander's own usage errors included. */
const PREFIX = 'twinloop: ';

/**
 * The routes errors point to ("…; GET /service-operations/anomalies lists them"), as the CLI
 * command that shows the same: a CLI user is pointed to what they can type. The one place the
 * CLI rewords errors worded for the HTTP edge; a route without a command here is left as it is.
 */
const CLI_COMMAND_OF_ROUTE: Record<string, string> = {
  'GET /service-operations/anomalies': 'twinloop service-ops anomalies',
  'GET /service-operations/incidents': 'twinloop service-ops incidents',
  'GET /churn-prevention/runs': 'twinloop churn-prevention runs',
};

/** An error message in the CLI's words: each route it names that a command shows, as that command. */
export function inCliWords(message: string): string {
  return message.replace(/\b(GET \/[\w/-]+)/g, (route: string) => CLI_COMMAND_OF_ROUTE[route] ?? route);
}

/**
 * Anything thrown out of a command as a TwinloopError; `null` for commander's help and version
 * displays, which end the command without an error. Commander's usage errors (unknown option,
 * missing argument, an option value its parser refused) are BAD_INPUT; commander has already
 * printed them.
 */
export function cliErrorOf(thrown: unknown): TwinloopError | null {
  if (thrown instanceof CommanderError) {
    if (thrown.exitCode === 0) return null;
    return new TwinloopError('BAD_INPUT', thrown.message, { cause: thrown, context: { printed: true } });
  }
  return toTwinloopError(thrown);
}

/** Ends the command with the exit code of `code` once it returns (output already written stays). */
export function setExitCode(code: ErrorCode): void {
  process.exitCode = EXIT_CODE[code];
}

/**
 * A reader that closed its end of stdout (`twinloop dead-letters | head`) has what it wanted:
 * stop at once, silently, keeping the exit code decided so far (0 unless set). Any other write
 * error on the terminal streams is an internal one.
 */
function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit();
    process.exitCode = EXIT_CODE.INTERNAL;
    if (stream !== process.stderr) process.stderr.write(`${PREFIX}cannot write the output: ${err.message}\n`);
  });
}

/**
 * The CLI's edge: runs `program` on `argv`, and turns anything a command throws into one line on
 * stderr and the exit code of its error code. Commands throw TwinloopErrors (or anything, which
 * is INTERNAL) and never set exit codes for errors themselves.
 */
export async function runAtEdge(program: Command, argv: readonly string[]): Promise<void> {
  endQuietlyOnClosedPipe(process.stdout);
  endQuietlyOnClosedPipe(process.stderr);
  try {
    await program.parseAsync(argv as string[]);
  } catch (thrown) {
    const err = cliErrorOf(thrown);
    if (!err) return;
    if (!err.context.printed) process.stderr.write(`${PREFIX}${inCliWords(err.message)}\n`);
    setExitCode(err.code);
  }
}

/**
 * Makes commander throw instead of exiting, and print its usage errors in the CLI's format.
 * Call on the program before adding commands: subcommands inherit both settings.
 */
export function routeCommanderErrorsToEdge(program: Command): Command {
  return program.exitOverride().configureOutput({ outputError: (text, write) => write(`${PREFIX}${text.replace(/^error: /, '')}`) });
}
