/**
 * Central intervals of the conjugate posteriors the models report: Gamma (rates and rate ratios
 * from counts against an exposure) and Beta (proportions). Shared so that every interval a user
 * reads is computed one way.
 */

/** z of a two-sided 90 % interval. */
export const Z90 = 1.645;
/** z of a two-sided 95 % interval. */
export const Z95 = 1.96;

/** An estimate with its central interval. */
export interface PosteriorInterval {
  readonly mean: number;
  readonly low: number;
  readonly high: number;
}

/**
 * Gamma(shape a, rate b) interval by the Wilson–Hilferty cube-root normal approximation: within
 * a few per cent of the exact quantiles from a shape of about 0.5 up (a Jeffreys prior on a count
 * of zero), far cheaper than inverting the incomplete gamma function.
 */
export function gammaInterval(a: number, b: number, z = Z90): PosteriorInterval {
  return { mean: a / b, low: gammaQuantile(a, b, -z), high: gammaQuantile(a, b, z) };
}

/** The quantile of Gamma(shape a, rate b) where a standard normal has `z` (Wilson–Hilferty, as `gammaInterval`; either sign). */
export function gammaQuantile(a: number, b: number, z: number): number {
  return Math.max(0, (a / b) * (1 - 1 / (9 * a) + z / (3 * Math.sqrt(a))) ** 3);
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9: about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  x -= 1;
  let s = c[0];
  for (let i = 1; i < 9; i++) s += c[i] / (x + i);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Continued fraction of the regularised incomplete beta function (modified Lentz). */
function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-12) break;
  }
  return h;
}

/** P(X ≤ x) for X ~ Beta(a, b). */
export function betaCdf(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast on the side of the mean; use the symmetry on the other.
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(x, a, b)) / a : 1 - (front * betaFraction(1 - x, b, a)) / b;
}

/** The q-quantile of Beta(a, b), by bisection on the CDF (monotone, so it always converges). */
export function betaQuantile(q: number, a: number, b: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60 && hi - lo > 1e-9; i++) {
    const mid = (lo + hi) / 2;
    if (betaCdf(mid, a, b) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Central interval of Beta(a, b) at z's coverage (a, b > 0). */
export function betaInterval(a: number, b: number, z = Z90): PosteriorInterval {
  const tail = normalTail(z);
  return { mean: a / (a + b), low: betaQuantile(tail, a, b), high: betaQuantile(1 - tail, a, b) };
}

/** P(Z > z) for the two z values used here, exactly as tabulated; others by the Abramowitz–Stegun 7.1.26 erfc. */
function normalTail(z: number): number {
  if (z === Z90) return 0.05;
  if (z === Z95) return 0.025;
  const t = 1 / (1 + (0.3275911 * z) / Math.SQRT2);
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-(z * z) / 2);
  return erfc / 2;
}
