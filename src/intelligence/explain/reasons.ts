/** One feature's share of a prediction. */
export interface Contribution {
  readonly feature: string;
  /** The raw input value as read ("Month-to-month", "2", "missing"). */
  readonly value: string;
  /** Signed contribution in the stated units (positive pushes toward the positive class). */
  readonly contribution: number;
}

/** Options for turning contributions into reason lines. */
export interface ReasonOptions {
  /** How many reasons to keep (default 3). */
  readonly top?: number;
  /** 'both' ranks by absolute size; 'up' keeps only contributions raising the score. */
  readonly direction?: 'both' | 'up';
  /** Decimal places (default 2). */
  readonly digits?: number;
}

/**
 * The top contributions as readable lines, e.g. `Contract = Month-to-month: +0.31`. The number is
 * in whatever units the contributions carry (the scorer uses calibrated log-odds).
 */
export function formatReasons(contributions: readonly Contribution[], options: ReasonOptions = {}): string[] {
  const top = options.top ?? 3;
  const digits = options.digits ?? 2;
  const pool = options.direction === 'up' ? contributions.filter((c) => c.contribution > 0) : contributions;
  return [...pool]
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
    .slice(0, top)
    .filter((c) => Math.abs(c.contribution) >= 0.5 * 10 ** -digits)
    .map((c) => `${c.feature} = ${c.value}: ${c.contribution >= 0 ? '+' : '−'}${Math.abs(c.contribution).toFixed(digits)}`);
}
