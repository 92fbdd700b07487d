import { ACTION_CLASSES, offeringPriceSchema, type CatalogueDocument, type CatalogueEntry, type CatalogueEntryList, type OfferCatalogue } from '../../../decisioning/offer-catalogue.js';
import { TwinloopError } from '../../../domain/errors.js';
import { checkedResource } from './tmf-common.js';
import { priceIdOf, PRICE_KEYS, toTmfCatalog, toTmfCategories, toTmfPrice, toTmfSpecifications } from './tmf620-mapping.js';

/**
 * TMF620's resources beside the offerings — productSpecification, productOfferingPrice, category,
 * catalog — as the catalogue keeps them: some are *computed* from the offerings (each offering's
 * own price `{id}-price`, the back-end offer an offering names as its specification, the five
 * action classes as categories, the decision service's catalogue as the one main catalog) and the
 * rest are *stored* entries of the catalogue document, written through TMF620 (a price offerings
 * may name, a specification, a category grouping offerings, another catalog of categories). The
 * rules of each kind — what a write must name, which computed item a PATCH may change and how,
 * what a DELETE would break — are here; `tmf620-entry-routes.ts` serves them all alike.
 */

type Json = Record<string, unknown>;

/** What a kind's rules see: the document in force and its compiled catalogue. */
export interface CatalogueState {
  readonly document: CatalogueDocument;
  readonly catalogue: OfferCatalogue;
  readonly version: number;
}

/** One kind of resource beside the offerings. */
export interface EntryKind {
  /** The collection's path segment and the document's list. */
  readonly list: CatalogueEntryList;
  /** The specification's definition of its items (`ProductSpecification`…). */
  readonly definition: string;
  /** The items computed from the offerings, answered as they are (with `href`). */
  computed(state: CatalogueState, root: string): Json[];
  /** A stored entry as answered. */
  answer(entry: CatalogueEntry, state: CatalogueState, root: string): Json;
  /** The entry to store from an item written (created or merged): checked (BAD_INPUT naming the attribute), answer-only attributes dropped. */
  check(item: Json, state: CatalogueState): CatalogueEntry;
  /** The document a PATCH of a computed item makes (`merged`: the item as answered with `patch` applied), or CONFLICT / BAD_INPUT. */
  patchComputed(id: string, merged: Json, state: CatalogueState, now: string, patch: Json): CatalogueDocument;
  /** Refuses (CONFLICT) deleting an item the catalogue still needs; computed items always. */
  guardDelete(id: string, state: CatalogueState): void;
}

const stored = (state: CatalogueState, list: CatalogueEntryList): CatalogueEntry[] => state.document[list] ?? [];
const withoutKeys = (o: Json, keys: readonly string[]): Json => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
/** The attributes every answer computes: never stored. */
const ANSWERED = ['href'];

/** The ids a list of references names (`[{id}]`); BAD_INPUT naming the attribute when one is not in `known`. */
function refIds(refs: unknown, attribute: string, known: (id: string) => boolean, what: string): string[] {
  if (refs === undefined) return [];
  if (!Array.isArray(refs)) throw new TwinloopError('BAD_INPUT', `${attribute}: a list of references ({id})`);
  return refs.map((r: Json, i) => {
    const id = r?.id;
    if (typeof id !== 'string' || !known(id)) throw new TwinloopError('BAD_INPUT', `${attribute}[${i}].id: no ${what} "${String(id)}"`);
    return id;
  });
}

/** The offerings that name `specId` as their product specification. */
const offeringsOfSpec = (state: CatalogueState, specId: string) => state.catalogue.offers.filter((o) => o.offering.sandboxOfferId === specId).map((o) => o.id);

/** productSpecification: the back-end offers the offerings name (computed), and specifications written here. */
export const SPECIFICATIONS: EntryKind = {
  list: 'productSpecification',
  definition: 'ProductSpecification',
  computed: (state, root) => {
    const written = new Set(stored(state, 'productSpecification').map((e) => e.id));
    return toTmfSpecifications(state.catalogue, root).filter((spec) => !written.has(String(spec.id)));
  },
  answer: (entry, state, root) => ({ isBundle: false, lifecycleStatus: 'Active', ...entry, href: `${root}/productSpecification/${entry.id}`, '@type': entry['@type'] ?? 'ProductSpecification' }),
  check: (item) => withoutKeys(item, ANSWERED) as CatalogueEntry,
  // A specification an offering named becomes a written one: its attributes are then kept.
  patchComputed: (id, merged, state) => ({ ...state.document, productSpecification: [...stored(state, 'productSpecification'), SPECIFICATIONS.check({ ...merged, id }, state)] }),
  guardDelete: (id, state) => {
    const users = offeringsOfSpec(state, id);
    if (users.length > 0) throw new TwinloopError('CONFLICT', `ProductSpecification "${id}" is the one the offerings ${users.join(', ')} are fulfilled as; PATCH their productSpecification first`);
  },
};

/** The pricing attributes of a price as the catalogue keeps an offering's (BAD_INPUT naming every wrong attribute). */
export function pricingOf(item: Json): Json {
  const picked = Object.fromEntries(PRICE_KEYS.filter((k) => item[k] !== undefined).map((k) => [k, k === 'price' ? { unit: (item.price as Json | undefined)?.unit ?? 'EUR', value: (item.price as Json | undefined)?.value } : item[k]]));
  const checked = checkedResource(offeringPriceSchema, picked);
  if (checked.priceType === 'discount' && checked.percentage === undefined) throw new TwinloopError('BAD_INPUT', 'percentage: a discount needs the percent of the monthly price it gives away');
  return picked;
}

/** productOfferingPrice: each offering's own price (computed; PATCH reprices the offering) and prices written here, which offerings may name. */
export const PRICES: EntryKind = {
  list: 'productOfferingPrice',
  definition: 'ProductOfferingPrice',
  computed: (state, root) => state.catalogue.offers.map((o) => toTmfPrice(o.offering, root)),
  answer: (entry, state, root) => ({ isBundle: false, lifecycleStatus: 'Active', ...entry, href: `${root}/productOfferingPrice/${entry.id}`, '@type': entry['@type'] ?? 'ProductOfferingPrice' }),
  check: (item, state) => {
    pricingOf(item);
    const offering = state.catalogue.offers.find((o) => priceIdOf(o.id) === item.id);
    if (offering) throw new TwinloopError('CONFLICT', `id: "${String(item.id)}" is offering ${offering.id}'s own price; PATCH it there`);
    return withoutKeys(item, ANSWERED) as CatalogueEntry;
  },
  patchComputed: (id, merged, state, now) => {
    const offering = state.catalogue.offers.find((o) => priceIdOf(o.id) === id)!;
    if (merged.lifecycleStatus !== offering.offering.lifecycleStatus) throw new TwinloopError('BAD_INPUT', `lifecycleStatus: an offering's own price follows its offering's (${offering.offering.lifecycleStatus}); PATCH productOffering/${offering.id}`);
    const price = { ...pricingOf(merged), ...(typeof merged.name === 'string' ? { name: merged.name } : {}) };
    const productOffering = state.document.productOffering.map((o) => (o.id === offering.id ? { ...o, productOfferingPrice: price as (typeof o)['productOfferingPrice'], lastUpdate: now } : o));
    return { ...state.document, productOffering };
  },
  guardDelete: (id, state) => {
    const offering = state.catalogue.offers.find((o) => priceIdOf(o.id) === id);
    if (offering) throw new TwinloopError('CONFLICT', `ProductOfferingPrice "${id}" is offering ${offering.id}'s one price: an offering keeps exactly one; PATCH the price, or DELETE the offering`);
  },
};

const isActionClass = (id: string) => (ACTION_CLASSES as readonly string[]).includes(id);
const categoryIds = (state: CatalogueState) => new Set([...ACTION_CLASSES, ...stored(state, 'category').map((c) => c.id)]);

/** category: the five action classes (computed, next-best-action's own) and categories written here grouping offerings. */
export const CATEGORIES: EntryKind = {
  list: 'category',
  definition: 'Category',
  computed: (state, root) => toTmfCategories(state.catalogue, root, stored(state, 'category')),
  answer: (entry, state, root) => {
    const offerings = new Map(state.catalogue.offers.map((o) => [o.id, o.offering.name]));
    const members = ((entry.productOffering as Json[] | undefined) ?? []).filter((r) => offerings.has(String(r.id)));
    const children = stored(state, 'category').filter((c) => c.parentId === entry.id);
    return {
      isRoot: entry.parentId === undefined,
      lifecycleStatus: 'Active',
      ...entry,
      href: `${root}/category/${entry.id}`,
      productOffering: members.map((r) => ({ id: r.id, href: `${root}/productOffering/${String(r.id)}`, name: offerings.get(String(r.id)), '@referredType': 'ProductOffering' })),
      subCategory: children.map((c) => ({ id: c.id, href: `${root}/category/${c.id}`, name: c.name, '@referredType': 'Category' })),
      '@type': entry['@type'] ?? 'Category',
    };
  },
  check: (item, state) => {
    if (item.parentId !== undefined) {
      const parent = String(item.parentId);
      if (!categoryIds(state).has(parent)) throw new TwinloopError('BAD_INPUT', `parentId: no Category "${parent}"`);
      // A category may not end up below itself.
      for (let at: string | undefined = parent; at !== undefined; at = stored(state, 'category').find((c) => c.id === at)?.parentId as string | undefined) {
        if (at === item.id) throw new TwinloopError('BAD_INPUT', `parentId: "${parent}" is "${String(item.id)}" itself or below it`);
      }
    }
    const offerings = refIds(item.productOffering, 'productOffering', (id) => state.catalogue.byId.has(id), 'ProductOffering');
    return { ...withoutKeys(item, [...ANSWERED, 'subCategory', 'productOffering']), ...(offerings.length > 0 ? { productOffering: offerings.map((id) => ({ id })) } : {}) } as CatalogueEntry;
  },
  patchComputed: (id) => {
    throw new TwinloopError('CONFLICT', `Category "${id}" is an action class of next-best-action (${ACTION_CLASSES.join(', ')}), fixed with the code: an offering is in it by its actionClass; write your own categories with POST category`);
  },
  guardDelete: (id, state) => {
    if (isActionClass(id)) CATEGORIES.patchComputed(id, {}, state, '', {});
    const children = stored(state, 'category').filter((c) => c.parentId === id).map((c) => c.id);
    if (children.length > 0) throw new TwinloopError('CONFLICT', `Category "${id}" has the subcategories ${children.join(', ')}; delete or move them first`);
    const catalogs = stored(state, 'catalog').filter((c) => ((c.category as Json[] | undefined) ?? []).some((r) => r.id === id)).map((c) => c.id);
    if (catalogs.length > 0) throw new TwinloopError('CONFLICT', `Category "${id}" is in the catalogs ${catalogs.join(', ')}; PATCH their category first`);
  },
};

/** The id of the main catalog: the decision service's catalogue. */
const mainId = (state: CatalogueState) => state.catalogue.id;
/** What a PATCH may change on the main catalog. */
const MAIN_WRITABLE = ['name', 'description'];

/** catalog: the decision service's catalogue (computed: its name and description written), and other catalogs of categories written here. */
export const CATALOGS: EntryKind = {
  list: 'catalog',
  definition: 'Catalog',
  computed: (state, root) => [toTmfCatalog(state.catalogue, state.version, root, stored(state, 'category'), state.document.description)],
  answer: (entry, state, root) => {
    const categories = new Map([...ACTION_CLASSES.map((c) => [c, c] as const), ...stored(state, 'category').map((c) => [c.id, c.name] as const)]);
    return {
      catalogType: 'productCatalog',
      lifecycleStatus: 'Active',
      ...entry,
      href: `${root}/catalog/${entry.id}`,
      category: ((entry.category as Json[] | undefined) ?? []).filter((r) => categories.has(String(r.id))).map((r) => ({ id: r.id, href: `${root}/category/${String(r.id)}`, name: categories.get(String(r.id)), '@referredType': 'Category' })),
      '@type': entry['@type'] ?? 'Catalog',
    };
  },
  check: (item, state) => {
    if (item.id === mainId(state)) throw new TwinloopError('CONFLICT', `id: "${mainId(state)}" is the decision service's catalog`);
    const categories = refIds(item.category, 'category', (id) => categoryIds(state).has(id), 'Category');
    return { ...withoutKeys(item, [...ANSWERED, 'category']), ...(categories.length > 0 ? { category: categories.map((id) => ({ id })) } : {}) } as CatalogueEntry;
  },
  patchComputed: (id, merged, state, _now, patch) => {
    const other = Object.keys(patch).find((k) => !MAIN_WRITABLE.includes(k) && k !== 'id');
    if (other !== undefined) throw new TwinloopError('BAD_INPUT', `${other}: the decision service's catalog "${id}" changes its ${MAIN_WRITABLE.join(' and ')} only (its categories are every category, its version the stored one)`);
    if (typeof merged.name !== 'string' || merged.name === '') throw new TwinloopError('BAD_INPUT', 'name: the catalog keeps a name');
    return { ...state.document, name: merged.name, description: typeof merged.description === 'string' ? merged.description : undefined };
  },
  guardDelete: (id, state) => {
    if (id === mainId(state)) throw new TwinloopError('CONFLICT', `Catalog "${id}" is the decision service's catalogue: it is not deleted (delete its offerings one by one, or PUT /catalogue)`);
  },
};

/** Every kind, in the specification's order. */
export const ENTRY_KINDS: readonly EntryKind[] = [CATALOGS, CATEGORIES, PRICES, SPECIFICATIONS];
