import { describe, expect, it } from 'vitest';
import { reasonsInWords } from './offer-reasons';

const money = (n: number) => `€${n.toFixed(2)}`;

describe("the agent desktop's reasons in words", () => {
  it('says the chance of a yes, the value and the costs in words a care agent reads, and leaves the ranking arithmetic to the figures', () => {
    const reasons = [
      'P(accept) 0.123 in context call|medium-risk',
      'Δ lifetime value 40.10 = churn 0.120 × retention effect 0.3 × CLV 1113.00',
      'revenue if accepted 10.00',
      'cost if accepted 3.00',
      'cost per presentation 0.50',
      'expected value 2.45 × weight 1.2 (call, billing_question, lever retention) = score 2.94',
    ];
    expect(reasonsInWords(reasons, money)).toEqual([
      '12 in 100 customers on a call with medium churn risk say yes to it',
      'if they say yes, they are likely to stay longer: worth €40.10 more over their lifetime',
      'brings in €10.00 if they say yes',
      'costs €3.00 if they say yes',
      'costs €0.50 each time it is offered',
    ]);
  });

  it('keeps a reason it does not know as it is, and says doing nothing plainly', () => {
    expect(reasonsInWords(['P(accept) 0.004 in context app|low-risk', 'a rule of the operator', 'baseline: no contact and no cost; chosen when no offering is expected to add value'], money)).toEqual([
      'under 1 in 100 customers in the app with low churn risk say yes to it',
      'a rule of the operator',
      'offer nothing: no cost, best when no offer is expected to be worth more than it costs',
    ]);
  });
});
