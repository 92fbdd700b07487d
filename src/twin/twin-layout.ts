/**
 * The byte layout of one twin record. Every twin is a fixed-size slice of a shared slab (see
 * `twin-table.ts`), so a million twins are a few large buffers rather than millions of objects,
 * and a snapshot is just the slice's bytes.
 *
 * All accumulators are integers (kilobytes, seconds, cents, counts) so that adding the same
 * events in any order gives bit-identical state: float addition is not associative, integer
 * addition below 2^53 is.
 */

/** Days kept at daily resolution; the 7/30/90-day windows are read from here. */
export const DAY_RING = 90;
/** Months kept at monthly resolution (a year and the current month). */
export const MONTH_RING = 13;
/** Products (plans and add-ons) tracked per customer. */
export const PRODUCT_SLOTS = 6;
/** Recent tickets tracked to know which are open. */
export const TICKET_SLOTS = 8;
/** Recent network incidents tracked so that repeated notices of one incident count once. */
export const INCIDENT_SLOTS = 4;
/** Cells a customer's usage records come from (home and the most frequent others; `twin-cells.ts`). */
export const CELL_SLOTS = 4;

export const CHANNEL_COUNT = 6;
/** Offer kinds counted apart in a twin's response record (`twin-responses.ts`); the last is "other". */
export const OFFER_KIND_SLOTS = 5;

type FieldType = 'f64' | 'i32' | 'u32' | 'u16' | 'u8';
const SIZE: Record<FieldType, number> = { f64: 8, i32: 4, u32: 4, u16: 2, u8: 1 };

/** Builds byte offsets for a list of fields, each aligned to its own size. */
function layout<const N extends string>(fields: readonly (readonly [N, FieldType, number])[], start: number) {
  let at = start;
  const offsets = {} as Record<N, number>;
  for (const [name, type, count] of fields) {
    const size = SIZE[type];
    at = Math.ceil(at / size) * size;
    offsets[name] = at;
    at += size * count;
  }
  return { offsets, end: at };
}

/** Scalars, in float64 (times in ms, codes, cents). */
const scalars = layout(
  [
    ['flags', 'f64', 1],
    ['since', 'f64', 1],
    ['profileTime', 'f64', 1],
    ['segment', 'f64', 1],
    ['billing', 'f64', 1],
    ['contractMonths', 'f64', 1],
    ['paymentMethod', 'f64', 1],
    ['marketingConsent', 'f64', 1],
    ['watermark', 'f64', 1],
    ['firstEventTime', 'f64', 1],
    ['dayHead', 'f64', 1],
    ['monthHead', 'f64', 1],
    ['events', 'f64', 1],
    ['lastBillTime', 'f64', 1],
    ['lastBillCents', 'f64', 1],
    ['billsTotal', 'f64', 1],
    ['billedTotalCents', 'f64', 1],
    ['paymentsLateTotal', 'f64', 1],
    ['paymentsFailedTotal', 'f64', 1],
    ['complaintsTotal', 'f64', 1],
    ['lastInteraction', 'f64', CHANNEL_COUNT],
    ['lastOfferPresented', 'f64', 1],
    ['lastOfferAccepted', 'f64', 1],
    ['lastOfferDeclined', 'f64', 1],
    ['lastComplaint', 'f64', 1],
    // per product slot
    ['profileTie', 'f64', 1],
    ['prodHash', 'f64', PRODUCT_SLOTS],
    ['prodStatusTime', 'f64', PRODUCT_SLOTS],
    ['prodPlanTime', 'f64', PRODUCT_SLOTS],
    // When the allowances were last stated: an event may move the price alone (a price change).
    ['prodTermsTime', 'f64', PRODUCT_SLOTS],
    ['prodActivated', 'f64', PRODUCT_SLOTS],
    ['ticketTime', 'f64', TICKET_SLOTS],
    ['cellHash', 'f64', CELL_SLOTS],
    // The day the contract in force ends (ms at its UTC midnight), 0 = none known.
    ['contractEnd', 'f64', 1],
  ] as const,
  0,
);

const ints = layout(
  [
    ['prodId', 'u32', PRODUCT_SLOTS],
    ['prodPriceCents', 'u32', PRODUCT_SLOTS],
    ['prodDataMb', 'u32', PRODUCT_SLOTS],
    ['prodVoiceMin', 'u32', PRODUCT_SLOTS],
    ['ticketHash', 'u32', TICKET_SLOTS],
    ['incidentHash', 'u32', INCIDENT_SLOTS],
    ['incidentMinutes', 'u32', INCIDENT_SLOTS],
    ['monthBilledCents', 'i32', MONTH_RING],
    ['monthOverageCents', 'i32', MONTH_RING],
    ['monthDataKb', 'u32', MONTH_RING],
    ['monthVoiceSec', 'u32', MONTH_RING],
    ['dayDataKb', 'u32', DAY_RING],
    ['dayVoiceSec', 'u32', DAY_RING],
    ['daySms', 'u16', DAY_RING],
    ['dayDaysLate', 'u16', DAY_RING],
    ['dayNetMinutes', 'u16', DAY_RING],
    ['cellRecords', 'u16', CELL_SLOTS],
    ['cellLastDay', 'u16', CELL_SLOTS],
    // Lifetime offer answers per offer kind: the sufficient statistics of the response profile.
    ['offerPresentedByKind', 'u16', OFFER_KIND_SLOTS],
    ['offerAcceptedByKind', 'u16', OFFER_KIND_SLOTS],
    ['offerDeclinedByKind', 'u16', OFFER_KIND_SLOTS],
    ['offerIgnoredByKind', 'u16', OFFER_KIND_SLOTS],
    ['prodKind', 'u8', PRODUCT_SLOTS],
    ['prodStatus', 'u8', PRODUCT_SLOTS],
    ['ticketState', 'u8', TICKET_SLOTS],
    ['dayRoaming', 'u8', DAY_RING],
    ['dayComplaints', 'u8', DAY_RING],
    ['dayTickets', 'u8', DAY_RING],
    ['dayLate', 'u8', DAY_RING],
    ['dayFailed', 'u8', DAY_RING],
    ['dayIncidents', 'u8', DAY_RING],
    ['dayInteractions', 'u8', DAY_RING],
    ['dayOffersPresented', 'u8', DAY_RING],
    ['dayOffersAccepted', 'u8', DAY_RING],
    ['dayOffersDeclined', 'u8', DAY_RING],
  ] as const,
  scalars.end,
);

/** Byte offset of each field within a record. */
export const OFF = { ...scalars.offsets, ...ints.offsets };
/** Size of one twin record in bytes, padded to 8 so float64 fields stay aligned. */
export const RECORD_BYTES = Math.ceil(ints.end / 8) * 8;

/** Bits of the `flags` scalar. */
export const FLAG_EXISTS = 1;
export const FLAG_HAS_PROFILE = 2;

/** Product slot status codes. */
export const PRODUCT_STATUS = { none: 0, active: 1, suspended: 2, terminated: 3 } as const;
export const PRODUCT_KIND = { plan: 1, addon: 2 } as const;
/** Ticket slot states. */
export const TICKET_STATE = { empty: 0, open: 1, resolved: 2 } as const;

/** Saturation limits of the narrow day counters; a day never plausibly reaches them. */
export const U8_MAX = 255;
export const U16_MAX = 65535;
