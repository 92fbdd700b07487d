/** Retry settings of a step; every field has a documented default. */
export interface RetryPolicy {
  /** Attempts in all, the first included; 1 = never retry. */
  maxAttempts: number;
  /** Wait before the second attempt, in ms. */
  baseDelayMs: number;
  /** Each further wait is the previous one times this. */
  factor: number;
  /** No wait is longer than this, in ms. */
  maxDelayMs: number;
  /** 0..1: the wait is drawn uniformly from [delay × (1 − jitter), delay]; spreads retry storms. */
  jitter: number;
}

/**
 * Defaults: 5 attempts, 100 ms doubling to at most 30 s, 20 % jitter. Five attempts ride out a
 * back end's short blip (about 1.5 s of waiting in all) without hiding a real outage for long.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, factor: 2, maxDelayMs: 30_000, jitter: 0.2 };

/**
 * The wait before attempt `nextAttempt` (2 = first retry). `random` in [0, 1) draws the jitter;
 * a back end's `retryAfterMs` hint is honoured when longer. Pure.
 */
export function retryDelayMs(policy: RetryPolicy, nextAttempt: number, random: number, retryAfterMs?: number): number {
  const raw = policy.baseDelayMs * Math.pow(policy.factor, Math.max(0, nextAttempt - 2));
  const capped = Math.min(policy.maxDelayMs, raw);
  const jittered = capped * (1 - policy.jitter * random);
  return Math.round(Math.max(jittered, retryAfterMs ?? 0));
}
