import type { TwinEvent } from '../../domain/events.js';
import { TwinloopError } from '../../domain/errors.js';
import { DAY_MS } from '../../domain/time.js';
import type { CellsPresence } from '../../twin/twin-cells.js';
import { alphaPerSignal, poissonTail } from './poisson-burst.js';

/**
 * Suspected network incidents from the twins' experience signals, before (or without) an alarm.
 * Two signals, each counted in sliding windows per cell and per site (an outage takes a whole
 * site down): bad sessions (usage records of a dropped call or of a data session under
 * `poorThroughputMbps`), on the cell that served them; and customers calling or complaining about
 * their service, on every cell the caller was seen on lately. At each signal, the signals in the
 * window (from at least `minCustomers` distinct customers) are compared with what the place's
 * customers make at the population's usual rate of that signal at that hour of the day (both learned from the signals outside suspicions, priors until then; bad
 * sessions weighted by each customer's share of usage there): a count at least `minRateRatio`
 * times the expected one and rarer than the network's false-alarm budget allows, with every
 * arrival at every place of the network counted as a try, opens a suspected incident (one per signal,
 * on the place where the burst is rarest, however many places burst with it); it closes after
 * a quiet spell. A suspicion opened on signals the operator's clock has long passed (a loaded
 * history) is marked as found in history and closed at once: nobody can act on it. A signal on a cell or site already under suspicion joins it, and
 * one on a cell an open alarm covers (`known`) is explained by that alarm and suspects nothing.
 * Times are the events' own (the event clock).
 */

/** Interactions that are customers telling the operator their service is bad. */
export const SERVICE_CONTACT_INTENTS: ReadonlySet<string> = new Set(['technical_support', 'support_network', 'complaint_network']);

/**
 * Whether a usage record is a bad session: a dropped call, or a data session under
 * `poorThroughputMbps` (DEFAULT_CELL_ANOMALY_OPTIONS' 1 Mbit/s unless tuned).
 */
export function isBadSession(data: { droppedCalls?: number; throughputMbps?: number }, poorThroughputMbps = DEFAULT_CELL_ANOMALY_OPTIONS.poorThroughputMbps): boolean {
  return (data.droppedCalls ?? 0) > 0 || (data.throughputMbps !== undefined && data.throughputMbps < poorThroughputMbps);
}

/** The signals a suspicion can come from. */
export type AnomalySignal = 'bad-session-burst' | 'service-contact-burst';

/** Tuning of one signal's burst test. */
export interface SignalOptions {
  /** The sliding window signals are counted in. */
  windowMs: number;
  /** Fewest signals in the window that make a burst, whatever the baseline. */
  minCount: number;
  /** Signals per customer per day assumed before any is seen (the prior of the learned rate). */
  priorRatePerCustomerDay: number;
  /**
   * Fewest distinct customers behind a burst: one customer's phone dropping calls, or one
   * customer calling again and again, is not a network incident; nor, for bad sessions, are two
   * customers' (two people in one car, one bad corner): what an operator would act on is a cell
   * that fails several of its customers.
   */
  minCustomers: number;
}

/** Tuning of the detector; every field has a documented default (DEFAULT_CELL_ANOMALY_OPTIONS). */
export interface CellAnomalyOptions {
  /** Service contacts (calls, complaints about the network). */
  contacts: SignalOptions;
  /** Bad sessions (dropped calls, slow data). */
  sessions: SignalOptions;
  /** A data session under this throughput is a bad one (Mbit/s). */
  poorThroughputMbps: number;
  /**
   * False suspicions tolerated per 30 days across the whole network, per signal: every arrival
   * tests each of its places, and the threshold divides this budget by the tests the whole
   * network makes in a month (Bonferroni over every cell and site at every hour), so a quiet
   * cell is held to the same bar as a busy one rather than given a budget of its own.
   */
  falseAlarmsPerMonth: number;
  /** Fewest times the expected count a burst must be: a significant but small excess on a busy place is no incident. */
  minRateRatio: number;
  /** A suspicion closes once its cell or site has been this long without a signal. */
  quietMs: number;
  /** A caller counts on the cells their usage came from within this long; customers seen on a cell since then make its baseline. */
  presenceMs: number;
  /** How many customer-days the priors weigh before the base's own rates take over. */
  priorCustomerDays: number;
  /** A suspicion opened on a signal this far behind the operator's clock was found in history (`history`). */
  historyLagMs: number;
}

/**
 * Defaults: contacts in 2-hour windows (calls about one failure come within an hour or two of
 * each other), at least 2 from 2 customers, a prior of one a customer a year; bad sessions in
 * 30-minute windows (a failing cell drops calls by the minute), at least 3 from 3 customers, a
 * prior of one a customer every 100 days; 1 Mbit/s as the floor of a usable data session; one
 * false suspicion a month and signal over the whole network (the old 0.002 per place on the
 * default world's 400 cells and 134 sites, now shared by them all: a quiet cell no longer gets a
 * budget of its own); at least 5 times the expected count; closed after 6 quiet hours; customers
 * placed on the cells of their last 30 days; priors worth 10,000 customer-days (a few days of a
 * mid-size base); a suspicion found a day or more after its signals is history (a loaded history is days to months
 * old, while at the sandbox's 3,600× a busy intake already trails its clock by simulated hours).
 */
export const DEFAULT_CELL_ANOMALY_OPTIONS: CellAnomalyOptions = {
  contacts: { windowMs: 2 * 3_600_000, minCount: 2, priorRatePerCustomerDay: 1 / 365, minCustomers: 2 },
  sessions: { windowMs: 30 * 60_000, minCount: 3, priorRatePerCustomerDay: 0.01, minCustomers: 3 },
  poorThroughputMbps: 1,
  falseAlarmsPerMonth: 1,
  minRateRatio: 5,
  quietMs: 6 * 3_600_000,
  presenceMs: 30 * DAY_MS,
  priorCustomerDays: 10_000,
  historyLagMs: DAY_MS,
};

/** What the detector asks of the twins' cells (`TwinCells` in src/twin/twin-cells.ts fits). */
export interface AnomalyCells {
  /** A customer's cells with the day each was last seen in their usage. */
  cellsOf(customerId: string): readonly { cellId: string; siteId: string | null; lastSeenMs: number }[];
  /** Every cell's and site's customers seen there since `sinceMs`, in one look at the twins. */
  presence(sinceMs: number): CellsPresence;
}

/** Whether an open alarm covers a cell (or its site) at `atMs`: its signals are explained by a known incident. */
export type KnownIncident = (cellId: string, siteId: string | null, atMs: number) => boolean;

/** A suspected incident: where, since when, on what evidence. */
export interface SuspectedIncident {
  id: string;
  /** A cell or a whole site. */
  scope: 'Cell' | 'Site';
  objectId: string;
  /** The site of the cell (or the site itself), when the usage records named it. */
  siteId: string | null;
  /** When the burst was seen: the time of the signal that made it one (ms). */
  openedMs: number;
  /** The latest signal counted in it (ms); closed after `quietMs` without another. */
  lastSignalMs: number;
  state: 'open' | 'closed';
  /**
   * Signals in the window when it opened, what the baseline expected there at that hour, and how
   * rare that was (the chance the last signal found the other customers' signals in its window).
   */
  signals: number;
  expected: number;
  pValue: number;
  /** Customers whose signals it holds, first first. */
  customers: string[];
  signal: AnomalySignal;
  /**
   * Found after the fact: the signal that made it reached the detector `historyLagMs` or more
   * after it happened (a history loaded later, a late batch), when nobody could act on it. It
   * still holds its evidence and keeps its burst out of the learned rates. Absent in what older
   * versions kept.
   */
  history?: boolean;
  /** What network operations made of it (absent while nobody has): confirmed as an incident, or dismissed. */
  review?: SuspicionReview;
  /**
   * The alarm that covered it, when it closed because that alarm (on its cell or site, open while
   * it was) cleared: the incident it saw is over, and its later signals, if any, are a new one.
   */
  coveredBy?: string;
}

/** A person's (or an agent's) verdict on a suspicion, with why; a confirmation names the alarm it raised or found. */
export interface SuspicionReview {
  decision: 'confirmed' | 'dismissed';
  by: { kind: 'human' | 'agent' | 'system'; id: string };
  reason: string;
  atMs: number;
  /** The alarm the confirmation raised (or the open one that already covered it); null for a dismissal. */
  alarmId: string | null;
}

/** What a detector keeps across a restart: its suspicions and the base's learned rates. */
export interface AnomalyDetectorState {
  suspicions: SuspectedIncident[];
  /** Signals outside suspicions, over the event time seen; and by UTC hour of the day (absent in what older versions kept). */
  baseline: { contacts: number; sessions: number; firstMs: number | null; lastMs: number | null; contactsByHour?: number[]; sessionsByHour?: number[] };
}

/**
 * Pseudo-signals per hour of the day that the daily profile starts from (a flat day): 240 a day,
 * so the base's own hours take over after a few hundred signals (a few days of a mid-size base)
 * and a quiet hour is never taken as impossible.
 */
const HOUR_PRIOR = 10;

/** The detector: feed it applied events, read its suspicions. */
export interface CellAnomalyDetector {
  /** Counts the events' signals; returns the suspicions they opened. */
  observe(events: readonly { event: TwinEvent; time: number }[]): SuspectedIncident[];
  /** Every suspicion so far, oldest first (copies). */
  suspicions(): SuspectedIncident[];
  /** The suspicions opened or changed since the last call (copies), for whoever keeps them. */
  takeChanged(): SuspectedIncident[];
  /** The baseline in use: signals per customer per day. */
  ratePerCustomerDay(signal: 'contacts' | 'sessions'): number;
  /** Records a review on a suspicion (NOT_FOUND for an unknown id); returns it. Signals still join it until it closes. */
  review(id: string, review: SuspicionReview): SuspectedIncident;
  /**
   * Closes an open suspicion that an alarm covered, once that alarm cleared (NOT_FOUND for an
   * unknown id); one already closed is left as it is. Returns it.
   */
  cover(id: string, alarmId: string): SuspectedIncident;
  /** What to keep for a restart, and taking it back (at start, before any event). */
  state(): AnomalyDetectorState;
  restore(state: AnomalyDetectorState): void;
}

interface Watch {
  /** Signals in the current window: when, and whose. */
  recent: { t: number; customerId: string }[];
  open?: SuspectedIncident;
}

type Place = { scope: 'Cell' | 'Site'; id: string; siteId: string | null };

/**
 * Builds a detector over the twins' cells; `known` tells it which cells an open alarm covers, and
 * `now` is the operator's clock, against which a suspicion is told found as it happened or in
 * history (without it, every suspicion is taken as found as it happened).
 */
export function createCellAnomalyDetector(cells: AnomalyCells, options: Partial<CellAnomalyOptions> = {}, known: KnownIncident = () => false, now?: () => number): CellAnomalyDetector {
  const o: CellAnomalyOptions = { ...DEFAULT_CELL_ANOMALY_OPTIONS, ...options };
  const okSignal = (x: SignalOptions) => x.windowMs > 0 && x.minCount >= 1 && x.priorRatePerCustomerDay > 0 && x.minCustomers >= 1;
  if (!(okSignal(o.contacts) && okSignal(o.sessions) && o.quietMs > 0 && o.presenceMs > 0 && o.falseAlarmsPerMonth > 0 && o.minRateRatio >= 1 && o.priorCustomerDays > 0 && o.poorThroughputMbps > 0 && o.historyLagMs > 0)) {
    throw new TwinloopError('BAD_INPUT', 'anomaly detection: windowMs, priorRatePerCustomerDay, quietMs, presenceMs, falseAlarmsPerMonth, priorCustomerDays, poorThroughputMbps and historyLagMs must be > 0, minCount, minCustomers and minRateRatio ≥ 1');
  }
  const watches = new Map<string, Watch>();
  let all: SuspectedIncident[] = [];
  const changed = new Set<SuspectedIncident>();
  // The base's own rates: signals outside suspicions over customer-days of event time seen.
  const baseline = { contacts: 0, sessions: 0 };
  const byHour = { contacts: new Array<number>(24).fill(0), sessions: new Array<number>(24).fill(0) };
  const hourOf = (ms: number) => Math.floor((((ms % DAY_MS) + DAY_MS) % DAY_MS) / 3_600_000);
  /**
   * The share of a day's signals of `kind` expected in [fromMs, toMs], from the learned profile by
   * hour (shrunk towards a flat day by HOUR_PRIOR): windowMs / DAY_MS on a flat day.
   */
  const dayShare = (kind: 'contacts' | 'sessions', fromMs: number, toMs: number): number => {
    const h = byHour[kind];
    const total = h.reduce((a, b) => a + b, 0) + 24 * HOUR_PRIOR;
    let share = 0;
    for (let t = fromMs; t < toMs; ) {
      const next = Math.min(toMs, (Math.floor(t / 3_600_000) + 1) * 3_600_000);
      share += ((next - t) / 3_600_000) * ((h[hourOf(t)] + HOUR_PRIOR) / total);
      t = next;
    }
    return share;
  };
  let firstMs: number | undefined;
  let lastMs: number | undefined;
  /**
   * Who is where, looked up once a day of event time (a scan of every twin; a look per cell, site
   * and signal cost the default world's first start minutes of CPU): the places' customers as the
   * day's first signal finds them, for contacts every customer seen there (a caller counts on all
   * their cells), for bad sessions each one's share of usage there (a session happens where the
   * customer is); and the population the rates are per customer of.
   */
  let seen: { day: number; sinceDay: number; presence: CellsPresence } | undefined;
  const presenceAt = (atMs: number): CellsPresence => {
    const day = Math.floor(atMs / DAY_MS);
    const sinceDay = Math.floor((atMs - o.presenceMs) / DAY_MS);
    if (seen?.day !== day || seen.sinceDay !== sinceDay) seen = { day, sinceDay, presence: cells.presence(atMs - o.presenceMs) };
    return seen.presence;
  };

  const rate = (kind: 'contacts' | 'sessions', customers: number) => {
    const customerDays = firstMs === undefined || lastMs === undefined ? 0 : (customers * (lastMs - firstMs)) / DAY_MS;
    return (o[kind].priorRatePerCustomerDay * o.priorCustomerDays + baseline[kind]) / (o.priorCustomerDays + customerDays);
  };
  const membersOf = (kind: 'contacts' | 'sessions', p: Place, presence: CellsPresence): number => {
    const there = (p.scope === 'Cell' ? presence.cells : presence.sites).get(p.id);
    return !there ? 0 : kind === 'contacts' ? there.customers : there.usageShare;
  };
  /**
   * The members of every cell and site together (a customer counted on each place they are a
   * member of): at the usual rate, the tests the whole network makes a day are rate × this.
   */
  const familyMembers = new WeakMap<CellsPresence, { contacts: number; sessions: number }>();
  const membersOfAll = (kind: 'contacts' | 'sessions', presence: CellsPresence): number => {
    let m = familyMembers.get(presence);
    if (!m) {
      m = { contacts: 0, sessions: 0 };
      for (const there of [...presence.cells.values(), ...presence.sites.values()]) {
        m.contacts += there.customers;
        m.sessions += there.usageShare;
      }
      familyMembers.set(presence, m);
    }
    return m[kind];
  };

  /** One signal of `kind` from `customerId` at `atMs`, on the places it counts on. */
  const signal = (kind: 'contacts' | 'sessions', customerId: string, atMs: number, places: Place[]): SuspectedIncident[] => {
    // Explaining away: a signal on a cell or site already under suspicion joins that suspicion and
    // counts nowhere else. The callers of one failing cell also share their other cells (home,
    // visited); counting them there too would open false suspicions.
    let joined = false;
    for (const p of places) {
      const open = watches.get(`${p.scope}:${p.id}`)?.open;
      // One found in history is closed from the start but still takes its burst's signals until a quiet spell.
      if (!open || (open.state !== 'open' && !open.history)) continue;
      if (atMs - open.lastSignalMs > o.quietMs) {
        if (open.state === 'open') changed.add(open);
        open.state = 'closed';
        if (open.history) watches.delete(`${p.scope}:${p.id}`);
        continue;
      }
      open.lastSignalMs = Math.max(open.lastSignalMs, atMs);
      if (!open.customers.includes(customerId)) open.customers.push(customerId);
      changed.add(open);
      joined = true;
    }
    if (joined) return [];
    // Explained by a known incident: an open alarm covers one of the signal's cells.
    if (places.some((p) => p.scope === 'Cell' && known(p.id, p.siteId, atMs))) return [];
    const x = o[kind];
    // Every place whose window bursts at this signal, with its evidence.
    const bursts: { p: Place; w: Watch; expected: number; pValue: number }[] = [];
    for (const p of places) {
      const key = `${kind}:${p.scope}:${p.id}`;
      const w: Watch = watches.get(key) ?? { recent: [] };
      watches.set(key, w);
      w.recent = w.recent.filter((r) => r.t > atMs - x.windowMs && r.t <= atMs);
      w.recent.push({ t: atMs, customerId });
      // The place's signals a day at the usual rate; what the window expects at this hour; the
      // chance the arriving signal finds that many others in it.
      // A burst needs the count, the customers, the excess over what was expected, and a tail
      // rarer than the network's budget over all the tests the network makes in a month.
      const presence = presenceAt(atMs);
      const perCustomer = rate(kind, presence.customers);
      const expected = perCustomer * membersOf(kind, p, presence) * dayShare(kind, atMs - x.windowMs, atMs);
      // Counted in distinct customers: one customer's repeated drops or calls are one customer's trouble.
      const who = new Set(w.recent.map((r) => r.customerId)).size;
      const pValue = poissonTail(expected, who - 1);
      if (w.recent.length < x.minCount || who < x.minCustomers) continue;
      if (who < o.minRateRatio * expected) continue;
      if (pValue > alphaPerSignal(o.falseAlarmsPerMonth, perCustomer * membersOfAll(kind, presence) * 30)) continue;
      bursts.push({ p, w, expected, pValue });
    }
    const opened: SuspectedIncident[] = [];
    if (bursts.length > 0) {
      // One signal that makes a burst on a cell and on its site (or on several cells of a caller)
      // is one incident: one suspicion, on the place where the burst is rarest (the cell when its
      // signals are all the site has, the site when its other cells add theirs), watched on every
      // place that burst, so their later signals join it.
      const best = bursts.reduce((a, b) => (b.pValue < a.pValue ? b : a));
      const history = now !== undefined && now() - atMs >= o.historyLagMs;
      const s: SuspectedIncident = {
        id: `anomaly-${all.length + 1}`,
        scope: best.p.scope,
        objectId: best.p.id,
        siteId: best.p.siteId,
        openedMs: atMs,
        lastSignalMs: atMs,
        // Found in history: over before anyone could act on it, so closed as it is found.
        state: history ? 'closed' : 'open',
        signals: best.w.recent.length,
        expected: Math.round(best.expected * 1e4) / 1e4,
        pValue: best.pValue,
        customers: [...new Set(best.w.recent.map((r) => r.customerId))],
        signal: kind === 'contacts' ? 'service-contact-burst' : 'bad-session-burst',
        history,
      };
      for (const b of bursts) {
        b.w.recent = [];
        // Either signal's later evidence joins it: the watch of the place, not of the signal.
        const placeWatch = watches.get(`${b.p.scope}:${b.p.id}`) ?? { recent: [] };
        placeWatch.open = s;
        watches.set(`${b.p.scope}:${b.p.id}`, placeWatch);
      }
      all.push(s);
      changed.add(s);
      opened.push(s);
    }
    if (opened.length === 0) {
      baseline[kind]++;
      byHour[kind][hourOf(atMs)]++;
    }
    return opened;
  };

  const placesOfCell = (cellId: string, siteId: string | null): Place[] => [{ scope: 'Cell', id: cellId, siteId }, ...(siteId ? [{ scope: 'Site' as const, id: siteId, siteId }] : [])];

  return {
    observe(events) {
      const opened: SuspectedIncident[] = [];
      for (const { event, time } of events) {
        if (firstMs === undefined || time < firstMs) firstMs = time;
        if (lastMs === undefined || time > lastMs) lastMs = time;
        if (event.kind === 'usage') {
          const d = event.data;
          if (d.cellId && isBadSession(d, o.poorThroughputMbps)) opened.push(...signal('sessions', event.customerId, time, placesOfCell(d.cellId, d.siteId ?? null)));
          continue;
        }
        if (event.kind !== 'interaction' || event.data.phase === 'end' || !SERVICE_CONTACT_INTENTS.has(event.data.intent)) continue;
        const places = new Map<string, Place>();
        for (const c of cells.cellsOf(event.customerId)) {
          if (c.lastSeenMs < time - o.presenceMs) continue;
          for (const p of placesOfCell(c.cellId, c.siteId)) places.set(`${p.scope}:${p.id}`, p);
        }
        opened.push(...signal('contacts', event.customerId, time, [...places.values()]));
      }
      // Suspicions quiet for long enough close as the event clock passes, not only when their place signals again.
      if (lastMs !== undefined) {
        for (const s of all) {
          if (s.state === 'open' && lastMs - s.lastSignalMs > o.quietMs) {
            s.state = 'closed';
            changed.add(s);
          }
        }
      }
      return opened.map((s) => structuredClone(s));
    },
    suspicions: () => all.map((s) => structuredClone(s)),
    takeChanged() {
      const out = [...changed].map((s) => structuredClone(s));
      changed.clear();
      return out;
    },
    ratePerCustomerDay: (kind) => rate(kind, cells.presence(lastMs ?? 0).customers),
    review(id, review) {
      const s = all.find((x) => x.id === id);
      if (!s) throw new TwinloopError('NOT_FOUND', `no suspected incident "${id}"; GET /service-operations/anomalies lists them`);
      s.review = structuredClone(review);
      changed.add(s);
      return structuredClone(s);
    },
    cover(id, alarmId) {
      const s = all.find((x) => x.id === id);
      if (!s) throw new TwinloopError('NOT_FOUND', `no suspected incident "${id}"; GET /service-operations/anomalies lists them`);
      if (s.state === 'open') {
        s.state = 'closed';
        s.coveredBy = alarmId;
        changed.add(s);
      }
      return structuredClone(s);
    },
    state: () => ({ suspicions: all.map((s) => structuredClone(s)), baseline: { ...baseline, firstMs: firstMs ?? null, lastMs: lastMs ?? null, contactsByHour: [...byHour.contacts], sessionsByHour: [...byHour.sessions] } }),
    restore(state) {
      all = state.suspicions.map((s) => structuredClone(s)).sort((a, b) => Number(a.id.slice(8)) - Number(b.id.slice(8)));
      baseline.contacts = state.baseline.contacts;
      baseline.sessions = state.baseline.sessions;
      byHour.contacts = state.baseline.contactsByHour?.length === 24 ? [...state.baseline.contactsByHour] : new Array<number>(24).fill(0);
      byHour.sessions = state.baseline.sessionsByHour?.length === 24 ? [...state.baseline.sessionsByHour] : new Array<number>(24).fill(0);
      firstMs = state.baseline.firstMs ?? undefined;
      lastMs = state.baseline.lastMs ?? undefined;
      watches.clear();
      for (const s of all) if (s.state === 'open') watches.set(`${s.scope}:${s.objectId}`, { recent: [], open: s });
    },
  };
}
