/**
 * Shares of one whole (a campaign's split of its budget among its variants) as whole percents that
 * add up to 100: each rounded down, then the points left go to the largest remainders (ties to the
 * first). Each rounded alone, 0.675 and 0.325 read "68 %" and "33 %". Shares that do not make a
 * whole (all zero, say) are rounded each alone.
 */
export function splitPercents(shares: readonly number[]): string[] {
  const total = shares.reduce((a, b) => a + b, 0);
  if (!(Math.abs(total - 1) < 1e-6)) return shares.map((s) => `${Math.round(s * 100)} %`);
  const exact = shares.map((s) => s * 100);
  const whole = exact.map(Math.floor);
  let left = 100 - whole.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, i) => ({ i, r: x - whole[i] })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left <= 0) break;
    whole[i]++;
    left--;
  }
  return whole.map((w) => `${w} %`);
}
