/** Anomaly detection's figures over one span, as GET /sandbox/assurance answers them. */
export interface AnomalyFigures {
  from: string;
  to: string;
  suspicions: number;
  precision: number;
  incidents: number;
  recall: number;
  recallAll: number;
  medianLeadMinutes: number | null;
  foundBeforeAlarmShare: number | null;
  silentIncidents: number;
  silentFound: number;
  aheadPossible: number;
  foundAheadShare: number | null;
  missedByKind: Record<'alarmed-at-start' | 'found-after-alarm' | 'missed', number>;
}

/** The answer of GET /sandbox/assurance. */
export interface SandboxAssurance {
  asOf: string;
  liveFrom: string;
  history: AnomalyFigures;
  live: AnomalyFigures;
  falseSuspicions: { id: string | null; scope: string; objectId: string; openedTime: string; touchedBy: string | null }[];
  missedIncidents: { alarmId: string; cellId: string; siteId: string; impact: string; severity: string; touched: number; startTime: string; alarmAfterMinutes: number | null; durationMinutes: number; why: string }[];
}

const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)} %`);

function spanLine(name: string, f: AnomalyFigures): string {
  const lead = f.medianLeadMinutes === null ? '-' : `${f.medianLeadMinutes.toFixed(1)} min`;
  return [
    `${name} (${f.from.slice(0, 16)} → ${f.to.slice(0, 16)}): ${f.suspicions} suspected incidents, precision ${f.precision}`,
    `  found ${pct(f.recall)} of ${f.incidents} incidents above low severity (${pct(f.recallAll)} of all), ${f.silentFound} of ${f.silentIncidents} that never alarmed; median lead before the alarm ${lead}; of ${f.aheadPossible} that hurt before any alarm, found first ${pct(f.foundAheadShare)}`,
    `  not found ahead: ${f.missedByKind['alarmed-at-start']} alarmed the moment they began, ${f.missedByKind['found-after-alarm']} found only after the alarm, ${f.missedByKind.missed} never suspected`,
  ].join('\n');
}

/** The human summary of `twinloop sandbox assurance`. */
export function formatSandboxAssurance(a: SandboxAssurance): string {
  return [
    `anomaly detection judged against the sandbox's truth, as of ${a.asOf} (simulated)`,
    spanLine('history', a.history),
    spanLine('live', a.live),
    ...a.falseSuspicions.map((f) => `false suspicion ${f.id ?? '?'} on ${f.scope} ${f.objectId} at ${f.openedTime}: ${f.touchedBy ?? 'none of its customers touched by an incident'}`),
  ].join('\n');
}
