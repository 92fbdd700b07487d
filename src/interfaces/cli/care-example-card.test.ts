import { describe, expect, it } from 'vitest';
import { stagedCardLines, stagedUsageLine, type StagedWhatIf } from './care-example-card.js';

const offer = (actionId: string, name: string, expectedValue: number, funnel: StagedWhatIf['offers'][number]['funnel']) => ({ actionId, name, expectedValue, funnel });

describe("the staging command's word on the card", () => {
  it('says the card shows only "Do nothing" while no churn model serves, why, and what to do (it promised the data bonus)', () => {
    const unscored: StagedWhatIf = { basedOn: { scored: false, note: 'no churn model serves yet (the first start fits one after the history): the offers are valued at churn risk 0 and lifetime value 0, so none is expected to keep the customer' }, offers: [offer('data-bonus', 'Data bonus', -0.5, { step: 'suitability', reason: 'expected value -0.50 is not above doing nothing' })] };
    expect(stagedCardLines(unscored)).toEqual([
      'the card will show only "Do nothing" for now: no churn model serves yet (the first start fits one after the history): the offers are valued at churn risk 0 and lifetime value 0, so none is expected to keep the customer. Stage it again once the server has printed its ready line (a churn model serves)',
    ]);
  });

  it('names the offers the card will rank, in order, then "Do nothing"; and why the data bonus is not among them when it is not', () => {
    const scored: StagedWhatIf = {
      basedOn: { scored: true },
      offers: [offer('service-check-in', 'Service check-in', 1.63, { step: 'proposed', rank: 2 }), offer('data-bonus', 'Data bonus', 1.75, { step: 'proposed', rank: 1 }), offer('retain-10', '10% off', 0.9, { step: 'proposed', rank: 3 }), offer('upgrade', 'Upgrade', 0, { step: 'applicability', reason: 'not during a billing complaint' })],
    };
    expect(stagedCardLines(scored)).toEqual(['the card will rank, as next-best-action values them now: Data bonus (expected value 1.75), Service check-in (expected value 1.63), Do nothing (a choice that explores an uncertain offer may put another first, and says so)']);
    const withoutBonus: StagedWhatIf = { basedOn: { scored: true }, offers: [offer('data-bonus', 'Data bonus', 0, { step: 'contact-policy', reason: 'an offer of data-bonus is pending for this customer' })] };
    expect(stagedCardLines(withoutBonus)).toEqual(['the card will show only "Do nothing": next-best-action expects no offer to add value in this call', '  the data bonus is not among them: contact-policy: an offer of data-bonus is pending for this customer']);
  });

  it("gives the customer's data this period as the card shows it, in MB with its share of the allowance (it printed the world's count in GB beside the card's MB)", () => {
    expect(stagedUsageLine({ dataMb: 377_581.4, dataAllowanceMb: 307_200, dataShare: 1.2291 })).toBe('data this period, as the card shows it: 377,581 MB of a 307,200 MB allowance (123 %)');
    expect(stagedUsageLine({ dataMb: 12, dataAllowanceMb: 0, dataShare: null })).toBe('data this period, as the card shows it: 12 MB (no allowance given)');
  });
});
