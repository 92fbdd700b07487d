import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TwinloopError } from '../domain/errors.js';
import { DEFAULT_CATALOGUE_DOCUMENT, defaultCatalogue } from './default-catalogue.js';
import { syntheticCatalogueDocument } from './synthetic-catalogue.js';
import { loadCatalogue, parseCatalogue } from './offer-catalogue.js';

const good = {
  id: 'ok',
  name: 'Fine offer',
  actionClass: 'offer',
  productOfferingPrice: { priceType: 'oneTime' },
  treatments: [{ id: 't', name: 'T', message: 'Hello' }],
};

describe('offer catalogue', () => {
  it('loads the default catalogue, one offering per sandbox offer plus a service communication', () => {
    const c = defaultCatalogue();
    const world = JSON.parse(readFileSync(new URL('../sandbox/worlds/default.json', import.meta.url), 'utf8')) as { offers: { catalogue: { id: string }[] } };
    const mapped = c.offers.map((o) => o.offering.sandboxOfferId).filter(Boolean);
    expect(new Set(mapped)).toEqual(new Set(world.offers.catalogue.map((o) => o.id)));
    expect(c.offers.some((o) => o.actionClass === 'communication' && !o.marketing)).toBe(true);
    expect(c.byId.get('retain-25')?.discountShare).toBe(0.25);
  });

  it('loads a 50-offering synthetic catalogue', () => {
    expect(loadCatalogue(syntheticCatalogueDocument(50)).offers).toHaveLength(50);
  });

  it('reports each bad offering with its id and the path of the bad field', () => {
    const r = parseCatalogue({
      productOffering: [
        good,
        { ...good, id: 'bad-rule', eligibility: 'churn >= 0.2 and tenure_dayz > 3' },
        { ...good, id: 'bad-class', actionClass: 'gift' },
        { ...good, id: 'bad-effect', retentionEffect: 1.5 },
        { ...good, id: 'ok' },
        { ...good, id: 'bad-discount', productOfferingPrice: { priceType: 'discount' } },
        { ...good, id: 'bad-applicability', applicability: "channel == 'fax'" },
      ],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byOffer = Object.fromEntries(r.problems.map((p) => [p.offerId, p]));
    expect(byOffer['bad-rule'].path).toBe('productOffering[1].eligibility');
    expect(byOffer['bad-rule'].message).toContain("unknown name 'tenure_dayz'");
    expect(byOffer['bad-rule'].message).toContain('tenure_days');
    expect(byOffer['bad-class'].path).toBe('productOffering[2].actionClass');
    expect(byOffer['bad-effect'].path).toBe('productOffering[3].retentionEffect');
    expect(byOffer['ok'].message).toContain('duplicate');
    expect(byOffer['bad-discount'].path).toBe('productOffering[5].productOfferingPrice.percentage');
    expect(byOffer['bad-applicability'].message).toContain("unknown channel 'fax'");
    expect(r.problems).toHaveLength(6);
  });

  it('throws BAD_INPUT listing every problem when loading a bad document', () => {
    try {
      loadCatalogue({ productOffering: [{ ...good, treatments: [] }, { ...good, id: 'x', lifecycleStatus: 'Live' }] });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TwinloopError);
      expect((err as TwinloopError).code).toBe('BAD_INPUT');
      expect((err as TwinloopError).message).toContain("productOffering[0].treatments (offering 'ok')");
      expect((err as TwinloopError).message).toContain("productOffering[1].lifecycleStatus (offering 'x')");
    }
  });

  it('rejects a document without offerings', () => {
    const r = parseCatalogue({ productOffering: [] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0].path).toBe('catalogue.productOffering');
  });

  it('keeps the default document valid JSON-able data', () => {
    expect(JSON.parse(JSON.stringify(DEFAULT_CATALOGUE_DOCUMENT))).toEqual(DEFAULT_CATALOGUE_DOCUMENT);
  });
});
