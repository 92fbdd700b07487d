import type { Clock } from '../../domain/clock.js';
import type { TwinEvent } from '../../domain/events.js';
import type { ActionRequest, BudgetClaim, BudgetLedger } from '../../decisioning/policy/index.js';
import { cents } from '../../decisioning/action-pricing.js';
import type { DocumentStore } from '../../store/document-store.js';
import type { AppliedListener } from '../../twin/intake.js';
import type { AuditTrail } from './audit-trail.js';

/**
 * An offer paid on acceptance (docs/policy.md, "Budgets"): when it is presented, the part paid
 * then (the contact, a fixed cost paid on presentation) is committed and the part paid only if
 * the customer accepts (the discount given, a fixed cost paid on acceptance) stays reserved under
 * a booking of its own, so the budget cannot be overspent if everyone accepts. The customer's
 * answer to that request settles it: `accepted` commits the reserved part, `declined` and the
 * outcome watch's `ignored` release it. The store's booking makes each settlement happen once,
 * whatever the answer is seen again (redelivery, replay, restart).
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
}

/** The customer's answers that settle an offer. */
export type OfferAnswer = 'accepted' | 'declined' | 'ignored';

/** The booking the acceptance-paid part is reserved under: the request's own booking holds the presentation's part. */
export const acceptanceBooking = (requestId: string): string => `${requestId}#on-acceptance`;

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
  /** Commits (accepted) or releases (declined, ignored) the request's reserved part; null when nothing is reserved for it (not an acceptance-paid offer, or settled already). */
  settle(requestId: string, answer: OfferAnswer): Promise<OfferSettlement | null>;
}

/** What the settler needs. */
export interface OfferSettlerOptions {
  readonly ledger: BudgetLedger;
  readonly settlements: DocumentStore<OfferSettlement>;
  readonly audit: AuditTrail;
  readonly clock: Clock;
}

/** A settler over the ledger and the settlements kept by the guarded executor. */
export function createOfferSettler(o: OfferSettlerOptions): OfferSettler {
  /** Settlements under way, by request id: an answer seen twice at once settles once. */
  const running = new Map<string, Promise<OfferSettlement | null>>();
  async function settleOnce(requestId: string, answer: OfferAnswer): Promise<OfferSettlement | null> {
    const pending = await o.settlements.get(requestId);
    if (!pending || pending.state !== 'reserved') return null;
    const reservation = { claims: pending.claims.filter((c) => c.amount > 0), requestId: acceptanceBooking(requestId) };
    // The store's booking settles once even if the record below is not written (a crash between).
    if (answer === 'accepted') await o.ledger.commit(reservation);
    else await o.ledger.release(reservation);
    const settled: OfferSettlement = { ...pending, state: answer === 'accepted' ? 'committed' : 'released', settledAt: o.clock.now(), answer };
    await o.settlements.put(requestId, settled);
    await o.audit.record({
      type: 'action.settled',
      requestId,
      actor: { kind: 'system', id: 'offer-settlement' },
      action: { actionClass: pending.actionClass, channel: pending.channel, customerId: pending.customerId, cost: answer === 'accepted' ? pending.amount : 0, params: {} },
      why: { summary: `the customer's answer: ${answer}` },
      outcome: { answer, state: settled.state, amount: pending.amount },
    });
    return settled;
  }
  return {
    settle(requestId, answer) {
      const inFlight = running.get(requestId);
      if (inFlight) return inFlight.then(() => null);
      const done = settleOnce(requestId, answer).finally(() => running.delete(requestId));
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

/** Settles every offer answered in the events the intake applies; returns the detach. */
export function settleOnAnswers(intake: { onApplied(listener: AppliedListener): () => void }, settler: OfferSettler, log?: (line: string) => void): () => void {
  return intake.onApplied((batch) => {
    for (const { event } of batch) {
      const a = offerAnswerOf(event);
      if (!a) continue;
      void settler.settle(a.requestId, a.answer).catch((err: Error) => log?.(`offer ${a.requestId}: its ${a.answer} answer did not settle its budget now (${err.message}); it stays reserved`));
    }
  });
}
