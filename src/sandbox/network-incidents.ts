import { SEVERITIES } from '../domain/events.js';
import { AGENDA } from './agenda.js';
import { STATUS_ACTIVE } from './population.js';
import { DAY_MS } from '../domain/time.js';
import type { Incident, WorldState } from './world-state.js';

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

/** Draws today's incidents (Poisson over all cells) and schedules their start and clearance. */
export function drawIncidents(w: WorldState, d: number): void {
  const { cfg, rng } = w;
  const net = cfg.network;
  const n = rng.poisson((net.cells * net.incidents.perCellPerMonth) / 30.4375);
  const sevWeights = SEVERITIES.map((s) => net.incidents.severities[s]);
  const impactWeights = IMPACTS.map((k) => net.incidents.impacts[k]);
  for (let k = 0; k < n; k++) {
    const cell = rng.int(net.cells);
    const startSec = rng.int(86400);
    const startMs = w.startMs + d * DAY_MS + startSec * 1000;
    const durationMs = Math.max(60_000, Math.round(rng.lognormal(net.incidents.durationHours.median, net.incidents.durationHours.sigma) * 3600) * 1000);
    const endMs = startMs + durationMs;
    const incident: Incident = {
      id: 'INC-' + ++w.counters.incidents,
      cell,
      cellId: cellId(cell),
      siteId: siteId(cell, net.cellsPerSite),
      impact: IMPACTS[rng.weighted(impactWeights)],
      severity: SEVERITIES[rng.weighted(sevWeights)],
      startMs,
      endMs,
      touched: [],
    };
    const idx = w.incidents.push(incident) - 1;
    w.agenda.add(d, startSec, AGENDA.INCIDENT_START, -1, idx);
    const endDay = Math.floor((endMs - w.startMs) / DAY_MS);
    w.agenda.add(endDay, Math.floor((endMs - w.startMs - endDay * DAY_MS) / 1000), AGENDA.INCIDENT_CLEAR, -1, idx);
  }
}

/** An incident starts: every active customer at home on the cell, and some visitors, feel it. */
export function startIncident(w: WorldState, idx: number, d: number): void {
  const inc = w.incidents[idx];
  const { pop, rng, cfg } = w;
  const touched: number[] = [];
  for (const c of w.homeMembers[inc.cell]) if (pop.u.status[c] === STATUS_ACTIVE) touched.push(c);
  const seen = new Set(touched);
  for (const c of w.visitors[inc.cell]) {
    if (pop.u.status[c] === STATUS_ACTIVE && !seen.has(c) && rng.chance(cfg.network.visitProbability)) {
      touched.push(c);
      seen.add(c);
    }
  }
  inc.touched = touched;
  w.incidentChanged(inc, inc.startMs);
  const start = new Date(inc.startMs).toISOString();
  const weight = SEVERITY_WEIGHT[inc.severity] * IMPACT_WEIGHT[inc.impact];
  const pComplaint = cfg.complaints.networkImpact[inc.severity];
  for (const c of touched) {
    w.out.event(w.ev(c, start, 'network_impact', { incidentId: inc.id, cellId: inc.cellId, siteId: inc.siteId, impact: inc.impact, severity: inc.severity, start }));
    w.bumpScore(pop.f.networkScore, pop.i.networkDay, c, d, weight);
    if (rng.chance(pComplaint)) {
      const sevIdx = Math.min(3, SEVERITIES.indexOf(inc.severity));
      w.agenda.add(d + 1, 28800 + rng.int(43200), AGENDA.TICKET_OPEN, c, sevIdx, 1, '', 'network');
    }
  }
}

/** An incident clears: the touched customers get the same impact again, now with its end. */
export function clearIncident(w: WorldState, idx: number): void {
  const inc = w.incidents[idx];
  w.incidentChanged(inc, inc.endMs);
  const start = new Date(inc.startMs).toISOString();
  const end = new Date(inc.endMs).toISOString();
  for (const c of inc.touched) {
    if (w.pop.u.status[c] !== STATUS_ACTIVE) continue;
    w.out.event(w.ev(c, end, 'network_impact', { incidentId: inc.id, cellId: inc.cellId, siteId: inc.siteId, impact: inc.impact, severity: inc.severity, start, end }));
  }
}
