/**
 * The validation rows of a churn model grouped by score, for score intervals: bins of equal
 * *expected churn* (Σ of the scores), not of equal width. Churn is rare and most customers score
 * near 0, so tenths of [0, 1] put nearly everyone in the first bin, whose observed rate then says
 * nothing about a score of 0.2 % or of 9 %. Bins of equal row counts fix the crowding but leave the
 * low bins with a fraction of a churner expected; bins holding an equal share of the expected
 * churners make every bin's observed-to-expected ratio about equally well measured.
 */

/** Per bin (ascending scores): the highest score it holds, its rows, churners and expected churners. */
export interface ScoreBins {
  readonly upper: readonly number[];
  readonly count: readonly number[];
  readonly positives: readonly number[];
  readonly expected: readonly number[];
}

/** At most this many bins: more would only split the churners thinner. */
const MAX_BINS = 10;
/** Observed churners a bin should hold on average: fewer and its ratio's interval spans an order of magnitude. */
const CHURNERS_PER_BIN = 10;

/** Bins of the validation scores; the bin count follows the churners seen (1 to 10). */
export function scoreBins(scores: ArrayLike<number>, labels: ArrayLike<number>): ScoreBins {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let churners = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    churners += labels[i];
    total += scores[i];
  }
  const bins = Math.max(1, Math.min(MAX_BINS, Math.floor(churners / CHURNERS_PER_BIN)));
  const out: { upper: number[]; count: number[]; positives: number[]; expected: number[] } = { upper: [], count: [], positives: [], expected: [] };
  let k = 0;
  let acc = 0;
  while (k < n) {
    const target = (total * (out.upper.length + 1)) / bins;
    let count = 0;
    let positives = 0;
    let expected = 0;
    // Fill to the bin's share of the expected churn; rows of one score never straddle two bins.
    while (k < n && (count === 0 || acc < target || out.upper.length === bins - 1 || (count > 0 && scores[order[k]] === scores[order[k - 1]]))) {
      const i = order[k++];
      acc += scores[i];
      expected += scores[i];
      positives += labels[i];
      count++;
    }
    out.upper.push(scores[order[k - 1]]);
    out.count.push(count);
    out.positives.push(positives);
    out.expected.push(expected);
  }
  if (out.upper.length > 0) out.upper[out.upper.length - 1] = 1;
  return out;
}
