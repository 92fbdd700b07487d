import { SEVERITIES } from '../domain/events.js';
import { AGENDA, type AgendaKind } from './agenda.js';
import { drawIncidentExperience } from './network-experience.js';
import { STATUS_ACTIVE } from './population.js';
import { DAY_MS, DAYS_PER_MONTH } from '../domain/time.js';
import { fnv1a32 } from '../domain/string-hash.js';

/** Mixed into the seed of the prevention draw, so it is independent of every other hash of an incident id. */
const PREVENTION_SALT = 0x4e1f_0c3d;
import { CUSTOMER_DICE, type Incident, type WorldState } from './world-state.js';

const IMPACTS = ['outage', 'degradation', 'congestion'] as const;
/** How much one incident weighs on a customer's network experience score, by severity and impact. */
const SEVERITY_WEIGHT = { low: 0.25, medium: 0.5, high: 1, critical: 2 } as const;
const IMPACT_WEIGHT = { outage: 1, degradation: 0.6, congestion: 0.4 } as const;

/** Cell and site ids as the alarm feed and the events name them. */
export function cellId(cell: number): string {
  return 'cell-' + cell;
}
/** The id the alarm feed gives an incident's alarm (`INC-7` → `ALM-7`). */
export function alarmIdOf(incidentId: string): string {
  return 'ALM-' + incidentId.slice(4);
}
/** The site a cell belongs to (cells are numbered site by site). */
export function siteId(cell: number, cellsPerSite: number): string {
  return 'site-' + Math.floor(cell / cellsPerSite);
}

/** Puts an agenda item at epoch time `ms` (its day and second of the day). */
function scheduleAt(w: WorldState, ms: number, kind: AgendaKind, c: number, x: number, y = 0, str = '', t = ''): void {
  const day = Math.floor((ms - w.startMs) / DAY_MS);
  w.agenda.add(day, Math.floor((ms - w.startMs - day * DAY_MS) / 1000), kind, c, x, y, str, t);
}

/**
 * When the network system raises an incident's alarm, or null if it never does: an outage at
 * once (equipment alarms are immediate); a degradation or congestion stays under every
 * threshold with the world's silent share, else builds up for its precursor time first (for
 * the precursor share of them) and raises no alarm if it ended before. Draws from the network
 * stream only.
 */
function alarmTime(w: WorldState, impact: Incident['impact'], startMs: number, endMs: number): number | null {
  if (impact === 'outage') return startMs;
  const { precursor, silentShare } = w.cfg.network.incidents;
  const rng = w.networkRng;
  if (rng.chance(silentShare)) return null;
  if (!rng.chance(precursor.share)) return startMs;
  const raise = startMs + Math.round(rng.lognormal(precursor.minutes.median, precursor.minutes.sigma) * 60) * 1000;
  return raise < endMs ? raise : null;
}

/** Whether a network improvement in force on `day` prevents this incident (a hash of the world's seed and the incident: no stream is drawn). */
function prevented(w: WorldState, day: number, cell: string, incidentId: string): boolean {
  let pct = 0;
  for (const ni of w.cfg.networkImprovements) if (day >= ni.day && ni.cells.includes(cell)) pct = Math.max(pct, ni.incidentReductionPct);
  if (pct <= 0) return false;
  return fnv1a32(incidentId, w.seed ^ PREVENTION_SALT) / 2 ** 32 < pct / 100;
}

/** Draws today's incidents (Poisson over all cells) and schedules their start, alarm and clearance. */
export function drawIncidents(w: WorldState, d: number): void {
  const { cfg, rng } = w;
  const net = cfg.network;
  const n = rng.poisson((net.cells * net.incidents.perCellPerMonth) / DAYS_PER_MONTH);
  const sevWeights = SEVERITIES.map((s) => net.incidents.severities[s]);
  const impactWeights = IMPACTS.map((k) => net.incidents.impacts[k]);
  for (let k = 0; k < n; k++) {
    const cell = rng.int(net.cells);
    const startSec = rng.int(86400);
    const startMs = w.startMs + d * DAY_MS + startSec * 1000;
    const durationMs = Math.max(60_000, Math.round(rng.lognormal(net.incidents.durationHours.median, net.incidents.durationHours.sigma) * 3600) * 1000);
    const endMs = startMs + durationMs;
    const impact = IMPACTS[rng.weighted(impactWeights)];
    const incident: Incident = {
      id: 'INC-' + ++w.counters.incidents,
      cell,
      cellId: cellId(cell),
      siteId: siteId(cell, net.cellsPerSite),
      impact,
      severity: SEVERITIES[rng.weighted(sevWeights)],
      startMs,
      alarmMs: alarmTime(w, impact, startMs, endMs),
      endMs,
      touched: [],
    };
    // A network improvement on the cell prevents its share of incidents; they are drawn all the
    // same, so the world's streams stay as they were up to the first prevented one.
    if (prevented(w, d, incident.cellId, incident.id)) continue;
    const idx = w.incidents.push(incident) - 1;
    w.agenda.add(d, startSec, AGENDA.INCIDENT_START, -1, idx);
    // An alarm raised at the start is raised by the start itself (it needs the touched customers).
    if (incident.alarmMs !== null && incident.alarmMs > startMs) scheduleAt(w, incident.alarmMs, AGENDA.INCIDENT_ALARM, -1, idx);
    scheduleAt(w, endMs, AGENDA.INCIDENT_CLEAR, -1, idx);
  }
}

/** Intent of the care calls customers make about a network problem they are living through. */
export const NETWORK_CALL_INTENT = 'technical_support';

/** The cells of the site of `cell` (cells are numbered site by site). */
function cellsOfSite(cell: number, cells: number, cellsPerSite: number): number[] {
  const first = Math.floor(cell / cellsPerSite) * cellsPerSite;
  return Array.from({ length: Math.min(cells, first + cellsPerSite) - first }, (_, k) => first + k);
}

/**
 * An incident starts: every active customer at home on the cell (on every cell of the site, for
 * an outage: the site is down, as its alarm says), and some visitors, feel it (their network
 * experience and hazard worsen now); some of them call the care line while it lasts, some
 * complain the next day, and their calls drop and data crawls on that cell from its first minute
 * (src/sandbox/network-experience.ts). The operator hears of it from its alarm, if any (below). The incident's
 * own cell draws from the world's stream; the rest of an outage's site from the network stream.
 */
export function startIncident(w: WorldState, idx: number, d: number): void {
  const inc = w.incidents[idx];
  const { pop, rng, cfg } = w;
  const touched: number[] = [];
  // The cell each touched customer was touched on (their home there, or a visited one).
  const touchedOn: number[] = [];
  const seen = new Set<number>();
  const cells = inc.impact === 'outage' ? [inc.cell, ...cellsOfSite(inc.cell, cfg.network.cells, cfg.network.cellsPerSite).filter((k) => k !== inc.cell)] : [inc.cell];
  let ownCell = 0;
  // Per customer (`customerDice`), a visitor's and a complaint's chances are the customer's own:
  // who else is still active then moves no one's draw.
  const perCustomer = d >= (cfg.customerDice?.from ?? Infinity);
  cells.forEach((cell, i) => {
    const shared = i === 0 ? rng : w.networkRng;
    for (const c of w.homeMembers[cell]) {
      if (pop.u.status[c] === STATUS_ACTIVE && !seen.has(c)) {
        touched.push(c);
        touchedOn.push(cell);
        seen.add(c);
      }
    }
    for (const c of w.visitors[cell]) {
      const r = perCustomer ? w.customerRng(c, CUSTOMER_DICE.incidentVisit ^ idx) : shared;
      if (pop.u.status[c] === STATUS_ACTIVE && !seen.has(c) && r.chance(cfg.network.visitProbability)) {
        touched.push(c);
        touchedOn.push(cell);
        seen.add(c);
      }
    }
    if (i === 0) ownCell = touched.length;
  });
  inc.touched = touched;
  drawIncidentExperience(w, inc, touched, touchedOn);
  if (inc.alarmMs === inc.startMs) raiseIncidentAlarm(w, idx);
  const weight = SEVERITY_WEIGHT[inc.severity] * IMPACT_WEIGHT[inc.impact];
  const pComplaint = cfg.complaints.networkImpact[inc.severity];
  const callIn = cfg.complaints.networkCallIn;
  touched.forEach((c, i) => {
    w.bumpScore(pop.f.networkScore, pop.i.networkDay, c, d, weight);
    const r = perCustomer ? w.customerRng(c, CUSTOMER_DICE.incidentComplaint ^ idx) : i < ownCell ? rng : w.networkRng;
    if (r.chance(pComplaint)) {
      const sevIdx = Math.min(3, SEVERITIES.indexOf(inc.severity));
      w.agenda.add(d + 1, 28800 + r.int(43200), AGENDA.TICKET_OPEN, c, sevIdx, 1, '', 'network');
    }
    if (w.networkRng.chance(callIn[inc.severity])) {
      const callMs = inc.startMs + Math.round(w.networkRng.lognormal(callIn.delayMinutes.median, callIn.delayMinutes.sigma) * 60) * 1000;
      if (callMs < inc.endMs) scheduleAt(w, callMs, AGENDA.INTERACTION, c, 0, 0, NETWORK_CALL_INTENT, 'call');
    }
  });
}

/** The operator's assurance system's record of an incident for each touched customer still active, at `time`. */
function impactRecords(w: WorldState, inc: Incident, time: string, end?: string): void {
  const start = new Date(inc.startMs).toISOString();
  for (const c of inc.touched) {
    if (w.pop.u.status[c] !== STATUS_ACTIVE) continue;
    w.out.event(w.ev(c, time, 'network_impact', { incidentId: inc.id, cellId: inc.cellId, siteId: inc.siteId, impact: inc.impact, severity: inc.severity, start, ...(end ? { end } : {}) }));
  }
}

/**
 * The network system raises the incident's alarm (the feed tells its listeners), and the
 * operator's assurance system correlates it to the touched customers (`network_impact`, with
 * the time the impact began).
 */
export function raiseIncidentAlarm(w: WorldState, idx: number): void {
  const inc = w.incidents[idx];
  if (inc.alarmMs === null) return;
  w.incidentChanged(inc, inc.alarmMs);
  impactRecords(w, inc, new Date(inc.alarmMs).toISOString());
}

/** An incident clears: if its alarm was raised, it clears and the touched customers get the impact again, now with its end. */
export function clearIncident(w: WorldState, idx: number): void {
  const inc = w.incidents[idx];
  if (inc.alarmMs === null) return;
  w.incidentChanged(inc, inc.endMs);
  const end = new Date(inc.endMs).toISOString();
  impactRecords(w, inc, end, end);
}
