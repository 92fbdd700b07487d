import { TwinloopError } from '../domain/errors.js';
import { discountGivenFor, discountPctOf, offerCostFor, requireOffering, type CompiledOffer } from './offer-catalogue.js';
import type { ActionRequest } from './policy/index.js';

/**
 * Prices an action request: the one place where what an action costs the operator is decided.
 * The guarded executor calls it on every request before the policy sees it, so the amount the
 * policy checks against caps, the budget reserves, the audit records and the connector moves is
 * the same number, whoever asked (HTTP, MCP, flows, campaigns, intents):
 * - a catalogue offering (`params.offerId`) costs what the catalogue says for this customer
 *   (its fixed cost plus the discount given at their monthly price, to the cent), carries the
 *   offering's discount percentage and months, and must be asked for as its own class;
 * - a credit or compensation costs its amount (`params.amount`, or `cost`; both given must agree);
 * - a discount outside the catalogue costs its percentage of the monthly price over its months;
 * - a plan change to a plan the BSS sells (`params.planId`, with `plans` known) costs the monthly
 *   revenue it gives up (the plan the customer is on now less the one they move to, 0 for a move
 *   up), and carries its terms (`params.planChange`: from and to, each plan's monthly price and
 *   the difference), which the approver is shown;
 * - any other class costs what the caller says (a contact's internal cost; the policy rule's
 *   unit cost when none).
 * A caller's `cost` that disagrees with the price is refused (BAD_INPUT), never silently replaced.
 */

/** Where prices come from: the live catalogue and the customer's monthly price. */
export interface PricingSource {
  offering(offerId: string): CompiledOffer | undefined;
  /** The customer's current monthly price (the twin's `monthly_price`); undefined when unknown. */
  monthlyPrice(customerId: string): number | undefined;
  /** The plans the BSS sells and the plan each customer is on: plan changes are priced from them (absent: a plan change costs what the caller says). */
  plans?: PlanPrices;
}

/** The plans a plan change may move to, with their monthly prices, and the plan a customer is on now. */
export interface PlanPrices {
  /** The monthly price of a plan the BSS sells; undefined for one it does not sell. */
  price(planId: string): number | undefined;
  /** The ids of the plans it sells (named when a request names another). */
  ids(): readonly string[];
  /** The customer's plan now and its monthly price (the twin's active plan); undefined when they have none. */
  current(customerId: string): { planId: string; monthlyPrice: number } | undefined;
}

/** What a plan change moves: the plan the customer leaves and the one they move to, each at its monthly price, and the difference to their monthly bill (negative: they pay less). */
export interface PlanChangeTerms {
  fromPlanId: string | null;
  fromMonthlyPrice: number;
  toPlanId: string;
  toMonthlyPrice: number;
  monthlyDifference: number;
}

/** The terms the pricing put on a plan change (`params.planChange`), not anything else a caller's params hold there. */
export function isPlanChangeTerms(v: unknown): v is PlanChangeTerms {
  const t = v as Partial<PlanChangeTerms> | undefined;
  return typeof t === 'object' && t !== null && typeof t.toPlanId === 'string' && typeof t.toMonthlyPrice === 'number' && typeof t.fromMonthlyPrice === 'number' && typeof t.monthlyDifference === 'number';
}

/** Rounds to the cent: money is moved in cents. */
export const cents = (x: number): number => Math.round(x * 100) / 100;

/**
 * What a catalogue offering costs for a customer paying `monthlyPrice`, to the cent: the price a
 * request naming it gets (`priceActionRequest`), for whoever must know it before asking (a run
 * checking its budget), so that what is planned and checked is what is moved.
 */
export function offeringPrice(offer: CompiledOffer, monthlyPrice: number): number {
  return cents(offerCostFor(offer, monthlyPrice));
}

const MONEY_CLASSES = new Set(['credit', 'compensation']);
/** Classes that may name an offering only as what they are about (a call-back task to present it), not as what they are. */
const REFERRING_CLASSES = new Set(['communication', 'trouble_ticket']);
/** Tolerance for a caller's amount against the price: below a cent. */
const HALF_CENT = 0.005;

function disagree(what: string, given: number, priced: number, how: string): TwinloopError {
  return new TwinloopError('BAD_INPUT', `${what} ${given} disagrees with the price ${priced} (${how}); leave it out: the price is set once, from ${how}`);
}

/** The request with its price (cost, and for discounts the percentage and months) set; BAD_INPUT when the caller's figures disagree. */
export function priceActionRequest(given: ActionRequest, source: PricingSource | undefined): ActionRequest {
  // What is paid on acceptance is the catalogue's to say: whatever came with the request is dropped.
  const { costOnAcceptance: _unpriced, ...request } = given;
  const p = request.params;
  let offerId = typeof p.offerId === 'string' ? p.offerId : undefined;
  let offer = offerId !== undefined ? source?.offering(offerId) : undefined;
  // A message or task about an offering of another class (a call-back to present it) is not that offering.
  if (REFERRING_CLASSES.has(request.actionClass) && (!offer || offer.actionClass !== request.actionClass)) offerId = offer = undefined;
  if (offerId !== undefined && source && !offer) requireOffering(() => false, offerId, 'params.offerId');
  if (offer) {
    if (offer.actionClass !== request.actionClass) throw new TwinloopError('BAD_INPUT', `offering ${offer.id} is a ${offer.actionClass}; ask for actionClass "${offer.actionClass}", not "${request.actionClass}"`);
    const monthly = request.customerId ? (source!.monthlyPrice(request.customerId) ?? 0) : 0;
    const cost = offeringPrice(offer, monthly);
    const how = `offering ${offer.id} at a monthly price of ${monthly}`;
    if (request.cost > 0 && Math.abs(request.cost - cost) > HALF_CENT) throw disagree('cost', request.cost, cost, how);
    if (typeof p.amount === 'number' && Math.abs(p.amount - cost) > HALF_CENT) throw disagree('params.amount', p.amount, cost, how);
    const discountPct = discountPctOf(offer);
    if (request.discountPct !== undefined && discountPct !== undefined && Math.abs(request.discountPct - discountPct) > 0.05) {
      throw new TwinloopError('BAD_INPUT', `discountPct ${request.discountPct} disagrees with offering ${offer.id}'s ${discountPct}; leave it out`);
    }
    const params = request.actionClass === 'discount' && offer.months > 0 ? { ...p, months: offer.months } : p;
    const { discountPct: _given, ...rest } = request;
    // Paid only if the customer accepts: the discount given, and the fixed cost when paid on acceptance.
    const onAcceptance = Math.min(cost, cents(discountGivenFor(offer, monthly) + (offer.costOnAcceptance ? offer.fixedCost : 0)));
    return { ...rest, cost, ...(discountPct === undefined ? {} : { discountPct }), ...(onAcceptance > 0 ? { costOnAcceptance: onAcceptance } : {}), params };
  }
  if (MONEY_CLASSES.has(request.actionClass)) {
    const amount = typeof p.amount === 'number' ? p.amount : request.cost;
    if (!(amount > 0)) throw new TwinloopError('BAD_INPUT', `a ${request.actionClass} needs its amount (params.amount, a positive number)`);
    if (request.cost > 0 && Math.abs(request.cost - amount) > HALF_CENT) throw disagree('cost', request.cost, amount, 'params.amount');
    const cost = cents(amount);
    return { ...request, cost, params: { ...p, amount: cost } };
  }
  if (request.actionClass === 'plan_change' && typeof p.planId === 'string' && source?.plans && request.customerId) return pricePlanChange(request, p.planId, request.customerId, source.plans);
  if (request.actionClass === 'discount') {
    if (request.discountPct === undefined) throw new TwinloopError('BAD_INPUT', 'a discount outside the catalogue needs discountPct (or params.offerId of a catalogue discount)');
    const months = typeof p.months === 'number' ? p.months : 1;
    const monthly = request.customerId ? source?.monthlyPrice(request.customerId) : undefined;
    if (monthly === undefined) return { ...request, params: { ...p, months } };
    const cost = cents((monthly * request.discountPct * months) / 100);
    if (request.cost > 0 && Math.abs(request.cost - cost) > HALF_CENT) throw disagree('cost', request.cost, cost, `${request.discountPct} % of ${monthly} for ${months} months`);
    return { ...request, cost, params: { ...p, months } };
  }
  return request;
}

/**
 * The request priced again now, for an act that comes later than it was asked (an approval waits
 * in people's time while the customer's world goes on, decision 0028): a price read from the
 * catalogue and the customer's monthly price (a catalogue offering, a discount) is read again, as
 * the back end will take the percentage off the bills as they are then; a credit's amount and a
 * caller's cost stay as asked. Unchanged when the offering is gone or the monthly price unknown.
 */
export function repriceActionRequest(request: ActionRequest, source: PricingSource | undefined): ActionRequest {
  if (!source || !request.customerId) return request;
  const offerId = request.params.offerId;
  const offering = typeof offerId === 'string' ? source.offering(offerId) : undefined;
  const fromPrices = typeof offerId === 'string' ? offering?.actionClass === request.actionClass : request.actionClass === 'discount' || (request.actionClass === 'plan_change' && source.plans !== undefined);
  // A monthly price no longer known (the customer has no twin now) would price an offering at its fixed cost alone.
  if (!fromPrices || source.monthlyPrice(request.customerId) === undefined) return request;
  // The first pricing's figures (cost, the amount the caller confirmed, a plan change's terms) are what is priced again.
  const { amount: _asked, planChange: _terms, ...params } = request.params;
  return priceActionRequest({ ...request, cost: 0, params }, source);
}

/**
 * A plan change priced from the plans: its terms from the customer's plan now to the one named,
 * and its cost the monthly revenue it gives up. A plan the BSS does not sell is refused here,
 * naming those it does, before the policy or a back end sees it.
 */
function pricePlanChange(request: ActionRequest, planId: string, customerId: string, plans: PlanPrices): ActionRequest {
  const toMonthlyPrice = plans.price(planId);
  if (toMonthlyPrice === undefined) throw new TwinloopError('BAD_INPUT', `params.planId: "${planId}" is not a plan the BSS sells; one of ${plans.ids().join(', ')}`);
  const now = plans.current(customerId);
  const fromMonthlyPrice = now?.monthlyPrice ?? 0;
  const monthlyDifference = cents(toMonthlyPrice - fromMonthlyPrice);
  const cost = cents(Math.max(0, -monthlyDifference));
  const how = `the move from ${now ? `${now.planId} at ${fromMonthlyPrice}` : 'no plan'} to ${planId} at ${toMonthlyPrice} a month`;
  if (request.cost > 0 && Math.abs(request.cost - cost) > HALF_CENT) throw disagree('cost', request.cost, cost, how);
  const { planChange: _given, ...params } = request.params;
  const planChange: PlanChangeTerms = { fromPlanId: now?.planId ?? null, fromMonthlyPrice, toPlanId: planId, toMonthlyPrice, monthlyDifference };
  return { ...request, cost, params: { ...params, planChange } };
}
