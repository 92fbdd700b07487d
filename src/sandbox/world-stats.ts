/**
 * A quick look at a generated world from its events alone: customers, events by kind, monthly
 * churn, usage per customer, complaints, incidents. Reads plain decoded records so it works on
 * any NDJSON file of twin events, not only the sandbox's.
 */

import { MONTH_MS } from '../domain/time.js';

/** The summary `twinloop sandbox stats` prints. */
export interface WorldStats {
  events: number;
  eventsByKind: Record<string, number>;
  customers: number;
  activeAtEnd: number;
  terminations: number;
  firstTime: string;
  lastTime: string;
  /**
   * Terminations per customer-month of exposure over the whole span (each customer counts the
   * days from joining, or the start, to leaving, or the end): defined for a span of any length,
   * a single month included.
   */
  monthlyChurnRate: number;
  /** Per calendar month: customers active at its start, terminations in it, their ratio; `partial` when the data cover only part of it. */
  monthlyChurnByMonth: { month: string; activeAtStart: number; terminations: number; rate: number; partial: boolean }[];
  /** Mean daily data (MB) and voice (min) per usage record, i.e. per subscription-day. */
  usagePerCustomerDay: { dataMb: number; voiceMin: number; sms: number };
  bills: { count: number; meanAmount: number; withOverage: number };
  /** Prepaid customers' top-ups (they get no bills): count, mean amount, how many bought add-ons. */
  topups: { count: number; meanAmount: number; addons: number };
  payments: { paid: number; failed: number; late: number };
  tickets: { opened: number; complaints: number; complaintsPerThousandCustomerMonths: number };
  incidents: { distinct: number; impactsOnCustomers: number };
  offers: { presented: number; accepted: number; declined: number };
  /**
   * What customers did when their contract ended (worlds with `renewals`): a later `customer`
   * event naming a later `contractEnd` is a renewal, one with `contractMonths: 0` after an end was
   * named a roll onto month-to-month, a termination with reason `contract_end` a customer who left.
   */
  contractEnds: { renewed: number; monthToMonth: number; left: number };
}

interface Rec {
  kind?: unknown;
  customerId?: unknown;
  time?: unknown;
  data?: Record<string, unknown>;
}

/** Accumulates records one at a time; `result()` summarises. */
export class WorldStatsAccumulator {
  private events = 0;
  private byKind: Record<string, number> = {};
  private joined = new Map<string, string>();
  private left = new Map<string, string>();
  private first = '';
  private last = '';
  private usage = { n: 0, data: 0, voice: 0, sms: 0 };
  private bills = { count: 0, amount: 0, overage: 0 };
  private payments = { paid: 0, failed: 0, late: 0 };
  private topups = { count: 0, amount: 0, addons: 0 };
  private tickets = { opened: 0, complaints: 0 };
  private incidents = new Set<string>();
  private impacts = 0;
  private offers = { presented: 0, accepted: 0, declined: 0 };
  private contractEnds = { renewed: 0, monthToMonth: 0, left: 0 };
  /** The contract end each customer's latest `customer` event named. */
  private contractEndOf = new Map<string, string>();

  add(raw: unknown): void {
    const r = raw as Rec;
    const kind = typeof r.kind === 'string' ? r.kind : 'unknown';
    const time = typeof r.time === 'string' ? r.time : '';
    const cust = typeof r.customerId === 'string' ? r.customerId : '';
    const d = r.data ?? {};
    this.events++;
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    if (!this.first || time < this.first) this.first = time;
    if (time > this.last) this.last = time;
    switch (kind) {
      case 'customer': {
        if (!this.joined.has(cust)) this.joined.set(cust, time);
        const before = this.contractEndOf.get(cust);
        const end = typeof d.contractEnd === 'string' ? d.contractEnd : undefined;
        if (before !== undefined && end !== undefined && end > before) this.contractEnds.renewed++;
        if (before !== undefined && d.contractMonths === 0) this.contractEnds.monthToMonth++;
        if (end !== undefined) this.contractEndOf.set(cust, end);
        else this.contractEndOf.delete(cust);
        break;
      }
      case 'usage':
        this.usage.n++;
        this.usage.data += Number(d.dataMb) || 0;
        this.usage.voice += Number(d.voiceMin) || 0;
        this.usage.sms += Number(d.sms) || 0;
        break;
      case 'subscription':
        if (d.action === 'terminated') this.left.set(cust, time);
        if (d.action === 'terminated' && d.reason === 'contract_end') this.contractEnds.left++;
        break;
      case 'bill':
        this.bills.count++;
        this.bills.amount += Number(d.amount) || 0;
        if (Array.isArray(d.lines) && d.lines.some((l: { type?: unknown }) => l.type === 'overage')) this.bills.overage++;
        break;
      case 'topup':
        this.topups.count++;
        this.topups.amount += Number(d.amount) || 0;
        if (d.purpose === 'addon') this.topups.addons++;
        break;
      case 'payment':
        if (d.status === 'failed') this.payments.failed++;
        else {
          this.payments.paid++;
          if (String(d.paidDate) > String(d.dueDate)) this.payments.late++;
        }
        break;
      case 'ticket':
        if (d.action === 'opened') {
          this.tickets.opened++;
          if (d.complaint === true) this.tickets.complaints++;
        }
        break;
      case 'network_impact':
        if (d.end === undefined) this.impacts++;
        this.incidents.add(String(d.incidentId));
        break;
      case 'offer':
        if (d.action === 'presented' || d.action === 'accepted' || d.action === 'declined') this.offers[d.action]++;
        break;
    }
  }

  /** Customer-months between each customer's joining (or the first event) and leaving (or the last event). */
  private exposureMonths(): number {
    const first = Date.parse(this.first);
    const last = Date.parse(this.last);
    if (!(last > first)) return 0;
    let ms = 0;
    for (const [c, j] of this.joined) {
      const l = this.left.get(c);
      const from = Math.max(first, Date.parse(j));
      const to = l === undefined ? last : Math.min(last, Date.parse(l));
      if (to > from) ms += to - from;
    }
    return ms / MONTH_MS;
  }

  result(): WorldStats {
    const months = monthsBetween(this.first, this.last);
    const byMonth = months.map((month) => {
      const start = month + '-01T00:00:00';
      const next = nextMonth(month) + '-01T00:00:00';
      let active = 0;
      let terminations = 0;
      for (const [c, j] of this.joined) {
        const l = this.left.get(c);
        // Customers who exist at the first instant of the month (the initial ones join at 00:00) count as there.
        if (Date.parse(j) <= Date.parse(start + 'Z') && (l === undefined || l >= start)) active++;
        if (l !== undefined && l >= start && l < next) terminations++;
      }
      // Data reaching into the month's last day (usage is recorded at 23:59) cover it.
      const partial = Date.parse(this.first) > Date.parse(start + 'Z') || Date.parse(this.last) < Date.parse(next + 'Z') - 86_400_000;
      return { month, activeAtStart: active, terminations, rate: active ? terminations / active : 0, partial };
    });
    const customerMonths = this.exposureMonths();
    const u = this.usage;
    return {
      events: this.events,
      eventsByKind: this.byKind,
      customers: this.joined.size,
      activeAtEnd: this.joined.size - this.left.size,
      terminations: this.left.size,
      firstTime: this.first,
      lastTime: this.last,
      monthlyChurnRate: customerMonths > 0 ? this.left.size / customerMonths : 0,
      monthlyChurnByMonth: byMonth,
      usagePerCustomerDay: { dataMb: u.n ? u.data / u.n : 0, voiceMin: u.n ? u.voice / u.n : 0, sms: u.n ? u.sms / u.n : 0 },
      bills: { count: this.bills.count, meanAmount: this.bills.count ? this.bills.amount / this.bills.count : 0, withOverage: this.bills.overage },
      topups: { count: this.topups.count, meanAmount: this.topups.count ? this.topups.amount / this.topups.count : 0, addons: this.topups.addons },
      payments: this.payments,
      tickets: { ...this.tickets, complaintsPerThousandCustomerMonths: customerMonths ? (1000 * this.tickets.complaints) / customerMonths : 0 },
      incidents: { distinct: this.incidents.size, impactsOnCustomers: this.impacts },
      offers: this.offers,
      contractEnds: this.contractEnds,
    };
  }
}

function nextMonth(month: string): string {
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7));
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

function monthsBetween(first: string, last: string): string[] {
  if (!first) return [];
  const out: string[] = [];
  for (let m = first.slice(0, 7); m <= last.slice(0, 7); m = nextMonth(m)) out.push(m);
  return out;
}
