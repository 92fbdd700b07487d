import { describe, expect, it } from 'vitest';
import type { OfferSettlement } from '../../agents/governance/offer-settlement.js';
import { decisionIdOf } from './campaign-decision-ids.js';
import { noCampaignOffers, tallyCampaignOffers } from './campaign-offer-tally.js';

describe("a campaign's offers paid on acceptance", () => {
  it('counts an accepted offer once when two tallies of the campaign run at once (a tick and the intent reading its stats)', async () => {
    const requestId = `${decisionIdOf('tour', 'C1')}:retain-10`;
    const settled: OfferSettlement = { requestId, customerId: 'C1', actionClass: 'discount', channel: 'app', amount: 15, claims: [], state: 'committed', presentedAt: 0, settledAt: 1, answer: 'accepted' };
    const book = {
      // The record is read from the store: the other tally runs while this one waits for it.
      get: async (id: string) => (await new Promise((r) => setTimeout(r, 5)), id === requestId ? settled : undefined),
      openPage: () => Promise.resolve([]),
      latePage: () => Promise.resolve([]),
    };
    const offers = noCampaignOffers();
    offers.awaiting[requestId] = 'A';
    const [first, second] = await Promise.all([tallyCampaignOffers(book, 'tour', offers), tallyCampaignOffers(book, 'tour', offers)]);
    expect(offers.committed).toEqual({ A: 15 });
    expect(offers.awaiting).toEqual({});
    expect([first.get('A')?.committed, second.get('A')?.committed]).toEqual([15, 15]);
  });
});
