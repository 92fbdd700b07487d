import { AGENDA, type AgendaItem } from './agenda.js';
import { STATUS_ACTIVE } from './population.js';
import { isoAt } from './sim-time.js';
import { DAY_MS } from '../domain/time.js';
import type { Incident, WorldState } from './world-state.js';

/**
 * The customers' experience of the network as the network's own session records show it: a call
 * that dropped, a data session that crawled, each a usage record of the cell that served it at
 * the moment it happened (volumes stay in the day's usage record). There are a few every day
 * everywhere (radio is never perfect); an incident adds many on its cell from its first minute,
 * before its alarm when it builds up under the thresholds first. All draws come from the
 * experience stream, so they shift no other draw of the world.
 */

/** How much an incident's severity multiplies its bad sessions (as it does its harm). */
const SEVERITY_WEIGHT = { low: 0.25, medium: 0.5, high: 1, critical: 2 } as const;
/** Share of an impact's bad sessions that are dropped calls (the rest are slow data). */
const DROPPED_SHARE = { outage: 1, degradation: 0.5, congestion: 0.2 } as const;
/** Share of everyday bad sessions that are dropped calls. */
const EVERYDAY_DROPPED_SHARE = 0.5;
/** Agenda `y` of a dropped call; a slow session's `y` is its throughput in kbit/s. */
const DROPPED = -1;

/** The cell customer `c` is on at a random moment: home, or one of their visited cells with the visit chance each. */
function cellAt(w: WorldState, c: number): number {
  const { pop, cfg } = w;
  const k = pop.visitedPerCustomer;
  const p = cfg.network.visitProbability;
  const u = w.experienceRng.float();
  return k > 0 && u < Math.min(1, k * p) ? pop.visited[c * k + Math.min(k - 1, Math.floor(u / p))] : pop.i.homeCell[c];
}

/** Today's everyday bad sessions: Poisson over the active customers, each at a random second. */
export function drawEverydayExperience(w: WorldState, d: number): void {
  const { pop, cfg } = w;
  const x = cfg.network.experience;
  const rng = w.experienceRng;
  const n = rng.poisson(pop.activeCount() * x.baselinePerCustomerDay);
  for (let k = 0; k < n; k++) {
    const c = rng.int(pop.size);
    if (pop.u.status[c] !== STATUS_ACTIVE) continue;
    const cell = cellAt(w, c);
    const y = rng.chance(EVERYDAY_DROPPED_SHARE) ? DROPPED : Math.max(1, Math.round(1000 * rng.lognormal(x.throughputMbps.everyday.median, x.throughputMbps.everyday.sigma)));
    w.agenda.add(d, rng.int(86400), AGENDA.EXPERIENCE_RECORD, c, cell, y);
  }
}

/** An incident's bad sessions for each customer it touched (on the cell it touched them on), spread over its first `maxHours`. */
export function drawIncidentExperience(w: WorldState, inc: Incident, touched: readonly number[], cellOf: readonly number[]): void {
  const x = w.cfg.network.experience;
  const rng = w.experienceRng;
  const spanMs = Math.min(inc.endMs - inc.startMs, x.maxHours * 3_600_000);
  const mean = x.perTouchedHour[inc.impact] * SEVERITY_WEIGHT[inc.severity] * (spanMs / 3_600_000);
  const dropped = DROPPED_SHARE[inc.impact];
  touched.forEach((c, i) => {
    const n = rng.poisson(mean);
    for (let k = 0; k < n; k++) {
      const ms = inc.startMs + Math.floor(rng.float() * spanMs);
      const y = rng.chance(dropped) ? DROPPED : Math.max(1, Math.round(1000 * rng.lognormal(x.throughputMbps.degraded.median, x.throughputMbps.degraded.sigma)));
      const day = Math.floor((ms - w.startMs) / DAY_MS);
      w.agenda.add(day, Math.floor((ms - w.startMs - day * DAY_MS) / 1000), AGENDA.EXPERIENCE_RECORD, c, cellOf[i], y);
    }
  });
}

/** The usage record of one bad session (agenda item: c = customer, x = cell, y = dropped or kbit/s). */
export function emitExperienceRecord(w: WorldState, item: AgendaItem): void {
  const c = item.c;
  const quality = item.y === DROPPED ? { droppedCalls: 1 } : { throughputMbps: item.y / 1000 };
  w.out.event(
    w.ev(c, isoAt(w.datePrefix, item.at), 'usage', {
      subscriptionId: w.pop.subscriptionIds[c],
      dataMb: 0,
      voiceMin: 0,
      sms: 0,
      roaming: false,
      cellId: w.cellNames[item.x],
      siteId: w.siteNames[item.x],
      ...quality,
    }),
  );
}
