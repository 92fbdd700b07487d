import type { Clock } from '../../domain/clock.js';
import type { TwinEvent } from '../../domain/events.js';
import type { ActionRequest, Actor, BudgetClaim, BudgetLedger } from '../../decisioning/policy/index.js';
import { cents } from '../../decisioning/action-pricing.js';
import type { DocumentStore } from '../../store/document-store.js';
import type { AppliedListener } from '../../twin/intake.js';
import type { ActionAuditEntry, AuditEntryType, AuditTrail } from './audit-trail.js';

/**
 * An offer paid on acceptance (docs/policy.md, "Budgets"): when it is presented, the part paid
 * then (the contact, a fixed cost paid on presentation) is committed and the part paid only if
 * the customer accepts (the discount given, a fixed cost paid on acceptance) stays reserved under
 * a booking of its own, so the budget cannot be overspent if everyone accepts. The customer's
 * answer to that request settles it: `accepted` commits the reserved part, `declined` and the
 * outcome watch's `ignored` release it. The store's booking makes each settlement happen once,
 * whatever the answer is seen again (redelivery, replay, restart). An `accepted` that comes after
 * the offer was written off as ignored is honoured within the budget (`late`); the sweep
 * (offer-settlement-sweep.ts) settles what a failed write or a crash left reserved.
 */

/** Whether a request puts a catalogue offer in front of the customer (who then answers). */
export function presentsOffer(request: Pick<ActionRequest, 'actionClass' | 'params'>): boolean {
  return request.actionClass === 'offer' || request.params.present === true;
}

/** Where an offer presented waits for its answer: one record per request id. */
export const OFFER_SETTLEMENTS = 'offer-settlements';

/** An offer's acceptance-paid part, reserved at presentation and settled by the customer's answer. */
export interface OfferSettlement {
  readonly requestId: string;
  readonly customerId: string;
  readonly actionClass: string;
  readonly channel: string;
  /** The acceptance-paid part: what the policy checked, committed as is on acceptance. */
  readonly amount: number;
  /** The budget lines it is reserved on (the presentation's periods: settled where reserved). */
  readonly claims: readonly BudgetClaim[];
  /** reserved: waiting for the answer; committed: accepted; released: declined, ignored, or the presentation failed. */
  readonly state: 'reserved' | 'committed' | 'released';
  readonly presentedAt: number;
  readonly settledAt?: number;
  /** The answer that settled it (or `failed`, when the presentation did not happen). */
  readonly answer?: OfferAnswer | 'failed';
  /**
   * An `accepted` that came after the offer was released as ignored (its window passed first):
   * `booked` when the budget had room and the amount was committed then (the record is then
   * `committed`), else why not (the record stays `released`, the refusal is in the audit trail).
   */
  readonly late?: { readonly at: number; readonly booked: boolean; readonly reason?: string };
}

/** The customer's answers that settle an offer. */
export type OfferAnswer = 'accepted' | 'declined' | 'ignored';

/** The booking the acceptance-paid part is reserved under: the request's own booking holds the presentation's part. */
export const acceptanceBooking = (requestId: string): string => `${requestId}#on-acceptance`;
/** The booking a late acceptance is committed under (the first one was released): booked once however often it is seen. */
export const lateAcceptanceBooking = (requestId: string): string => `${requestId}#late-acceptance`;

/** The part of a priced request paid only if the customer accepts (0 when all of it is paid at once). */
export function onAcceptancePart(request: Pick<ActionRequest, 'costOnAcceptance' | 'cost'>): number {
  return cents(Math.min(request.cost, request.costOnAcceptance ?? 0));
}

/**
 * What carrying out `request` at `cost` (the verdict's) paid at once: the back end's actual cost
 * when it reports one, else the cost less an offer's acceptance-paid part. One reckoning for the
 * executor's answer and the `action` event's amount.
 */
export function paidAtPresentation(request: Pick<ActionRequest, 'actionClass' | 'params' | 'costOnAcceptance' | 'cost'>, cost: number, actualCost?: number): number {
  return actualCost ?? cents(cost - (presentsOffer(request) ? onAcceptancePart(request) : 0));
}

/**
 * The verdict's budget lines split into the part paid at presentation and the part paid on
 * acceptance (`amount` of each line, which claims the whole cost).
 */
export function splitClaims(claims: readonly BudgetClaim[], amount: number): { now: BudgetClaim[]; onAcceptance: BudgetClaim[] } {
  return {
    now: claims.map((c) => ({ ...c, amount: cents(Math.max(0, c.amount - amount)) })),
    onAcceptance: claims.map((c) => ({ ...c, amount: Math.min(c.amount, amount) })),
  };
}

/** Settles offers on their answers. */
export interface OfferSettler {
  /**
   * Commits (accepted) or releases (declined, ignored) the request's reserved part, or books an
   * `accepted` that came after it was released as ignored; null when nothing changed (not an
   * acceptance-paid offer, or settled already).
   */
  settle(requestId: string, answer: OfferAnswer): Promise<OfferSettlement | null>;
}

/** What the settler needs. */
export interface OfferSettlerOptions {
  readonly ledger: BudgetLedger;
  readonly settlements: DocumentStore<OfferSettlement>;
  readonly audit: AuditTrail;
  readonly clock: Clock;
}

const SETTLER: Actor = { kind: 'system', id: 'offer-settlement' };

/** A settler over the ledger and the settlements kept by the guarded executor. */
export function createOfferSettler(o: OfferSettlerOptions): OfferSettler {
  /** Settlements under way, by request id: an answer seen twice at once settles once. */
  const running = new Map<string, Promise<OfferSettlement | null>>();
  const entry = (s: OfferSettlement, type: AuditEntryType, cost: number, summary: string, outcome: Record<string, unknown>): ActionAuditEntry => ({
    type,
    requestId: s.requestId,
    actor: SETTLER,
    action: { actionClass: s.actionClass, channel: s.channel, customerId: s.customerId, cost, params: {} },
    why: { summary },
    outcome,
  });
  async function settleOnce(requestId: string, answer: OfferAnswer): Promise<OfferSettlement | null> {
    const pending = await o.settlements.get(requestId);
    if (!pending) return null;
    if (pending.state !== 'reserved') return answer === 'accepted' && pending.answer === 'ignored' && !pending.late ? acceptedLate(pending) : null;
    const reservation = { claims: pending.claims.filter((c) => c.amount > 0), requestId: acceptanceBooking(requestId) };
    // The store's booking settles once even if what follows is not written (a crash between): a
    // repeat (the sweep) writes the audit entry and the record, at worst the entry twice, never the money.
    if (answer === 'accepted') await o.ledger.commit(reservation);
    else await o.ledger.release(reservation);
    const settled: OfferSettlement = { ...pending, state: answer === 'accepted' ? 'committed' : 'released', settledAt: o.clock.now(), answer };
    await o.audit.record(entry(pending, 'action.settled', answer === 'accepted' ? pending.amount : 0, `the customer's answer: ${answer}`, { answer, state: settled.state, amount: pending.amount }));
    await o.settlements.put(requestId, settled);
    return settled;
  }
  /**
   * The customer accepted after the answer window had written the offer off as ignored: the
   * operator honours the acceptance (the back end gave its terms when the customer accepted), so
   * its amount is booked again on the lines it was reserved on, within their limits; a line with
   * no room refuses it, visibly (an `action.failed` entry with the budget's reason), and the
   * record says so: nobody books past a budget, and nobody loses sight of the acceptance.
   */
  async function acceptedLate(released: OfferSettlement): Promise<OfferSettlement> {
    const booking = lateAcceptanceBooking(released.requestId);
    const held = await o.ledger.reserve(released.claims, booking);
    const at = o.clock.now();
    if (!held.ok) {
      const refused: OfferSettlement = { ...released, late: { at, booked: false, reason: held.reason } };
      const why = `the customer accepted after the offer was written off as ignored; not booked: ${held.reason}. The customer holds the offer's terms and nothing books them later: withdraw the terms with the customer, or account for the amount outside this budget`;
      await o.audit.record(entry(released, 'action.failed', 0, why, { answer: 'accepted', late: true, status: 'refused', guardrail: 'budget', state: 'released', amount: released.amount }));
      await o.settlements.put(released.requestId, refused);
      return refused;
    }
    await o.ledger.commit(held.reservation);
    const booked: OfferSettlement = { ...released, state: 'committed', answer: 'accepted', settledAt: at, late: { at, booked: true } };
    await o.audit.record(entry(released, 'action.settled', released.amount, "the customer's answer: accepted, after the offer was written off as ignored", { answer: 'accepted', late: true, state: 'committed', amount: released.amount }));
    await o.settlements.put(released.requestId, booked);
    return booked;
  }
  return {
    settle(requestId, answer) {
      // One settlement of a request at a time: an answer seen while another settles it waits for
      // it, then finds it settled (the same answer: nothing more) or acts on it (a late acceptance).
      const before = running.get(requestId);
      const done: Promise<OfferSettlement | null> = (before ? before.catch(() => null).then(() => settleOnce(requestId, answer)) : settleOnce(requestId, answer)).finally(() => {
        if (running.get(requestId) === done) running.delete(requestId);
      });
      running.set(requestId, done);
      return done;
    },
  };
}

/** The answer an applied event gives to an offer's request, if it is one. */
export function offerAnswerOf(e: TwinEvent): { requestId: string; answer: OfferAnswer } | undefined {
  if (e.kind !== 'offer' || !e.data.requestId) return undefined;
  const a = e.data.action;
  return a === 'accepted' || a === 'declined' || a === 'ignored' ? { requestId: e.data.requestId, answer: a } : undefined;
}

/**
 * Settles every offer answered in the events the intake applies; returns the detach. A settlement
 * that fails (a store down) is handed to `failed` (the sweep tries it again) and stays reserved.
 */
export function settleOnAnswers(
  intake: { onApplied(listener: AppliedListener): () => void },
  settler: OfferSettler,
  failed: (requestId: string, answer: OfferAnswer, err: Error) => void,
): () => void {
  return intake.onApplied((batch) => {
    for (const { event } of batch) {
      const a = offerAnswerOf(event);
      if (!a) continue;
      void settler.settle(a.requestId, a.answer).catch((err: Error) => failed(a.requestId, a.answer, err));
    }
  });
}

/**
 * The customer's answer to request `requestId` among their events: `accepted` if they accepted
 * (also after an `ignored`: the acceptance is what stands), else `declined` or `ignored`.
 */
export function answerAmong(events: Iterable<TwinEvent>, requestId: string): OfferAnswer | undefined {
  let found: OfferAnswer | undefined;
  for (const e of events) {
    const a = offerAnswerOf(e);
    if (a?.requestId !== requestId) continue;
    if (a.answer === 'accepted') return 'accepted';
    if (found !== 'declined') found = a.answer;
  }
  return found;
}
