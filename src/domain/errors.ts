/** The closed set of failure codes every edge (HTTP, CLI, MCP) maps to its own status or exit code. */
export const ERROR_CODES = [
  'BAD_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'OVERLOADED',
  /** More than the receiver takes in one request at all (not a moment's overload): split it. */
  'TOO_LARGE',
  /** This caller sent more requests than it may in a while: wait (Retry-After) and send again. */
  'RATE_LIMITED',
  'POLICY_DENIED',
  /** No credential, or one that is not valid (unknown, expired, revoked): sign in. */
  'UNAUTHENTICATED',
  /** A valid credential whose role lacks the permission asked for. */
  'FORBIDDEN',
  'UNAVAILABLE',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The one error type the system throws on purpose; its message says what to do next. */
export class TwinloopError extends Error {
  readonly code: ErrorCode;
  readonly context: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, options: { cause?: unknown; context?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.name = 'TwinloopError';
    this.code = code;
    this.context = options.context ?? {};
  }
}

/**
 * Whether the same operation may succeed when tried again later: the receiver was overloaded,
 * rate limited or unavailable for a while (a busy or locked database, a connection cut off, a
 * broker not answering). An error that will not pass by itself says so with
 * `context.retryable: false` (a closed store, a process stopping, a batch refused outright);
 * anything else (bad input, a bug) is permanent.
 */
export function isRetryable(err: unknown): boolean {
  return err instanceof TwinloopError && (err.code === 'OVERLOADED' || err.code === 'UNAVAILABLE' || err.code === 'RATE_LIMITED') && err.context.retryable !== false;
}

/**
 * A receiver that takes no act for a while, whoever asks (the sandbox while its first start's
 * history is being loaded, decision 0021): UNAVAILABLE, with the wait as Retry-After. Marked
 * `held` so that a workflow's step waits for it without spending one of its attempts (`isHeld`).
 */
export function heldError(reason: string, retryAfterMs: number): TwinloopError {
  return new TwinloopError('UNAVAILABLE', reason, { context: { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)), retryAfterMs, held: true } });
}

/** Whether `err` is a receiver's hold (`heldError`): a wait, not a failure of the request. */
export function isHeld(err: unknown): err is TwinloopError {
  return err instanceof TwinloopError && err.code === 'UNAVAILABLE' && err.context.held === true;
}

/** Normalises anything thrown into a TwinloopError, keeping the original as the cause. */
export function toTwinloopError(err: unknown): TwinloopError {
  if (err instanceof TwinloopError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new TwinloopError('INTERNAL', message, { cause: err });
}
