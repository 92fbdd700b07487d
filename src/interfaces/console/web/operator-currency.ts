/** An offer catalogue as `GET /catalogue` answers it: only the money units read here. */
export interface CatalogueUnits {
  readonly productOffering: readonly { readonly productOfferingPrice?: { readonly price?: { readonly unit?: string }; readonly cost?: { readonly unit?: string } } }[];
}

/**
 * The operator's currency: the unit its offer catalogue prices and costs its offers in (the
 * catalogue is the operator's own, and every amount in it carries its ISO 4217 unit), the most used
 * one where they differ; null for a catalogue with no amount.
 */
export function operatorCurrency(catalogue: CatalogueUnits | undefined): string | null {
  const uses = new Map<string, number>();
  for (const o of catalogue?.productOffering ?? []) {
    for (const m of [o.productOfferingPrice?.price, o.productOfferingPrice?.cost]) if (m?.unit) uses.set(m.unit, (uses.get(m.unit) ?? 0) + 1);
  }
  return [...uses.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? null;
}
