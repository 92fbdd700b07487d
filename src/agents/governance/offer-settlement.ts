import type { Clock } from '../../domain/clock.js';
import type { TwinEvent } from '../../domain/events.js';
import { budgetClaims, type ActionPolicy, type ActionRequest, type Actor, type BudgetClaim, type BudgetLedger } from '../../decisioning/policy/index.js';
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
 * whatever the answer is seen again (redelivery, replay, restart), and its audit entry is written
 * once (a fact of the trail). An `accepted` that comes after the offer was written off as ignored
 * is honoured within the budgets as at the acceptance (`late`); the sweep
 * (offer-settlement-sweep.ts) settles what a failed write or a crash left reserved or half booked.
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
  /** The request's agent domain, which budgets count (absent: none, or a record kept before it was kept). */
  readonly domain?: string;
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
  readonly late?: { readonly at: number; readonly booked: boolean; readonly reason?: string; readonly claims?: readonly BudgetClaim[] };
}

/**
 * A late acceptance being booked: the lines its amount is checked and booked on, fixed when the
 * acceptance is first seen (the budgets of the policy in force then, in the periods it falls in),
 * and, once the budget has refused it, why. Kept on the open list before anything is booked, so a
 * crash anywhere after leaves the sweep these very lines to finish with.
 */
export interface LateBooking {
  readonly at: number;
  readonly claims: readonly BudgetClaim[];
  readonly refused?: string;
}

/**
 * An entry of the open list (offer-settlement-book.ts): a reserved record as it was reserved, or
 * a released one whose late acceptance is being booked (`lateBooking`).
 */
export type OpenSettlement = OfferSettlement & { readonly lateBooking?: LateBooking };

/** The settlements as the settler keeps them: the records, and the open list's entries it writes. */
export interface SettlementRecords extends DocumentStore<OfferSettlement> {
  /**
   * Puts a late acceptance on the open list before it is booked, unless its booking is listed
   * already, and answers the booking listed: the first to list it fixes its lines, so a repeat, or
   * another process settling the same acceptance at the same time, books on those very lines.
   */
  fixLateBooking(entry: OpenSettlement & { readonly lateBooking: LateBooking }): Promise<LateBooking>;
  /** Replaces a listed late booking (its refusal, kept before it is told); its record changes once it is booked or refused. */
  listLateBooking(entry: OpenSettlement & { readonly lateBooking: LateBooking }): Promise<void>;
}

/** The audit trail's fact of a request's settlement on its answer: one entry, whatever repeats it. */
export const settledFact = (requestId: string): string => `offer-settled:${requestId}`;
/** The audit trail's fact of a late acceptance booked or refused: one entry, whatever repeats it. */
export const lateFact = (requestId: string): string => `offer-accepted-late:${requestId}`;

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
 * What carrying out `request` at `cost` (the verdict's) paid at once: the cost less an offer's
 * acceptance-paid part (what the policy checked and the budget reserved for now), or the back
 * end's actual cost when it reports one below that. A report above it is never booked: the amount
 * moved is the amount checked, so at most that is paid, and the guarded executor raises the
 * difference as an overrun; a report that is no cost (`isCost`) pays the amount checked. One
 * reckoning for the executor's answer, the budget's commit and the `action` event's amount.
 */
export function paidAtPresentation(request: Pick<ActionRequest, 'actionClass' | 'params' | 'costOnAcceptance' | 'cost'>, cost: number, actualCost?: number): number {
  const checked = cents(cost - (presentsOffer(request) ? onAcceptancePart(request) : 0));
  return actualCost === undefined || !isCost(actualCost) ? checked : Math.min(actualCost, checked);
}

/**
 * Whether a back end's reported cost is a cost: a finite amount of at least 0. A negative one
 * would book money coming back to the budget that no policy judged (a refund is an action of its
 * own), and NaN or an infinity no amount at all: such a report is not booked (paidAtPresentation
 * pays the amount checked) and the guarded executor audits it (`action.cost-refused`).
 */
export function isCost(reported: number): boolean {
  return Number.isFinite(reported) && reported >= 0;
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
   * acceptance-paid offer, or settled already). `at`: when the answer was given (its event's time;
   * an ignore's is the end of the answer window), which the record keeps as `settledAt`, and as at
   * which a late acceptance is booked (a sweep at start finds one on a clock that may not have
   * caught up with the world's yet); absent, now.
   */
  settle(requestId: string, answer: OfferAnswer, at?: number): Promise<OfferSettlement | null>;
}

/** What the settler needs. */
export interface OfferSettlerOptions {
  readonly ledger: BudgetLedger;
  readonly settlements: SettlementRecords;
  readonly audit: AuditTrail;
  /** The action policy in force: a late acceptance is checked against its budgets as at the acceptance. */
  readonly policy: () => ActionPolicy;
  readonly clock: Clock;
}

/**
 * The domain of a record kept before the domain was: the one its presentation's budget lines name
 * (`class|domain`), if any did; none otherwise (only budgets for every domain count it then).
 */
function domainOf(s: OfferSettlement): string | undefined {
  if (s.domain !== undefined) return s.domain;
  const named = s.claims.map((c) => c.scope.split('|')[1]).find((d) => d !== undefined && d !== '*');
  return named;
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
  async function settleOnce(requestId: string, answer: OfferAnswer, at?: number): Promise<OfferSettlement | null> {
    const pending = await o.settlements.get(requestId);
    if (!pending) return null;
    if (pending.state !== 'reserved') return answer === 'accepted' && pending.answer === 'ignored' && !pending.late ? acceptedLate(pending, at) : null;
    const reservation = { claims: pending.claims.filter((c) => c.amount > 0), requestId: acceptanceBooking(requestId) };
    // The store's booking settles once even if what follows is not written (a crash between), and
    // the audit entry is the settlement's fact, written once: a repeat (the sweep, another
    // process) writes the record, never the money or the entry twice.
    if (answer === 'accepted') await o.ledger.commit(reservation);
    else await o.ledger.release(reservation);
    // Dated when the customer answered (an ignore at its window's end), however late it is settled.
    const settled: OfferSettlement = { ...pending, state: answer === 'accepted' ? 'committed' : 'released', settledAt: at ?? o.clock.now(), answer };
    await o.audit.record(entry(pending, 'action.settled', answer === 'accepted' ? pending.amount : 0, `the customer's answer: ${answer}`, { answer, state: settled.state, amount: pending.amount }), settledFact(requestId));
    await o.settlements.put(requestId, settled);
    return settled;
  }
  /**
   * The customer accepted after the answer window had written the offer off as ignored: the
   * operator honours the acceptance (the back end gave its terms when the customer accepted), so
   * its amount, the one the policy checked at presentation, is booked on the budgets of the policy
   * in force at the acceptance, in the periods it falls in, within their limits then; a line with
   * no room refuses it, visibly (an `action.failed` entry with the budget's reason), and the record
   * says so: nobody books past a budget, and nobody loses sight of the acceptance.
   *
   * Each step can be cut short by a crash and is finished by the sweep (which reads the open list):
   * the lines are fixed and listed open first; the budget's booking of the request is reserved and
   * committed once; a refusal is listed before it is told; the entry is one fact; the record last
   * (which takes the entry off the open list). A repeat re-books nothing and re-tells nothing.
   */
  async function acceptedLate(released: OfferSettlement, answeredAt?: number): Promise<OfferSettlement> {
    const requestId = released.requestId;
    // As at the acceptance: a sweep at start finds it later, on a clock that may not have caught up with the world's yet.
    const at = answeredAt ?? o.clock.now();
    // Fixed once for every settler: two that judged it on either side of a period's end would
    // otherwise book it on one month's lines and record (and audit) the other's.
    let late: LateBooking = await o.settlements.fixLateBooking({
      ...released,
      lateBooking: { at, claims: budgetClaims(o.policy(), { actionClass: released.actionClass, domain: domainOf(released) }, at, released.amount) },
    });
    const booking = lateAcceptanceBooking(requestId);
    if (late.refused === undefined) {
      const held = await o.ledger.reserve(late.claims, booking);
      if (!held.ok) {
        late = { ...late, refused: held.reason };
        // Kept before it is told: a repeat tells the same refusal rather than judging again.
        await o.settlements.listLateBooking({ ...released, lateBooking: late });
      }
    }
    if (late.refused !== undefined) {
      const refused: OfferSettlement = { ...released, late: { at: late.at, booked: false, reason: late.refused, claims: late.claims } };
      const why = `the customer accepted after the offer was written off as ignored; not booked: ${late.refused}. The customer holds the offer's terms and nothing books them later: withdraw the terms with the customer, or account for the amount outside this budget`;
      await o.audit.record(entry(released, 'action.failed', 0, why, { answer: 'accepted', late: true, status: 'refused', guardrail: 'budget', state: 'released', amount: released.amount }), lateFact(requestId));
      await o.settlements.put(requestId, refused);
      return refused;
    }
    // The amount committed is the amount checked: the lines were reserved at `released.amount` each.
    await o.ledger.commit({ claims: late.claims.filter((c) => c.amount > 0), requestId: booking });
    const booked: OfferSettlement = { ...released, state: 'committed', answer: 'accepted', settledAt: late.at, late: { at: late.at, booked: true, claims: late.claims } };
    await o.audit.record(
      entry(released, 'action.settled', released.amount, "the customer's answer: accepted, after the offer was written off as ignored", { answer: 'accepted', late: true, state: 'committed', amount: released.amount, budgets: late.claims.map((c) => `${c.scope} ${c.periodKey}`) }),
      lateFact(requestId),
    );
    await o.settlements.put(requestId, booked);
    return booked;
  }
  return {
    settle(requestId, answer, at) {
      // One settlement of a request at a time: an answer seen while another settles it waits for
      // it, then finds it settled (the same answer: nothing more) or acts on it (a late acceptance).
      const before = running.get(requestId);
      const done: Promise<OfferSettlement | null> = (before ? before.catch(() => null).then(() => settleOnce(requestId, answer, at)) : settleOnce(requestId, answer, at)).finally(() => {
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
  failed: (requestId: string, answer: OfferAnswer, err: Error, at: number) => void,
): () => void {
  return intake.onApplied((batch) => {
    for (const { event } of batch) {
      const a = offerAnswerOf(event);
      if (!a) continue;
      const at = Date.parse(event.time);
      void settler.settle(a.requestId, a.answer, at).catch((err: Error) => failed(a.requestId, a.answer, err, at));
    }
  });
}

/** When the customer accepted request `requestId`, among their events (their first acceptance); undefined when they did not. */
export function acceptedAtAmong(events: Iterable<TwinEvent>, requestId: string): number | undefined {
  let first: number | undefined;
  for (const e of events) {
    const a = offerAnswerOf(e);
    if (a?.requestId !== requestId || a.answer !== 'accepted') continue;
    const t = Date.parse(e.time);
    if (first === undefined || t < first) first = t;
  }
  return first;
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
