import { toTwinloopError, type ErrorCode } from '../../domain/errors.js';

/** The one table from error codes to process exit codes. */
export const EXIT_CODE: Record<ErrorCode, number> = {
  BAD_INPUT: 2,
  NOT_FOUND: 3,
  CONFLICT: 4,
  POLICY_DENIED: 5,
  OVERLOADED: 6,
  UNAVAILABLE: 7,
  INTERNAL: 1,
};

/** Wraps a command action: anything thrown becomes one line on stderr and the mapped exit code. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (thrown) {
      const err = toTwinloopError(thrown);
      process.stderr.write(`twinloop: ${err.message}\n`);
      process.exitCode = EXIT_CODE[err.code];
    }
  };
}
