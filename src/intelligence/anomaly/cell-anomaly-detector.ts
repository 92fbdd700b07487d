import type { TwinEvent } from '../../domain/events.js';
import { TwinloopError } from '../../domain/errors.js';
import { DAY_MS } from '../../domain/time.js';
import { alphaForBudget, isBurst } from './poisson-burst.js';

/**
 * Suspected network incidents from the twins' experience signals, before (or without) an alarm:
 * customers calling or complaining about their service cluster on the cells their own usage
 * comes from. Each service contact counts on every cell the caller was seen on lately, and on
 * those cells' sites (an outage takes a whole site down). A cell's or site's contacts in a sliding
 * window are compared with what its customers make at the population's usual rate (learned from
 * the contacts outside suspicions, a prior until then): a count rarer than the false-alarm budget
 * allows opens a suspected incident there; it closes after a quiet spell. Times are the events'
 * own (the event clock), so a replay gives the same suspicions.
 */

/** Interactions that are customers telling the operator their service is bad. */
export const SERVICE_CONTACT_INTENTS: ReadonlySet<string> = new Set(['technical_support', 'support_network', 'complaint_network']);

/** Tuning of the detector; every field has a documented default (DEFAULT_CELL_ANOMALY_OPTIONS). */
export interface CellAnomalyOptions {
  /** The sliding window contacts are counted in. */
  windowMs: number;
  /** False suspicions tolerated per watched cell or site per 30 days (sets the burst threshold). */
  falseAlarmsPerMonth: number;
  /** Fewest contacts that make a burst, whatever the baseline (one call is never an incident). */
  minContacts: number;
  /** A suspicion closes once its cell or site has been this long without a contact. */
  quietMs: number;
  /** A caller counts on the cells their usage came from within this long. */
  presenceMs: number;
  /** Service contacts per customer per day assumed before any is seen, and how many customer-days that prior weighs. */
  priorRatePerCustomerDay: number;
  priorCustomerDays: number;
}

/**
 * Defaults: a 2-hour window (calls about one failure come within an hour or two of each other);
 * 0.002 false suspicions per cell or site a month (under one a month on the default world's 400
 * cells and 134 sites); at least 2 contacts; closed after 6 quiet hours; callers placed on the
 * cells of their last 30 days; a prior of one service contact per customer a year, worth 10,000
 * customer-days (a few days of a mid-size base), until the base's own rate takes over.
 */
export const DEFAULT_CELL_ANOMALY_OPTIONS: CellAnomalyOptions = {
  windowMs: 2 * 3_600_000,
  falseAlarmsPerMonth: 0.002,
  minContacts: 2,
  quietMs: 6 * 3_600_000,
  presenceMs: 30 * DAY_MS,
  priorRatePerCustomerDay: 1 / 365,
  priorCustomerDays: 10_000,
};

/** What the detector asks of the twins' cells (`TwinCells` in src/twin/twin-cells.ts fits). */
export interface AnomalyCells {
  /** A customer's cells with the day each was last seen in their usage. */
  cellsOf(customerId: string): readonly { cellId: string; siteId: string | null; lastSeenMs: number }[];
  /** Customers seen on any of the cells since `sinceMs`. */
  rankedOn(cellIds: readonly string[], options?: { sinceMs?: number }): readonly unknown[];
  cellsOfSite(siteId: string): string[];
  /** Customers with at least one cell. */
  size(): { customers: number };
}

/** A suspected incident: where, since when, on what evidence. */
export interface SuspectedIncident {
  id: string;
  /** A cell or a whole site. */
  scope: 'Cell' | 'Site';
  objectId: string;
  /** The site of the cell (or the site itself), when the usage records named it. */
  siteId: string | null;
  /** When the burst was seen: the time of the contact that made it one (ms). */
  openedMs: number;
  /** The latest contact counted in it (ms); closed after `quietMs` without another. */
  lastContactMs: number;
  state: 'open' | 'closed';
  /** Contacts in the window when it opened, what the baseline expected there, and how rare that was. */
  contacts: number;
  expected: number;
  pValue: number;
  /** Customers whose contacts it holds, first caller first. */
  customers: string[];
  signal: 'service-contact-burst';
}

/** The detector: feed it applied events, read its suspicions. */
export interface CellAnomalyDetector {
  observe(events: readonly { event: TwinEvent; time: number }[]): SuspectedIncident[];
  /** Every suspicion so far, oldest first (copies). */
  suspicions(): SuspectedIncident[];
  /** The baseline in use: service contacts per customer per day. */
  ratePerCustomerDay(): number;
}

interface Watch {
  /** Contacts in the current window: when, and who. */
  recent: { t: number; customerId: string }[];
  open?: SuspectedIncident;
}

/** Builds a detector over the twins' cells. */
export function createCellAnomalyDetector(cells: AnomalyCells, options: Partial<CellAnomalyOptions> = {}): CellAnomalyDetector {
  const o: CellAnomalyOptions = { ...DEFAULT_CELL_ANOMALY_OPTIONS, ...options };
  if (!(o.windowMs > 0 && o.quietMs > 0 && o.presenceMs > 0 && o.falseAlarmsPerMonth > 0 && o.minContacts >= 1 && o.priorRatePerCustomerDay > 0 && o.priorCustomerDays > 0)) {
    throw new TwinloopError('BAD_INPUT', 'anomaly detection: windowMs, quietMs, presenceMs, falseAlarmsPerMonth, priorRatePerCustomerDay and priorCustomerDays must be > 0, minContacts ≥ 1');
  }
  const alpha = alphaForBudget(o.falseAlarmsPerMonth, o.windowMs);
  const watches = new Map<string, Watch>();
  const all: SuspectedIncident[] = [];
  // The base's own rate: contacts outside suspicions over customer-days of event time seen.
  let baselineContacts = 0;
  let firstMs: number | undefined;
  let lastMs: number | undefined;
  const members = new Map<string, { day: number; n: number }>();

  const rate = () => {
    const customerDays = firstMs === undefined || lastMs === undefined ? 0 : (cells.size().customers * (lastMs - firstMs)) / DAY_MS;
    return (o.priorRatePerCustomerDay * o.priorCustomerDays + baselineContacts) / (o.priorCustomerDays + customerDays);
  };
  /** Customers seen on a cell or site lately (counted once a day per key: a scan of the twins). */
  const membersOf = (key: string, scope: 'Cell' | 'Site', id: string, atMs: number): number => {
    const day = Math.floor(atMs / DAY_MS);
    const known = members.get(key);
    if (known && known.day === day) return known.n;
    const ids = scope === 'Cell' ? [id] : cells.cellsOfSite(id);
    const n = cells.rankedOn(ids, { sinceMs: atMs - o.presenceMs }).length;
    members.set(key, { day, n });
    return n;
  };

  const contact = (customerId: string, atMs: number): SuspectedIncident[] => {
    const keys = new Map<string, { scope: 'Cell' | 'Site'; id: string; siteId: string | null }>();
    for (const c of cells.cellsOf(customerId)) {
      if (c.lastSeenMs < atMs - o.presenceMs) continue;
      keys.set('Cell:' + c.cellId, { scope: 'Cell', id: c.cellId, siteId: c.siteId });
      if (c.siteId) keys.set('Site:' + c.siteId, { scope: 'Site', id: c.siteId, siteId: c.siteId });
    }
    // Explaining away: a contact from a customer on a cell or site already under suspicion
    // joins that suspicion and counts nowhere else. The callers of one failing cell also share
    // their other cells (home, visited); counting them there too would open false suspicions.
    let joined = false;
    for (const key of keys.keys()) {
      const open = watches.get(key)?.open;
      if (!open || open.state !== 'open') continue;
      if (atMs - open.lastContactMs > o.quietMs) {
        open.state = 'closed';
        continue;
      }
      open.lastContactMs = Math.max(open.lastContactMs, atMs);
      if (!open.customers.includes(customerId)) open.customers.push(customerId);
      joined = true;
    }
    if (joined) return [];
    const opened: SuspectedIncident[] = [];
    for (const [key, { scope, id, siteId }] of keys) {
      const w: Watch = watches.get(key) ?? { recent: [] };
      watches.set(key, w);
      w.recent = w.recent.filter((r) => r.t > atMs - o.windowMs && r.t <= atMs);
      w.recent.push({ t: atMs, customerId });
      const expected = rate() * membersOf(key, scope, id, atMs) * (o.windowMs / DAY_MS);
      const { burst, pValue } = isBurst(w.recent.length, expected, alpha, o.minContacts);
      if (!burst) continue;
      const s: SuspectedIncident = {
        id: `anomaly-${all.length + 1}`,
        scope,
        objectId: id,
        siteId,
        openedMs: atMs,
        lastContactMs: atMs,
        state: 'open',
        contacts: w.recent.length,
        expected: Math.round(expected * 1e4) / 1e4,
        pValue,
        customers: [...new Set(w.recent.map((r) => r.customerId))],
        signal: 'service-contact-burst',
      };
      w.open = s;
      w.recent = [];
      all.push(s);
      opened.push(s);
    }
    if (opened.length === 0) baselineContacts++;
    return opened;
  };

  return {
    observe(events) {
      const opened: SuspectedIncident[] = [];
      for (const { event, time } of events) {
        if (firstMs === undefined || time < firstMs) firstMs = time;
        if (lastMs === undefined || time > lastMs) lastMs = time;
        if (event.kind !== 'interaction' || event.data.phase === 'end' || !SERVICE_CONTACT_INTENTS.has(event.data.intent)) continue;
        opened.push(...contact(event.customerId, time));
      }
      // Suspicions quiet for long enough close as the event clock passes, not only when their cell calls again.
      if (lastMs !== undefined) for (const s of all) if (s.state === 'open' && lastMs - s.lastContactMs > o.quietMs) s.state = 'closed';
      return opened.map((s) => structuredClone(s));
    },
    suspicions: () => all.map((s) => structuredClone(s)),
    ratePerCustomerDay: rate,
  };
}
