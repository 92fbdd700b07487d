import type { ResponseType } from './world-config.js';

/**
 * The hidden state of every customer, as parallel typed arrays (struct of arrays): tens of
 * thousands of customers are stepped every simulated day, and objects per customer would
 * cost the generator its speed. Index `i` is the customer's slot; ids are derived from it.
 */

/** Customer lifecycle in the world. */
export const STATUS_ACTIVE = 1;
export const STATUS_TERMINATED = 2;

/** Order of response types as stored in `responseType`. */
export const RESPONSE_TYPE_ORDER: readonly ResponseType[] = ['sureThing', 'lostCause', 'persuadable', 'sleepingDog'];

const F64 = ['sinceMs', 'dataLevel', 'voiceLevel', 'growth', 'trend', 'strain', 'frailty', 'cycleDataMb', 'cycleVoiceMin',
  'complaintScore', 'networkScore', 'pendingCredit', 'discountPct', 'dataBonusMb', 'offerMultiplier', 'contactMultiplier',
  'priceIncreasePct', 'dailyChurn', 'monthlyHazard', 'typeDataTrait', 'lastOfferStrength'] as const;
const I32 = ['homeCell', 'complaintDay', 'networkDay', 'discountUntil', 'dataBonusUntil', 'offerUntil', 'contactUntil',
  'priceUntil', 'joinedDay', 'terminatedDay', 'billCount', 'lastBillDay', 'contacts', 'offersAccepted',
  'paymentsPaid', 'paymentsLate', 'paymentsFailed', 'lastContactDay', 'contractEndDay'] as const;
const U8 = ['status', 'business', 'prepaid', 'contractIdx', 'paymentIdx', 'billDay', 'overageBits', 'responseType',
  'cycleRoamingDays', 'dirty'] as const;

type F64Key = (typeof F64)[number];
type I32Key = (typeof I32)[number];
type U8Key = (typeof U8)[number];

/** The customers of one world. Grows as customers join; slots are never reused. */
export class Population {
  size = 0;
  capacity: number;
  /** Plan index into the catalogue (Uint16: a catalogue has fewer than 65,536 plans). */
  plan: Uint16Array;
  /** `visitedPerCustomer` visited cells per customer, flattened. */
  visited: Int32Array;
  customerIds: string[] = [];
  subscriptionIds: string[] = [];
  f: Record<F64Key, Float64Array>;
  i: Record<I32Key, Int32Array>;
  u: Record<U8Key, Uint8Array>;

  constructor(
    initialCapacity: number,
    readonly visitedPerCustomer: number,
  ) {
    this.capacity = Math.max(16, initialCapacity);
    this.plan = new Uint16Array(this.capacity);
    this.visited = new Int32Array(this.capacity * visitedPerCustomer);
    this.f = Object.fromEntries(F64.map((k) => [k, new Float64Array(this.capacity)])) as Record<F64Key, Float64Array>;
    this.i = Object.fromEntries(I32.map((k) => [k, new Int32Array(this.capacity)])) as Record<I32Key, Int32Array>;
    this.u = Object.fromEntries(U8.map((k) => [k, new Uint8Array(this.capacity)])) as Record<U8Key, Uint8Array>;
  }

  /** Reserves the next slot (doubling the arrays when full) and names it. */
  add(): number {
    if (this.size === this.capacity) this.grow();
    const idx = this.size++;
    const n = String(idx + 1).padStart(6, '0');
    this.customerIds.push(`C${n}`);
    this.subscriptionIds.push(`S${n}`);
    return idx;
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const copy = <T extends Float64Array | Int32Array | Uint8Array | Uint16Array>(a: T, make: (n: number) => T, n = cap): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.plan = copy(this.plan, (n) => new Uint16Array(n));
    this.visited = copy(this.visited, (n) => new Int32Array(n), cap * this.visitedPerCustomer);
    for (const k of F64) this.f[k] = copy(this.f[k], (n) => new Float64Array(n));
    for (const k of I32) this.i[k] = copy(this.i[k], (n) => new Int32Array(n));
    for (const k of U8) this.u[k] = copy(this.u[k], (n) => new Uint8Array(n));
    this.capacity = cap;
  }

  /** Slot of a customer id, or -1. Ids are `C` + the 1-based slot, zero-padded. */
  indexOf(customerId: string): number {
    if (!/^C\d+$/.test(customerId)) return -1;
    const idx = Number(customerId.slice(1)) - 1;
    return idx >= 0 && idx < this.size ? idx : -1;
  }

  /** Number of customers currently active. */
  activeCount(): number {
    let n = 0;
    const s = this.u.status;
    for (let c = 0; c < this.size; c++) if (s[c] === STATUS_ACTIVE) n++;
    return n;
  }
}
