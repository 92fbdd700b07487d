import { ok } from '../../domain/connectors/connector-result.js';
import type { Alarm, NetworkAlarmsConnector } from '../../domain/connectors/network-alarms.js';
import type { Incident } from '../world-state.js';
import { alarmIdOf } from '../network-incidents.js';
import type { WorldEngine } from '../world-engine.js';
import type { BackendRuntime } from './backend-runtime.js';

const SEVERITY: Record<Incident['severity'], Alarm['perceivedSeverity']> = { low: 'warning', medium: 'minor', high: 'major', critical: 'critical' };
const CAUSE: Record<Incident['impact'], { type: Alarm['alarmType']; cause: string }> = {
  outage: { type: 'equipmentAlarm', cause: 'equipmentMalfunction' },
  degradation: { type: 'qualityOfServiceAlarm', cause: 'performanceDegraded' },
  congestion: { type: 'qualityOfServiceAlarm', cause: 'congestion' },
};

/** The TMF642 view of an incident's alarm as known at `nowMs` (cleared only once its end has passed). */
export function alarmOf(inc: Incident, nowMs: number): Alarm {
  const cleared = inc.endMs <= nowMs;
  const alarm: Alarm = {
    id: alarmIdOf(inc.id),
    alarmType: CAUSE[inc.impact].type,
    perceivedSeverity: cleared ? 'cleared' : SEVERITY[inc.severity],
    probableCause: CAUSE[inc.impact].cause,
    // Outages take the whole site down; degradations and congestion concern one cell.
    alarmedObject: inc.impact === 'outage' ? { id: inc.siteId, '@referredType': 'Site' } : { id: inc.cellId, '@referredType': 'Cell' },
    raisedTime: new Date(inc.alarmMs ?? inc.startMs).toISOString(),
    state: cleared ? 'cleared' : 'raised',
  };
  if (cleared) alarm.clearedTime = new Date(inc.endMs).toISOString();
  return alarm;
}

/** Sandbox alarm feed over the world's incidents, up to the simulated now. */
export function sandboxNetworkAlarms(rt: BackendRuntime, w: WorldEngine): NetworkAlarmsConnector {
  return {
    list: (req) =>
      rt.read(() => {
        const now = w.clock.now();
        const since = req.since === undefined ? -Infinity : Date.parse(req.since);
        const out: Alarm[] = [];
        for (const inc of w.incidents) {
          // Left out: not raised yet, or its last change (the clear, else the raise) before `since`.
          // Left out too: an incident whose alarm was never raised (under every threshold).
          if (inc.alarmMs === null || inc.alarmMs > now || (inc.endMs <= now ? inc.endMs : inc.alarmMs) < since) continue;
          const a = alarmOf(inc, now);
          if (req.state === undefined || a.state === req.state) out.push(a);
        }
        return ok(out);
      }),
    subscribe: (listener) => {
      const l = (inc: Incident) => listener(alarmOf(inc, w.clock.now()));
      w.incidentListeners.add(l);
      return () => w.incidentListeners.delete(l);
    },
  };
}
