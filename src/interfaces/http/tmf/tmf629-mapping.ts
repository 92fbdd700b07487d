import { activatedBeforeHistory } from '../../../twin/activated-before-history.js';
import type { ProductView, TwinView } from '../../../twin/twin-view.js';
import { partyAttributes, type CustomerParty } from './tmf629-customer-input.js';

/**
 * The twin as TM Forum resources: the customer as a TMF629 `Customer` (its profile and live
 * scores as characteristics, each score with its reasons) and its products as TMF637 `Product`s.
 * The one place that knows both shapes (docs/tmf.md).
 */

type Json = Record<string, unknown>;

/** The base paths of TMF629 and TMF637 (their specifications' `basePath`, without the trailing slash). */
export const TMF629_BASE = '/tmf-api/customerManagement/v4';
export const TMF637_BASE = '/tmf-api/productInventory/v4';

/** A characteristic, its `valueType` said from the value (TMF `Characteristic`: name, valueType, value). */
function characteristic(name: string, value: unknown, extra: Json = {}): Json {
  const valueType = typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : typeof value === 'string' ? 'string' : 'object';
  return { name, valueType, value, ...extra };
}

/** The live scores of a current twin read (`decorateTwin`'s `scores`), as characteristics of `@type` `TwinloopScore` carrying their reasons. */
function scoreCharacteristics(scores: Json | null | undefined): Json[] {
  if (!scores) return [];
  const s = scores as Record<string, Json>;
  const score = (name: string, value: unknown, why: Json) => characteristic(name, value ?? null, { '@type': 'TwinloopScore', '@baseType': 'Characteristic', ...why });
  const { probability, reasons, ...churnRest } = s.churn;
  return [
    score('churnRisk', probability, { ...churnRest, reasons }),
    score('lifetimeValue', s.clv.value, { low: s.clv.low, high: s.clv.high, monthlyRevenue: s.clv.monthlyRevenue, reasons: s.clv.reasons }),
    score('usageTrend', s.usageTrend.direction, { trend: s.usageTrend.value, reasons: [s.usageTrend.reason] }),
    score('complaints', s.complaints.level, { complaints90d: s.complaints.complaints90d, openTickets: s.complaints.openTickets, reasons: [s.complaints.reason] }),
    score('payments', s.payments.status, { late90d: s.payments.late90d, failed90d: s.payments.failed90d, reasons: [s.payments.reason] }),
    score('offerPropensity', s.offerPropensity.value, { reasons: [s.offerPropensity.reason] }),
  ];
}

/** The customer's TMF status: `Approved` while it holds a plan, `Terminated` once every plan ended, `Initialized` before the first. */
export function statusOf(view: TwinView): string {
  if (view.features.churned) return 'Terminated';
  return view.products.some((p) => p.kind === 'plan' && p.status !== 'terminated') ? 'Approved' : 'Initialized';
}

/**
 * A twin as a TMF629 Customer; `decorated` is the live intelligence's addition to a current read
 * (scores with reasons), if any; `party` what a client wrote through TMF629 that the twin does not
 * keep (name, contact media, other attributes), if any.
 */
export function toTmfCustomer(view: TwinView, decorated: Json | undefined, root: string, party?: CustomerParty): Json {
  const p = view.profile;
  const profile = p
    ? [
        characteristic('segment', p.segment),
        characteristic('billing', p.billing),
        characteristic('contractMonths', p.contractMonths),
        ...(p.contractEnd === null ? [] : [characteristic('contractEnd', p.contractEnd)]),
        characteristic('paymentMethod', p.paymentMethod),
        ...(p.marketingConsent === null ? [] : [characteristic('marketingConsent', p.marketingConsent)]),
        ...(p.channelConsent.sms === null ? [] : [characteristic('smsConsent', p.channelConsent.sms)]),
        ...(p.channelConsent.email === null ? [] : [characteristic('emailConsent', p.channelConsent.email)]),
      ]
    : [];
  return {
    ...partyAttributes(party),
    id: view.customerId,
    href: `${root}/customer/${view.customerId}`,
    name: party?.name ?? view.customerId,
    status: statusOf(view),
    ...(p?.since ? { validFor: { startDateTime: p.since } } : {}),
    engagedParty: { id: view.customerId, role: 'customer', ...party?.engagedParty, '@referredType': p?.segment === 'business' ? 'Organization' : 'Individual' },
    characteristic: [...profile, ...scoreCharacteristics(decorated?.scores as Json | null | undefined)],
    '@type': 'TwinloopCustomer',
    '@baseType': 'Customer',
  };
}

const PRODUCT_STATUS: Record<ProductView['status'], string> = { active: 'active', suspended: 'suspended', terminated: 'terminated' };

/** The id of a twin's product in TMF637: the customer's and the subscription's, so that one read finds it. */
export const productIdOf = (customerId: string, subscriptionId: string): string => `${customerId}:${subscriptionId}`;

/** A twin's products as TMF637 Products, each related to its customer (TMF629). */
export function toTmfProducts(view: TwinView, root: string, customerRoot: string): Json[] {
  return view.products.map((p) => {
    const id = productIdOf(view.customerId, p.subscriptionId);
    // A plan the customer had before the history began has no known start: the history's first day is not it.
    const startKnown = !!p.activatedAt && !activatedBeforeHistory(p.activatedAt, view.firstEventAt, view.profile?.since);
    return {
      id,
      href: `${root}/product/${id}`,
      name: p.productId ?? p.subscriptionId,
      isBundle: false,
      isCustomerVisible: true,
      status: PRODUCT_STATUS[p.status],
      ...(startKnown ? { startDate: p.activatedAt } : {}),
      ...(p.status === 'terminated' && p.statusSince ? { terminationDate: p.statusSince } : {}),
      productSerialNumber: p.subscriptionId,
      ...(p.productId ? { productSpecification: { id: p.productId, name: p.productId, '@referredType': 'ProductSpecification' } } : {}),
      productPrice: [{ name: 'monthly price', priceType: 'recurring', recurringChargePeriod: 'month', price: { taxIncludedAmount: { unit: 'EUR', value: p.monthlyPrice } } }],
      productCharacteristic: [characteristic('kind', p.kind), characteristic('dataAllowanceMb', p.dataAllowanceMb), characteristic('voiceAllowanceMin', p.voiceAllowanceMin), characteristic('statusSince', p.statusSince), ...(p.activatedAt && !startKnown ? [characteristic('activeBy', p.activatedAt)] : [])],
      relatedParty: [{ id: view.customerId, href: `${customerRoot}/customer/${view.customerId}`, role: 'customer', '@referredType': 'Customer' }],
      '@type': 'Product',
    };
  });
}
