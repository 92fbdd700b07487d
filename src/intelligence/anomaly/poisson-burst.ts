/**
 * When is a count of rare events in a window a burst? Under a Poisson baseline of `expected`
 * events per window, `count` is a burst when seeing that many or more is rarer than `alpha`,
 * the chance of a false alarm the operator is willing to pay per window. Pure functions.
 */

/** P(N ≥ k) for N ~ Poisson(λ), summed over the tail itself (no 1 − CDF cancellation for small λ). */
export function poissonTail(lambda: number, k: number): number {
  if (k <= 0) return 1;
  if (!(lambda > 0)) return 0;
  // log P(N = k) by a sum of logs (k is small: counts of calls in a window).
  let logTerm = -lambda;
  for (let i = 1; i <= k; i++) logTerm += Math.log(lambda / i);
  let term = Math.exp(logTerm);
  let sum = 0;
  for (let i = k; i < k + 1000; i++) {
    sum += term;
    term *= lambda / (i + 1);
    if (term < sum * 1e-12) break;
  }
  return Math.min(1, sum);
}

/**
 * The false-alarm chance per window that keeps false alarms under `perMonth` for one watched
 * cell (or site) checked in windows of `windowMs`: windows in a 30-day month are taken as
 * independent tries, so alpha = budget / windows.
 */
export function alphaForBudget(perMonth: number, windowMs: number): number {
  const windows = (30 * 86_400_000) / windowMs;
  return Math.min(1, perMonth / windows);
}

/**
 * The false-alarm chance per signal that keeps false alarms under `perMonth` for one watched cell
 * (or site) tested at every signal's arrival over a sliding window: a month brings
 * `signalsPerMonth` tests there, so alpha = budget / signals. (Counting windows as the tries, as
 * `alphaForBudget` does, undercounts a sliding scan: every arrival is a try.)
 */
export function alphaPerSignal(perMonth: number, signalsPerMonth: number): number {
  return signalsPerMonth > 0 ? Math.min(1, perMonth / signalsPerMonth) : 1;
}

/** Whether `count` events against `expected` in a window is a burst at `alpha`, with its tail probability. */
export function isBurst(count: number, expected: number, alpha: number, minCount: number): { burst: boolean; pValue: number } {
  const pValue = poissonTail(expected, count);
  return { burst: count >= minCount && pValue <= alpha, pValue };
}
