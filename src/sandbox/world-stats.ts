/**
 * A quick look at a generated world from its events alone: customers, events by kind, monthly
 * churn, usage per customer, complaints, incidents. Reads plain decoded records so it works on
 * any NDJSON file of twin events, not only the sandbox's.
 */

/** The summary `twinloop sandbox stats` prints. */
export interface WorldStats {
  events: number;
  eventsByKind: Record<string, number>;
  customers: number;
  activeAtEnd: number;
  terminations: number;
  firstTime: string;
  lastTime: string;
  /** Terminations in a calendar month over customers active at its start, averaged over full months. */
  monthlyChurnRate: number;
  monthlyChurnByMonth: { month: string; activeAtStart: number; terminations: number; rate: number }[];
  /** Mean daily data (MB) and voice (min) per usage record, i.e. per subscription-day. */
  usagePerCustomerDay: { dataMb: number; voiceMin: number; sms: number };
  bills: { count: number; meanAmount: number; withOverage: number };
  payments: { paid: number; failed: number; late: number };
  tickets: { opened: number; complaints: number; complaintsPerThousandCustomerMonths: number };
  incidents: { distinct: number; impactsOnCustomers: number };
  offers: { presented: number; accepted: number; declined: number };
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
  private tickets = { opened: 0, complaints: 0 };
  private incidents = new Set<string>();
  private impacts = 0;
  private offers = { presented: 0, accepted: 0, declined: 0 };

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
      case 'customer':
        if (!this.joined.has(cust)) this.joined.set(cust, time);
        break;
      case 'usage':
        this.usage.n++;
        this.usage.data += Number(d.dataMb) || 0;
        this.usage.voice += Number(d.voiceMin) || 0;
        this.usage.sms += Number(d.sms) || 0;
        break;
      case 'subscription':
        if (d.action === 'terminated') this.left.set(cust, time);
        break;
      case 'bill':
        this.bills.count++;
        this.bills.amount += Number(d.amount) || 0;
        if (Array.isArray(d.lines) && d.lines.some((l: { type?: unknown }) => l.type === 'overage')) this.bills.overage++;
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

  result(): WorldStats {
    const months = monthsBetween(this.first, this.last);
    const byMonth = months.map((month) => {
      const start = month + '-01T00:00:00';
      const next = nextMonth(month) + '-01T00:00:00';
      let active = 0;
      let terminations = 0;
      for (const [c, j] of this.joined) {
        const l = this.left.get(c);
        if (j < start && (l === undefined || l >= start)) active++;
        if (l !== undefined && l >= start && l < next) terminations++;
      }
      return { month, activeAtStart: active, terminations, rate: active ? terminations / active : 0 };
    });
    // Only months fully inside the data count: the first starts before any customer exists, the last is partial.
    const full = byMonth.filter((m) => m.activeAtStart > 0 && nextMonth(m.month) + '-01' <= this.last.slice(0, 10));
    const customerMonths = full.reduce((s, m) => s + m.activeAtStart, 0);
    const u = this.usage;
    return {
      events: this.events,
      eventsByKind: this.byKind,
      customers: this.joined.size,
      activeAtEnd: this.joined.size - this.left.size,
      terminations: this.left.size,
      firstTime: this.first,
      lastTime: this.last,
      monthlyChurnRate: full.length ? full.reduce((s, m) => s + m.terminations, 0) / Math.max(1, customerMonths) : 0,
      monthlyChurnByMonth: byMonth,
      usagePerCustomerDay: { dataMb: u.n ? u.data / u.n : 0, voiceMin: u.n ? u.voice / u.n : 0, sms: u.n ? u.sms / u.n : 0 },
      bills: { count: this.bills.count, meanAmount: this.bills.count ? this.bills.amount / this.bills.count : 0, withOverage: this.bills.overage },
      payments: this.payments,
      tickets: { ...this.tickets, complaintsPerThousandCustomerMonths: customerMonths ? (1000 * this.tickets.complaints) / customerMonths : 0 },
      incidents: { distinct: this.incidents.size, impactsOnCustomers: this.impacts },
      offers: this.offers,
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
