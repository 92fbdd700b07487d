import { allPages, type OfferSettlementBook } from '../../agents/governance/offer-settlement-book.js';
import { OFFER_SETTLEMENTS, type OfferSettlement } from '../../agents/governance/offer-settlement.js';
import { MAX_PAGE_SIZE, type RecordStore } from '../../store/record-store.js';
import { decisionPrefixOf, variantsByDecision } from './campaign-decision-ids.js';

/**
 * What a campaign's offers paid on acceptance stand at (docs/policy.md, "Budgets"): per variant,
 * what its accepted offers committed and what its unanswered ones hold reserved. The settlements
 * are kept by whichever process presented the offers; the campaign keeps in its own state which
 * of its offers still wait and what the settled ones committed, so a tick reads only what may have
 * changed since the last: the campaign's open reservations (a window's presentations at most), the
 * record of each awaited offer once it has left them, and the few late acceptances booked after an
 * ignored release. Reading every settlement of the campaign at every tick grew with its history.
 */

/** A campaign's offers with a part paid on acceptance, as its state keeps them. */
export interface CampaignOffers {
  /** Offers presented and not yet seen settled: request id → variant. */
  awaiting: Record<string, string>;
  /** Offers released as ignored: request id → variant (an acceptance after the window may still book one). */
  lapsed: Record<string, string>;
  /** What the accepted offers' acceptance-paid parts committed, per variant. */
  committed: Record<string, number>;
}

/** No offers yet: a campaign's state when it opens. */
export const noCampaignOffers = (): CampaignOffers => ({ awaiting: {}, lapsed: {}, committed: {} });

/** Per variant: what its accepted offers' acceptance-paid parts committed, and what is still reserved for those unanswered. */
export type Settled = ReadonlyMap<string, { committed: number; reserved: number }>;

/** The totals over the variants. */
export const settledTotal = (settled: Settled) => [...settled.values()].reduce((a, t) => ({ committed: a.committed + t.committed, reserved: a.reserved + t.reserved }), { committed: 0, reserved: 0 });

/**
 * Brings `offers` up to date with the settlements and says where each variant stands. Idempotent:
 * an offer moves out of `awaiting` (or `lapsed`) in the same step as its amount is counted, so a
 * state saved before or after a tally counts each settlement once.
 */
export async function tallyCampaignOffers(book: Pick<OfferSettlementBook, 'get' | 'openPage' | 'latePage'>, campaignId: string, offers: CampaignOffers): Promise<Settled> {
  const prefix = decisionPrefixOf(campaignId);
  const reserved = new Map<string, number>();
  const hold = (variantId: string, amount: number) => reserved.set(variantId, (reserved.get(variantId) ?? 0) + amount);
  const open = new Set<string>();
  for await (const s of allPages(book.openPage, MAX_PAGE_SIZE, prefix)) {
    const variantId = offers.awaiting[s.requestId];
    // Another campaign's whose id starts alike is not this one's.
    if (variantId === undefined) continue;
    open.add(s.requestId);
    hold(variantId, s.amount);
  }
  for (const [requestId, variantId] of Object.entries(offers.awaiting)) {
    if (open.has(requestId)) continue;
    const s = await book.get(requestId);
    // Settled meanwhile by another tally of this campaign (the intent's progress reads its stats while a tick tallies): counted there, once.
    if (!s || offers.awaiting[requestId] === undefined) continue;
    // Reserved, not listed open: kept before the open list, listed at the sweep's start.
    if (s.state === 'reserved') hold(variantId, s.amount);
    else settle(offers, requestId, variantId, s);
  }
  for await (const s of allPages(book.latePage, MAX_PAGE_SIZE, prefix)) {
    const variantId = offers.lapsed[s.requestId];
    if (variantId === undefined || s.state !== 'committed') continue;
    delete offers.lapsed[s.requestId];
    offers.committed[variantId] = (offers.committed[variantId] ?? 0) + s.amount;
  }
  const variants = new Set([...Object.keys(offers.committed), ...reserved.keys()]);
  return new Map([...variants].map((v) => [v, { committed: offers.committed[v] ?? 0, reserved: reserved.get(v) ?? 0 }]));
}

/** Moves a settled offer out of `awaiting`: its amount committed when accepted, kept in `lapsed` when released as ignored. */
function settle(offers: CampaignOffers, requestId: string, variantId: string, s: OfferSettlement): void {
  delete offers.awaiting[requestId];
  if (s.state === 'committed') offers.committed[variantId] = (offers.committed[variantId] ?? 0) + s.amount;
  else if (s.answer === 'ignored' && !s.late) offers.lapsed[requestId] = variantId;
}

/**
 * The offers of a campaign whose state was saved before it kept them: read once from all its
 * settlements (what every tick read before), then kept as any other campaign's.
 */
export async function campaignOffersOf(records: RecordStore, campaignId: string, treated: Readonly<Record<string, string>>): Promise<CampaignOffers> {
  const variantOf = variantsByDecision(campaignId, treated);
  const offers = noCampaignOffers();
  for (let after: string | undefined; ; ) {
    const page = await records.list<OfferSettlement>(OFFER_SETTLEMENTS, { prefix: decisionPrefixOf(campaignId), limit: MAX_PAGE_SIZE, ...(after ? { after } : {}) });
    for (const r of page) {
      const variantId = variantOf.get(r.id);
      if (variantId === undefined) continue;
      if (r.body.state === 'reserved') offers.awaiting[r.id] = variantId;
      else settle(offers, r.id, variantId, r.body);
    }
    if (page.length < MAX_PAGE_SIZE) return offers;
    after = page[page.length - 1].id;
  }
}
