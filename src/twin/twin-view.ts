import { decodeConsents } from './consent-code.js';
import { CHANNELS, type Channel } from '../domain/events.js';
import type { NameBook } from './name-book.js';
import { computeFeatures, FEATURE_COUNT, FEATURE_NAMES, type FeatureName } from './twin-features.js';
import { FLAG_HAS_PROFILE, OFF, PRODUCT_KIND, PRODUCT_SLOTS, PRODUCT_STATUS } from './twin-layout.js';
import { PAYMENT_METHODS } from './twin-reducer.js';
import { readContactRecord, type ContactRecord } from './twin-responses.js';
import { readCells } from './twin-cells.js';
import { readPeriodUsage, type PeriodUsage } from './twin-period-usage.js';
import type { TwinCursor } from './twin-table.js';

export interface ProductView {
  subscriptionId: string;
  productId: string | null;
  kind: 'plan' | 'addon';
  status: 'active' | 'suspended' | 'terminated';
  monthlyPrice: number;
  dataAllowanceMb: number;
  voiceAllowanceMin: number;
  activatedAt: string | null;
  statusSince: string;
}

/** A twin as plain data, for the API, the CLI and comparisons. */
export interface TwinView {
  customerId: string;
  /** The time the features are evaluated at. */
  asOf: string;
  profile: {
    segment: 'consumer' | 'business';
    billing: 'prepaid' | 'postpaid';
    contractMonths: number;
    /** The day the contract in force ends (`YYYY-MM-DD`), null when none is known. */
    contractEnd: string | null;
    paymentMethod: (typeof PAYMENT_METHODS)[number];
    since: string;
    marketingConsent: boolean | null;
    /** Contact by SMS / e-mail: false is a channel opt-out, null when the customer never said. */
    channelConsent: { sms: boolean | null; email: boolean | null };
  } | null;
  products: ProductView[];
  /** The cells the customer's usage records come from, most records first (the first is home). */
  cells: { cellId: string; siteId: string | null; records: number; lastSeen: string }[];
  lastInteraction: Record<Channel, string | null>;
  features: Record<FeatureName, number>;
  /** What the customer has used so far in the billing period running at `asOf`, against the allowances in force. */
  periodUsage: PeriodUsage;
  /** Answers to contact so far: offers presented, accepted, declined per kind (the response profile's evidence). */
  contacts: ContactRecord;
  eventCount: number;
  firstEventAt: string | null;
  lastEventAt: string | null;
}

const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : null);
const STATUS_NAMES = { [PRODUCT_STATUS.active]: 'active', [PRODUCT_STATUS.suspended]: 'suspended', [PRODUCT_STATUS.terminated]: 'terminated' } as const;

/** Reads the record under `c` into a view with features evaluated at `at`. */
export function readTwinView(customerId: string, c: TwinCursor, at: number, names: NameBook): TwinView {
  const F = (off: number) => c.f64[(c.base + off) >> 3];
  const W = (off: number) => c.u32[(c.base + off) >> 2];
  const B = (off: number) => c.u8[c.base + off];
  const hasProfile = (F(OFF.flags) & FLAG_HAS_PROFILE) !== 0;
  const consent = decodeConsents(F(OFF.marketingConsent));
  const products: ProductView[] = [];
  for (let s = 0; s < PRODUCT_SLOTS; s++) {
    const status = B(OFF.prodStatus + s);
    if (status === PRODUCT_STATUS.none) continue;
    const hash = F(OFF.prodHash + 8 * s);
    const pid = W(OFF.prodId + 4 * s);
    products.push({
      subscriptionId: names.subscriptions.get(hash) ?? `#${hash}`,
      productId: pid === 0 ? null : (names.products.get(pid) ?? `#${pid}`),
      kind: B(OFF.prodKind + s) === PRODUCT_KIND.addon ? 'addon' : 'plan',
      status: STATUS_NAMES[status as 1 | 2 | 3],
      monthlyPrice: W(OFF.prodPriceCents + 4 * s) / 100,
      dataAllowanceMb: W(OFF.prodDataMb + 4 * s),
      voiceAllowanceMin: W(OFF.prodVoiceMin + 4 * s),
      activatedAt: iso(F(OFF.prodActivated + 8 * s)),
      statusSince: iso(F(OFF.prodStatusTime + 8 * s)) ?? '',
    });
  }
  products.sort((a, b) => (a.subscriptionId < b.subscriptionId ? -1 : a.subscriptionId > b.subscriptionId ? 1 : 0));
  const vector = computeFeatures(c, at, new Float64Array(FEATURE_COUNT));
  const features = {} as Record<FeatureName, number>;
  FEATURE_NAMES.forEach((n, i) => (features[n] = vector[i]));
  const lastInteraction = {} as Record<Channel, string | null>;
  CHANNELS.forEach((ch, i) => (lastInteraction[ch] = iso(F(OFF.lastInteraction + 8 * i))));
  return {
    customerId,
    asOf: new Date(at).toISOString(),
    profile: hasProfile
      ? {
          segment: F(OFF.segment) === 2 ? 'business' : 'consumer',
          billing: F(OFF.billing) === 1 ? 'prepaid' : 'postpaid',
          contractMonths: F(OFF.contractMonths),
          contractEnd: F(OFF.contractEnd) > 0 ? new Date(F(OFF.contractEnd)).toISOString().slice(0, 10) : null,
          paymentMethod: PAYMENT_METHODS[F(OFF.paymentMethod) - 1],
          since: iso(F(OFF.since)) ?? '',
          marketingConsent: consent.marketing,
          channelConsent: { sms: consent.sms, email: consent.email },
        }
      : null,
    products,
    cells: readCells(c, names).map((x) => ({ cellId: x.cellId, siteId: x.siteId, records: x.records, lastSeen: new Date(x.lastSeenMs).toISOString() })),
    lastInteraction,
    features,
    periodUsage: readPeriodUsage(c, at, features.data_allowance_mb, features.voice_allowance_min),
    contacts: readContactRecord(c),
    eventCount: F(OFF.events),
    firstEventAt: iso(F(OFF.firstEventTime)),
    lastEventAt: iso(F(OFF.watermark)),
  };
}
