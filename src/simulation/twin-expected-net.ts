import { LEAVING_MONTH_SHARE } from './monte-carlo-kernel.js';

/**
 * One twin's expected net value of an offer, in closed form over the monthly process the Monte
 * Carlo kernel samples: what `expectedNetValue` sums per draw and an uplift ranking ranks by.
 */

/**
 * One twin's expected net value given the draw's parameters. Attempt j (0-based, one a month,
 * `contacts` at most) reaches the twin when it is still active after j months and declined the j
 * before; it accepts with probability a. Until it accepts, a contacted twin's hazard is hc (a
 * contact's own effect) from the first attempt until `effectMonths` after the last, then h again;
 * an acceptor's hazard is h1 for `effectMonths`, then h; it gives up `discountLoss` a month for
 * `offerMonths`. The kernel samples exactly this process (monte-carlo-kernel.ts), so the two
 * agree on the mean. Revenue counts the months survived in full and LEAVING_MONTH_SHARE of the
 * month a twin leaves in (the discount too), against the same twin untouched.
 */
export function twinExpectedNet(h: number, h1: number, hc: number, a: number, revenue: number, discountLoss: number, contacts: number, contactCost: number, costPerAcceptance: number, effectMonths: number, offerMonths: number, M: number): number {
  const attempts = Math.min(contacts, M);
  // Months [0, contactEnd) at the contacted hazard while not accepted.
  const contactEnd = attempts - 1 + effectMonths;
  let value = 0;
  let waiting = 1; // P(active and not accepted at the start of month t)
  let s0 = 1; // P(active after t + 1 months) untouched
  for (let t = 0; t < M; t++) {
    if (t < attempts) {
      value -= waiting * contactCost;
      const accept = waiting * a;
      if (accept > 0) {
        // The acceptor's months survived in full from month t on (memoryless: as from month 0).
        let s1 = 1;
        let months = 0;
        let discounted = 0;
        for (let u = 1; u <= M - t; u++) {
          const before = s1;
          s1 *= u <= effectMonths ? 1 - h1 : 1 - h;
          // Survived in full, and the share of the month it leaves in.
          const paid = s1 + LEAVING_MONTH_SHARE * (before - s1);
          months += paid;
          if (u <= offerMonths) discounted += paid;
        }
        value += accept * (revenue * months - discountLoss * discounted - costPerAcceptance);
        waiting -= accept;
      }
    }
    const hz = t < contactEnd ? hc : h;
    // Those leaving this month pay for a share of it, in either arm.
    value += revenue * LEAVING_MONTH_SHARE * (waiting * hz - s0 * h);
    waiting *= 1 - hz;
    s0 *= 1 - h;
    value += revenue * (waiting - s0);
  }
  return value;
}
