/**
 * The answer of every back-end connector call. Business failures are values, not exceptions:
 * `transient` may succeed if retried later (same idempotency key), `rejected` never will.
 */
export type ConnectorResult<T> =
  | { status: 'ok'; value: T }
  | {
      status: 'transient';
      reason: string;
      retryAfterMs?: number;
      /**
       * The back end takes no act for a while, whoever asks (the sandbox while its first start's
       * history is being loaded, decision 0021): not this request's failure, so a retry after
       * `retryAfterMs` is a wait, not one of a step's attempts.
       */
      held?: true;
    }
  | { status: 'rejected'; reason: string };

/**
 * Every mutating call carries a key; repeating a call with the same key has no further effect,
 * whoever repeats it and even while the first is still under way (a back end joins the call in
 * flight or answers its first final answer). Two processes can carry out one request at once (an
 * approval settled on two partition workers, decision 0051): the key is where the second act stops,
 * so every back end, the sandbox's and a real BSS adapter alike, must honour it.
 */
export interface Idempotent {
  idempotencyKey: string;
}

/** Helpers to build results without spelling the union out. */
export const ok = <T>(value: T): ConnectorResult<T> => ({ status: 'ok', value });
export const transient = <T>(reason: string, retryAfterMs?: number): ConnectorResult<T> =>
  retryAfterMs === undefined ? { status: 'transient', reason } : { status: 'transient', reason, retryAfterMs };
/** Why a back end (a world) takes no act now, and when to ask again: what `held` answers and `heldError` throws. */
export interface ActHold {
  /** Said to whoever asks, as it is (it should name why and when: "…; retry in 12 s"). */
  reason: string;
  /** When asking again may pass, in ms. */
  retryAfterMs: number;
}

/** A back end holding every act for a while (`held`): ask again after `retryAfterMs`. */
export const held = <T>(reason: string, retryAfterMs: number): ConnectorResult<T> => ({ status: 'transient', reason, retryAfterMs, held: true });
export const rejected = <T>(reason: string): ConnectorResult<T> => ({ status: 'rejected', reason });

/**
 * What a back end's final refusal is about, as its code says (the code is what the wire carries,
 * TMF630's Error `code`): the customer (`customer_…`, such as customer_not_active: they have left),
 * whom no other offer reaches either; or the offer (`unknown_offer`, `offer_…`: one the back end
 * does not sell), which another offer may replace for the same customer. A real BSS adapter answers
 * its refusals in these codes. Any other code (a refusal of that one call) says neither.
 */
export const REFUSAL_SUBJECTS = ['customer', 'offer'] as const;
/** What a final refusal is about: REFUSAL_SUBJECTS. */
export type RefusalSubject = (typeof REFUSAL_SUBJECTS)[number];

/** What a refusal with code `reason` is about (RefusalSubject), or undefined when its code does not say. Pure. */
export function refusalSubjectOf(reason: string): RefusalSubject | undefined {
  if (reason.startsWith('customer_')) return 'customer';
  if (reason === 'unknown_offer' || reason.startsWith('offer_')) return 'offer';
  return undefined;
}
