import { OFF, OFFER_KIND_SLOTS, PRODUCT_KIND, PRODUCT_SLOTS, PRODUCT_STATUS } from './twin-layout.js';
import type { TwinCursor } from './twin-table.js';

/**
 * How a customer has answered contact so far: the twin's own record of offers presented,
 * accepted, declined and ignored per offer kind, and whether the customer left soon after a contact.
 * These are the sufficient statistics the intelligence layer turns into a response profile
 * (`intelligence/profile/`); they are integer counts, so replay rebuilds them exactly.
 */

/** Offer kinds counted apart (an offer event's `treatment`); any other treatment counts as `other`. */
export const OFFER_KINDS = ['discount', 'data_bonus', 'plan_upgrade', 'loyalty_credit', 'other'] as const;
export type OfferKind = (typeof OFFER_KINDS)[number];

/** Slot of an offer event's treatment in the per-kind counters. */
export function offerKindSlot(treatment: string | undefined): number {
  const k = OFFER_KINDS.indexOf(treatment as OfferKind);
  return k < 0 || k >= OFFER_KIND_SLOTS ? OFFER_KIND_SLOTS - 1 : k;
}

/** Answers to offers of one kind; offers presented and not yet answered are the rest. */
export interface KindAnswers {
  readonly presented: number;
  readonly accepted: number;
  readonly declined: number;
  /** Left unanswered past the operator's answer window (the `offer ignored` events). */
  readonly ignored: number;
}

/** A customer's record of answers to contact, as of the record's state. */
export interface ContactRecord {
  readonly byKind: Readonly<Record<OfferKind, KindAnswers>>;
  readonly presented: number;
  readonly accepted: number;
  readonly declined: number;
  readonly ignored: number;
  /** Last offer presented, accepted (ms, 0 = never). */
  readonly lastContactAt: number;
  readonly lastAcceptedAt: number;
  /** When the customer's last plan ended, if they have left (ms, 0 = still a customer). */
  readonly leftAt: number;
}

/** Reads the contact record of the twin under `c`. */
export function readContactRecord(c: TwinCursor): ContactRecord {
  const h = (off: number) => (c.base + off) >> 1;
  const F = (off: number) => c.f64[(c.base + off) >> 3];
  const byKind = {} as Record<OfferKind, KindAnswers>;
  let presented = 0;
  let accepted = 0;
  let declined = 0;
  let ignored = 0;
  OFFER_KINDS.forEach((kind, k) => {
    const a = {
      presented: c.u16[h(OFF.offerPresentedByKind) + k],
      accepted: c.u16[h(OFF.offerAcceptedByKind) + k],
      declined: c.u16[h(OFF.offerDeclinedByKind) + k],
      ignored: c.u16[h(OFF.offerIgnoredByKind) + k],
    };
    byKind[kind] = a;
    presented += a.presented;
    accepted += a.accepted;
    declined += a.declined;
    ignored += a.ignored;
  });
  // Left: a plan was held and none is active or suspended now; the time is the last plan's end.
  let everPlan = false;
  let live = false;
  let leftAt = 0;
  for (let s = 0; s < PRODUCT_SLOTS; s++) {
    if (c.u8[c.base + OFF.prodKind + s] !== PRODUCT_KIND.plan) continue;
    const status = c.u8[c.base + OFF.prodStatus + s];
    if (status === PRODUCT_STATUS.none) continue;
    everPlan = true;
    if (status === PRODUCT_STATUS.active || status === PRODUCT_STATUS.suspended) live = true;
    else leftAt = Math.max(leftAt, F(OFF.prodStatusTime + 8 * s));
  }
  return { byKind, presented, accepted, declined, ignored, lastContactAt: F(OFF.lastOfferPresented), lastAcceptedAt: F(OFF.lastOfferAccepted), leftAt: everPlan && !live ? leftAt : 0 };
}
