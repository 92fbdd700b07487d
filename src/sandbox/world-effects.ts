import type { Channel } from '../domain/events.js';
import { DATA_BONUS_PRODUCT, dataBonusSubscription, endDataBonus, neighbourPlan } from './billing.js';
import { fnv1a32 } from '../domain/string-hash.js';
import { holdUsageUnderCaps } from './customer-factory.js';
import { DAYS_PER_MONTH } from '../domain/time.js';
import { RESPONSE_TYPE_ORDER, STATUS_ACTIVE } from './population.js';
import type { WorldEngine } from './world-engine.js';

/**
 * How calls to the sandbox back ends change the world. Each effect emits its events at the
 * simulated "now" to the engine's immediate output and updates the hidden state. Effects draw
 * from their own random stream so the world's own course is not shifted by them.
 */

/** A business answer of an effect: done, or refused with a reason. */
export type EffectResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Resolves an active customer's slot or explains why not. */
export function activeSlot(w: WorldEngine, customerId: string): EffectResult<number> {
  const c = w.pop.indexOf(customerId);
  if (c < 0) return { ok: false, reason: `unknown customer ${customerId}` };
  if (w.pop.u.status[c] !== STATUS_ACTIVE) return { ok: false, reason: `customer ${customerId} has left` };
  return { ok: true, value: c };
}

/** What a new line needs; unspecified attributes are drawn from the world's mix. */
export interface NewLineRequest {
  planId: string;
  segment?: 'consumer' | 'business';
  contractMonths?: number;
  paymentMethod?: string;
}

/** Activates a new line: a new customer with `customer` + `subscription activated` events; usage follows. */
export function activateLine(w: WorldEngine, req: NewLineRequest): EffectResult<{ customerId: string; subscriptionId: string }> {
  const planIdx = w.cfg.plans.findIndex((p) => p.id === req.planId);
  if (planIdx < 0) return { ok: false, reason: `unknown plan ${req.planId}` };
  const contractIdx = req.contractMonths === undefined ? undefined : w.cfg.population.contracts.findIndex((c) => c.months === req.contractMonths);
  if (contractIdx !== undefined && contractIdx < 0) return { ok: false, reason: `no ${req.contractMonths}-month contract in this world` };
  const paymentIdx = req.paymentMethod === undefined ? undefined : w.cfg.population.paymentMethods.findIndex((p) => p.method === req.paymentMethod);
  if (paymentIdx !== undefined && paymentIdx < 0) return { ok: false, reason: `payment method ${req.paymentMethod} is not offered` };
  w.redrawIfDue(w.currentDay());
  const c = w.addCustomer(w.effectsRng, w.clock.now(), w.currentDay(), false, {
    planIdx,
    contractIdx,
    paymentIdx,
    business: req.segment === undefined ? undefined : req.segment === 'business',
  });
  w.emitJoin(w.immediate, c, w.nowIso(), 'order');
  return { ok: true, value: { customerId: w.pop.customerIds[c], subscriptionId: w.pop.subscriptionIds[c] } };
}

/** Moves a customer to another plan now. */
export function changePlan(w: WorldEngine, customerId: string, planId: string, reason: string): EffectResult<{ planId: string }> {
  const slot = activeSlot(w, customerId);
  if (!slot.ok) return slot;
  const planIdx = w.cfg.plans.findIndex((p) => p.id === planId);
  if (planIdx < 0) return { ok: false, reason: `unknown plan ${planId}` };
  const c = slot.value;
  const plan = w.cfg.plans[planIdx];
  w.pop.plan[c] = planIdx;
  holdUsageUnderCaps(w.pop, w.cfg, c);
  w.pop.u.dirty[c] = 1;
  w.emitNow(w.ev(c, w.nowIso(), 'subscription', { action: 'plan_changed', subscriptionId: w.pop.subscriptionIds[c], productKind: 'plan', productId: plan.id, monthlyPrice: w.planPrices[planIdx], dataAllowanceMb: plan.dataAllowanceMb, voiceAllowanceMin: plan.voiceAllowanceMin, reason }));
  return { ok: true, value: { planId } };
}

/** Adds a recurring add-on to an active customer's line now: a `subscription addon_added` event; billed from the next bill. */
export function addAddon(w: WorldEngine, customerId: string, addonId: string): EffectResult<{ addonId: string }> {
  const slot = activeSlot(w, customerId);
  if (!slot.ok) return slot;
  const a = w.cfg.addons.findIndex((x) => x.id === addonId);
  if (a < 0) return { ok: false, reason: `unknown add-on ${addonId}` };
  const c = slot.value;
  const held = w.addons.get(c) ?? [];
  if (held.includes(a)) return { ok: false, reason: `already has add-on ${addonId}` };
  w.addons.set(c, [...held, a]);
  const addon = w.cfg.addons[a];
  w.pop.u.dirty[c] = 1;
  w.emitNow(w.ev(c, w.nowIso(), 'subscription', { action: 'addon_added', subscriptionId: `${w.pop.subscriptionIds[c]}-${addon.id}`, productKind: 'addon', productId: addon.id, monthlyPrice: addon.monthlyPrice, dataAllowanceMb: addon.dataAllowanceMb, voiceAllowanceMin: addon.voiceAllowanceMin, reason: 'order' }));
  return { ok: true, value: { addonId } };
}

/** Ends an active customer's line now at their own request (an order): `subscription terminated`, as a churn. */
export function terminateLine(w: WorldEngine, customerId: string): EffectResult<{ customerId: string }> {
  const slot = activeSlot(w, customerId);
  if (!slot.ok) return slot;
  const c = slot.value;
  // Its add-ons end with the line (the twin would otherwise keep them active).
  for (const a of w.addons.get(c) ?? []) {
    const addon = w.cfg.addons[a];
    w.emitNow(w.ev(c, w.nowIso(), 'subscription', { action: 'addon_removed', subscriptionId: `${w.pop.subscriptionIds[c]}-${addon.id}`, productKind: 'addon', productId: addon.id, reason: 'order' }));
  }
  w.addons.delete(c);
  endDataBonus(w, w.immediate, c, w.nowIso(), 'order');
  w.terminate(w.immediate, c, w.currentDay(), w.nowIso(), 'order');
  return { ok: true, value: { customerId } };
}

/** Adds a credit that appears as a `credit` line on the customer's next bill. */
export function applyCredit(w: WorldEngine, customerId: string, amount: number): EffectResult<{ pendingCredit: number }> {
  const slot = activeSlot(w, customerId);
  if (!slot.ok) return slot;
  const f = w.pop.f;
  f.pendingCredit[slot.value] = Math.round((f.pendingCredit[slot.value] + amount) * 100) / 100;
  return { ok: true, value: { pendingCredit: f.pendingCredit[slot.value] } };
}

/** Applies a percentage discount on the plan price for the next `months` bills. */
export function applyDiscount(w: WorldEngine, customerId: string, pct: number, months: number): EffectResult<{ untilDay: number }> {
  const slot = activeSlot(w, customerId);
  if (!slot.ok) return slot;
  const until = w.currentDay() + Math.ceil(months * DAYS_PER_MONTH);
  w.pop.f.discountPct[slot.value] = pct;
  w.pop.i.discountUntil[slot.value] = until;
  return { ok: true, value: { untilDay: until } };
}

/**
 * A contact the customer notices (an offer, a marketing or retention message). Sleeping dogs
 * are reminded that they could leave: their hazard rises for `effectMonths`.
 */
export function recordContact(w: WorldEngine, c: number): void {
  const { pop, cfg } = w;
  pop.i.contacts[c]++;
  pop.i.lastContactDay[c] = w.currentDay();
  if (RESPONSE_TYPE_ORDER[pop.u.responseType[c]] === 'sleepingDog') {
    pop.f.contactMultiplier[c] = cfg.offers.sleepingDogHazardMultiplier;
    pop.i.contactUntil[c] = w.currentDay() + Math.ceil(cfg.offers.effectMonths * DAYS_PER_MONTH);
    pop.u.dirty[c] = 1;
  }
}

/** Probability that customer slot `c` accepts `offerId`: its type's acceptance × (0.5 + 0.5 × strength). */
export function acceptProbability(w: WorldEngine, c: number, offerIdx: number): number {
  const type = RESPONSE_TYPE_ORDER[w.pop.u.responseType[c]];
  return w.cfg.offers.acceptance[type] * (0.5 + 0.5 * w.cfg.offers.catalogue[offerIdx].strength);
}

/** Probability that customer slot `c`, not accepting an offer, leaves it unanswered (`offers.ignore` of its type; 0 when absent). */
export function ignoreProbability(w: WorldEngine, c: number): number {
  const ignore = w.cfg.offers.ignore;
  return ignore ? ignore[RESPONSE_TYPE_ORDER[w.pop.u.responseType[c]]] : 0;
}

/** Mixed into the seed of the ignore draw, so it is independent of every other hash of a customer id. */
const IGNORE_SALT = 0x69676e72;

/**
 * Whether the customer leaves this (their `n`-th) contact unanswered. A hash of the customer id
 * and the contact count rather than a draw from the effects stream: adding ignores to a world
 * leaves every other draw, and so every world without them, exactly as it was.
 */
function ignores(w: WorldEngine, c: number, n: number): boolean {
  const p = ignoreProbability(w, c);
  return p > 0 && fnv1a32(w.pop.customerIds[c] + ':' + n, w.seed ^ IGNORE_SALT) / 4294967296 < p;
}

/** Hazard multiplier an accepted offer gives a persuadable customer (1 for everyone else). */
export function acceptedMultiplier(w: WorldEngine, c: number, offerIdx: number): number {
  if (RESPONSE_TYPE_ORDER[w.pop.u.responseType[c]] !== 'persuadable') return 1;
  return 1 - (1 - w.cfg.offers.persuadableHazardMultiplier) * w.cfg.offers.catalogue[offerIdx].strength;
}

/** What an offer presented through a back end names: the decision and the action request (the idempotency key) behind it. */
export interface OfferRefs {
  readonly decisionId?: string;
  readonly requestId?: string;
  /** The customer already said yes in a live contact, recorded by this person: no answer is drawn. */
  readonly acceptedBy?: string;
}

/**
 * Presents an offer; the customer accepts, declines or ignores it according to the hidden truth,
 * with `offer presented` and `offer accepted|declined` events (an ignored offer gets no answer:
 * the operator writes it off as ignored once its answer window passes). Acceptance brings the
 * offer's terms (discount, data bonus, upgrade, credit) and, for persuadables, a lower hazard.
 * With `refs.acceptedBy` the customer's yes is already in (given on the line to that person): the
 * offer is presented and accepted there and then, with the person named on the acceptance.
 */
export function deliverOffer(
  w: WorldEngine,
  customerId: string,
  offerId: string,
  channel: Channel,
  refs: OfferRefs = {},
): EffectResult<{ accepted: boolean; ignored: boolean }> {
  const slot = activeSlot(w, customerId);
  if (!slot.ok) return slot;
  const offerIdx = w.cfg.offers.catalogue.findIndex((o) => o.id === offerId);
  if (offerIdx < 0) return { ok: false, reason: `unknown offer ${offerId}` };
  const c = slot.value;
  const offer = w.cfg.offers.catalogue[offerIdx];
  const { pop, cfg } = w;
  const time = w.nowIso();
  // Carried on both events, so the answer is recorded against the decision and request that led to it.
  const extra = { ...(refs.decisionId === undefined ? {} : { decisionId: refs.decisionId }), ...(refs.requestId === undefined ? {} : { requestId: refs.requestId }) };
  w.emitNow(w.ev(c, time, 'offer', { action: 'presented', offerId, channel, treatment: offer.kind, ...extra }));
  recordContact(w, c);
  w.redrawIfDue(w.currentDay());
  const acceptedBy = refs.acceptedBy;
  const accepted = acceptedBy !== undefined || w.effectsRng.chance(acceptProbability(w, c, offerIdx));
  const ignored = !accepted && ignores(w, c, pop.i.contacts[c]);
  if (!ignored) w.emitNow(w.ev(c, time, 'offer', { action: accepted ? 'accepted' : 'declined', offerId, channel, treatment: offer.kind, ...extra, ...(acceptedBy === undefined ? {} : { by: acceptedBy }) }));
  w.contactLog.push({ customer: c, day: w.currentDay(), kind: 'offer', what: offerId, accepted, ...(ignored ? { ignored } : {}) });
  if (!accepted) return { ok: true, value: { accepted, ignored } };
  const day = w.currentDay();
  const until = day + Math.ceil(Math.max(offer.months, cfg.offers.effectMonths) * DAYS_PER_MONTH);
  pop.f.offerMultiplier[c] = acceptedMultiplier(w, c, offerIdx);
  pop.f.lastOfferStrength[c] = offer.strength;
  pop.i.offerUntil[c] = day + Math.ceil(cfg.offers.effectMonths * DAYS_PER_MONTH);
  pop.u.dirty[c] = 1;
  if (offer.kind === 'discount') {
    applyDiscount(w, customerId, offer.discountPct, offer.months);
  } else if (offer.kind === 'data_bonus') {
    // A data bonus adds half the plan's allowance while it runs, as an add-on on the line (a BSS
    // shows it so: the twin's allowance holds it, and over-allowance is not read where there is none).
    pop.f.dataBonusMb[c] = cfg.plans[pop.plan[c]].dataAllowanceMb / 2;
    pop.i.dataBonusUntil[c] = until;
    w.emitNow(w.ev(c, time, 'subscription', { action: 'addon_added', subscriptionId: dataBonusSubscription(w, c), productKind: 'addon', productId: DATA_BONUS_PRODUCT, monthlyPrice: 0, dataAllowanceMb: pop.f.dataBonusMb[c], reason: 'retention_offer' }));
  } else if (offer.kind === 'plan_upgrade') {
    const from = pop.plan[c];
    const to = neighbourPlan(w, from, 1);
    if (to >= 0) {
      changePlan(w, customerId, cfg.plans[to].id, 'retention_upgrade');
      // The upgrade is free while the offer runs: a discount brings the price back to the old one.
      applyDiscount(w, customerId, ((w.planPrices[to] - w.planPrices[from]) / w.planPrices[to]) * 100, offer.months);
    }
  } else {
    applyCredit(w, customerId, (w.planPrices[pop.plan[c]] * offer.discountPct) / 100);
  }
  return { ok: true, value: { accepted, ignored: false } };
}

/** Logs a notification; anything but a pure service message counts as a contact. */
export function notifyCustomer(w: WorldEngine, customerId: string, purpose: string): EffectResult<{ contacted: boolean }> {
  const slot = activeSlot(w, customerId);
  if (!slot.ok) return slot;
  const contacted = purpose !== 'service';
  if (contacted) recordContact(w, slot.value);
  w.contactLog.push({ customer: slot.value, day: w.currentDay(), kind: 'notification', what: purpose, accepted: false });
  return { ok: true, value: { contacted } };
}
