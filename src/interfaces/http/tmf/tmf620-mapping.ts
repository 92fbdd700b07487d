import { ACTION_CLASSES, offeringPriceSchema, productOfferingSchema, type CatalogueEntry, type OfferCatalogue, type ProductOffering } from '../../../decisioning/offer-catalogue.js';
import { TwinloopError } from '../../../domain/errors.js';

/**
 * The decision service's catalogue as TMF620 Product Catalog resources, and back: the one place
 * that knows both shapes. An offering is a TMF `ProductOffering` of `@type`
 * `TwinloopProductOffering` carrying what next-best-action needs as extension attributes
 * (actionClass, treatments, eligibility, …: docs/tmf.md); its one price is the
 * `ProductOfferingPrice` `<id>-price`; its action class is its `Category`; the back-end offer it
 * is fulfilled as (`sandboxOfferId`) is its `ProductSpecification`. Standard attributes the
 * decision service does not use are kept as written (`tmfAttributes`) and answered back.
 */

type Json = Record<string, unknown>;

/** The base path of TMF620 (its specification's `basePath`, without the trailing slash). */
export const TMF620_BASE = '/tmf-api/productCatalogManagement/v4';

/** Extension attributes of a TwinloopProductOffering: next-best-action's fields, as the catalogue stores them. */
export const OFFERING_EXTENSIONS = ['actionClass', 'treatments', 'eligibility', 'applicability', 'retentionEffect', 'acceptancePrior', 'contextWeights', 'lever', 'planChange'] as const;

/** Extension attributes of a TwinloopProductOfferingPrice: what the offering costs the operator. */
const PRICE_EXTENSIONS = ['cost', 'costPaidOn', 'margin'] as const;
/** The attributes of a price the catalogue keeps on an offering: TMF620's pricing ones and the extensions. */
export const PRICE_KEYS = ['name', 'priceType', 'price', 'percentage', 'recurringChargePeriodLength', ...PRICE_EXTENSIONS] as const;

/** Standard attributes the mapping writes itself; every other standard attribute is kept as written. */
const MAPPED = new Set<string>(['id', 'href', 'name', 'description', 'version', 'lifecycleStatus', 'lastUpdate', 'validFor', 'channel', 'category', 'productOfferingPrice', 'productSpecification', '@type', '@baseType', '@schemaLocation', ...OFFERING_EXTENSIONS]);

/** An id made from a name: lower case, words joined by `-` (`fallback` when nothing is left). */
export const slugOf = (name: string, fallback: string): string =>
  name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100) || fallback;

/** The id of an offering's one price. */
export const priceIdOf = (offeringId: string): string => `${offeringId}-price`;

const ref = (root: string, collection: string, id: string, referredType: string, name?: string): Json =>
  withoutUndefined({ id, href: `${root}/${collection}/${id}`, name, '@referredType': referredType });

function withoutUndefined(o: Json): Json {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** The ids of the written categories (`category` entries) that list an offering. */
const customCategoriesOf = (offeringId: string, categories: readonly CatalogueEntry[]) =>
  categories.filter((c) => ((c.productOffering as Json[] | undefined) ?? []).some((r) => r.id === offeringId));

/**
 * An offering of the catalogue as a TMF620 ProductOffering; `root` is the API's absolute root
 * (hrefs start with it); `categories` the written categories, those listing it answered after its action class.
 */
export function toTmfOffering(o: ProductOffering, root: string, categories: readonly CatalogueEntry[] = []): Json {
  const extensions = Object.fromEntries(OFFERING_EXTENSIONS.map((k) => [k, o[k]]));
  return withoutUndefined({
    isBundle: false,
    isSellable: true,
    ...o.tmfAttributes,
    id: o.id,
    href: `${root}/productOffering/${o.id}`,
    name: o.name,
    description: o.description,
    version: o.version,
    lifecycleStatus: o.lifecycleStatus,
    lastUpdate: o.lastUpdate,
    validFor: o.validFor,
    channel: o.channel?.map((c) => ({ ...c, '@referredType': 'Channel' })),
    category: [ref(root, 'category', o.actionClass, 'Category', o.actionClass), ...customCategoriesOf(o.id, categories).map((c) => ref(root, 'category', c.id, 'Category', c.name))],
    productOfferingPrice: [ref(root, 'productOfferingPrice', priceIdOf(o.id), 'ProductOfferingPrice', o.productOfferingPrice.name ?? o.name)],
    productSpecification: o.sandboxOfferId === undefined ? undefined : ref(root, 'productSpecification', o.sandboxOfferId, 'ProductSpecification'),
    ...extensions,
    '@type': 'TwinloopProductOffering',
    '@baseType': 'ProductOffering',
    '@schemaLocation': `${root}/schema/TwinloopProductOffering`,
  });
}

/** An offering's price as a TMF620 ProductOfferingPrice. */
export function toTmfPrice(o: ProductOffering, root: string): Json {
  const p = o.productOfferingPrice;
  const id = priceIdOf(o.id);
  return withoutUndefined({
    id,
    href: `${root}/productOfferingPrice/${id}`,
    name: p.name ?? o.name,
    isBundle: false,
    lifecycleStatus: o.lifecycleStatus,
    lastUpdate: o.lastUpdate,
    priceType: p.priceType,
    price: { unit: p.price.unit, value: p.price.value },
    percentage: p.percentage,
    recurringChargePeriodLength: p.recurringChargePeriodLength,
    recurringChargePeriodType: p.priceType === 'oneTime' ? undefined : 'month',
    ...Object.fromEntries(PRICE_EXTENSIONS.map((k) => [k, p[k]])),
    '@type': 'TwinloopProductOfferingPrice',
    '@baseType': 'ProductOfferingPrice',
    '@schemaLocation': `${root}/schema/TwinloopProductOfferingPrice`,
  });
}

/** The action classes as TMF620 Categories, each listing its offerings (and the written categories below it). */
export function toTmfCategories(catalogue: OfferCatalogue, root: string, categories: readonly CatalogueEntry[] = []): Json[] {
  return ACTION_CLASSES.map((c) => ({
    id: c,
    href: `${root}/category/${c}`,
    name: c,
    description: `Offerings whose actionClass is ${c}`,
    isRoot: true,
    lifecycleStatus: 'Active',
    productOffering: catalogue.offers.filter((o) => o.actionClass === c).map((o) => ref(root, 'productOffering', o.id, 'ProductOffering', o.offering.name)),
    subCategory: categories.filter((x) => x.parentId === c).map((x) => ref(root, 'category', x.id, 'Category', x.name)),
    '@type': 'Category',
  }));
}

/** The back-end offers the offerings are fulfilled as, as TMF620 ProductSpecifications. */
export function toTmfSpecifications(catalogue: OfferCatalogue, root: string): Json[] {
  const ids = [...new Set(catalogue.offers.flatMap((o) => (o.offering.sandboxOfferId === undefined ? [] : [o.offering.sandboxOfferId])))];
  return ids.map((id) => ({
    id,
    href: `${root}/productSpecification/${id}`,
    name: id,
    description: 'The back-end offer the product offerings referring to it are fulfilled as',
    isBundle: false,
    lifecycleStatus: 'Active',
    '@type': 'ProductSpecification',
  }));
}

/** The catalogue as the main TMF620 Catalog: every category, the action classes and the written ones. */
export function toTmfCatalog(catalogue: OfferCatalogue, version: number, root: string, categories: readonly CatalogueEntry[] = [], description?: string): Json {
  return {
    id: catalogue.id,
    href: `${root}/catalog/${catalogue.id}`,
    name: catalogue.name,
    catalogType: 'productCatalog',
    description: description ?? "The decision service's offer catalogue: every product offering next-best-action may propose",
    lifecycleStatus: 'Active',
    version: String(version),
    category: [...ACTION_CLASSES.map((c) => ref(root, 'category', c, 'Category', c)), ...categories.map((c) => ref(root, 'category', c.id, 'Category', c.name))],
    '@type': 'Catalog',
  };
}

/** The price an offering written through TMF620 carries: one `productOfferingPrice` entry, by value or naming a price of the catalogue. */
function priceFrom(body: Json, priceById: (id: string) => ProductOffering['productOfferingPrice'] | undefined): Json {
  const entries = body.productOfferingPrice;
  if (!Array.isArray(entries) || entries.length !== 1 || entries[0] === null || typeof entries[0] !== 'object') {
    throw new TwinloopError('BAD_INPUT', 'productOfferingPrice: give exactly one entry, by value (id, priceType, price {unit, value}, percentage, recurringChargePeriodLength) or naming an existing ProductOfferingPrice by id');
  }
  const entry = entries[0] as Json;
  if (entry.priceType !== undefined) return withoutUndefined(Object.fromEntries(PRICE_KEYS.map((k) => [k, entry[k]])));
  const known = typeof entry.id === 'string' ? priceById(entry.id) : undefined;
  if (!known) throw new TwinloopError('BAD_INPUT', `productOfferingPrice[0].id: no ProductOfferingPrice "${String(entry.id)}"; give the price by value (priceType, price, …)`);
  return known;
}

/**
 * A TMF620 ProductOffering written by a client as the catalogue's offering `id` (validated by the
 * catalogue when stored): the action class from `actionClass` or else the first category naming
 * one, the back-end offer from `productSpecification`, the price from `productOfferingPrice`.
 */
export function fromTmfOffering(body: Json, id: string, lastUpdate: string, priceById: (id: string) => ProductOffering['productOfferingPrice'] | undefined): Json {
  const tmfAttributes = Object.fromEntries(Object.entries(body).filter(([k]) => !MAPPED.has(k)));
  const categories = Array.isArray(body.category) ? (body.category as Json[]) : [];
  const fromCategory = categories.map((c) => c?.id).find((c) => (ACTION_CLASSES as readonly unknown[]).includes(c));
  const channel = Array.isArray(body.channel) ? (body.channel as Json[]).map((c) => withoutUndefined({ id: c?.id, name: c?.name })) : undefined;
  const spec = body.productSpecification as Json | undefined;
  return withoutUndefined({
    id,
    name: body.name,
    description: body.description,
    version: body.version,
    lifecycleStatus: body.lifecycleStatus,
    lastUpdate,
    validFor: body.validFor,
    channel,
    productOfferingPrice: priceFrom(body, priceById),
    sandboxOfferId: spec?.id,
    ...Object.fromEntries(OFFERING_EXTENSIONS.map((k) => [k, body[k]])),
    actionClass: body.actionClass ?? fromCategory,
    tmfAttributes: Object.keys(tmfAttributes).length > 0 ? tmfAttributes : undefined,
  });
}

/** The extension attributes of Twinloop's TMF620 subclasses, by `@type`: the JSON Schemas their `@schemaLocation` serves. */
export const EXTENSION_SCHEMAS = {
  TwinloopProductOffering: productOfferingSchema
    .pick({ actionClass: true, treatments: true, eligibility: true, applicability: true, retentionEffect: true, acceptancePrior: true, contextWeights: true, lever: true, planChange: true })
    .describe('A TMF620 ProductOffering with what next-best-action needs (docs/tmf.md, docs/decisioning.md)'),
  TwinloopProductOfferingPrice: offeringPriceSchema.pick({ cost: true, costPaidOn: true, margin: true }).describe('A TMF620 ProductOfferingPrice with what the offering costs the operator (docs/tmf.md)'),
} as const;
