import { afterEach, describe, expect, it } from 'vitest';
import { money, setCurrency } from './format';
import { operatorCurrency } from './operator-currency';

describe("the operator's currency on every amount", () => {
  afterEach(() => setCurrency(null));

  it("is the unit the operator's catalogue prices in, the most used where they differ; none without an amount", () => {
    const offer = (unit: string) => ({ productOfferingPrice: { price: { unit }, cost: { unit } } });
    expect(operatorCurrency({ productOffering: [offer('EUR'), { productOfferingPrice: { cost: { unit: 'USD' } } }, {}] })).toBe('EUR');
    expect(operatorCurrency({ productOffering: [{}] })).toBeNull();
    expect(operatorCurrency(undefined)).toBeNull();
  });

  it('is written by the one money formatter once known, and amounts stay bare before or for a code that is none', () => {
    expect(money(20451)).toBe('20,451.00');
    setCurrency('EUR');
    expect(money(20451)).toBe('€20,451.00');
    expect(money(-3.5)).toBe('-€3.50');
    setCurrency('CHF');
    expect(money(1)).toBe('CHF\u00a01.00');
    setCurrency('not a code');
    expect(money(1)).toBe('1.00');
  });
});
