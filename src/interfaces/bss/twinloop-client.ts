import type { EventSink, RecordOutcome } from '../../domain/event-sink.js';
import type { TwinEvent } from '../../domain/events.js';
import type { Alarm } from '../../domain/connectors/network-alarms.js';
import { TwinloopError } from '../../domain/errors.js';

/** Where a BSS in another process (the sandbox's `sandbox serve`) sends what happens to Twinloop, and with which key. */
export interface TwinloopTarget {
  readonly url: string;
  /** The key to present, read again after every 401 (the first start of Twinloop writes the admin key a moment later). */
  readonly key: () => string | undefined;
}

/** Longest one call to Twinloop may take before it counts as not answering (a batch of 5,000 events included). */
const CALL_TIMEOUT_MS = 60_000;

/** One call to Twinloop; what keeps it from answering (not running yet, no key yet, overloaded) is OVERLOADED, which callers wait out. */
async function callTwinloop(t: TwinloopTarget, method: 'GET' | 'POST' | 'PATCH', path: string, body?: string, contentType = 'application/json'): Promise<Response> {
  const key = t.key();
  if (!key) throw new TwinloopError('OVERLOADED', 'no Twinloop key yet: pass --twinloop-key or TWINLOOP_API_KEY, or share the data dir whose admin.key Twinloop writes on its first start');
  let res: Response;
  try {
    res = await fetch(new URL(path, t.url), { method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': contentType }) }, body, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
  } catch (err) {
    throw new TwinloopError('OVERLOADED', `Twinloop at ${t.url} does not answer (${(err as Error).message}); waiting for it`);
  }
  if (res.status === 401 || res.status === 503 || res.status === 429) throw new TwinloopError('OVERLOADED', `Twinloop answered ${res.status} to ${method} ${path}; waiting`);
  return res;
}

/**
 * The ordinary intake of a Twinloop in another process as an event sink: each batch is POSTed as
 * NDJSON to `/events` and answered record by record. While Twinloop cannot take it (not up yet,
 * no key yet, 503) the call fails OVERLOADED, which the sandbox's delivery waits out and retries.
 */
export function twinloopEventSink(t: TwinloopTarget): EventSink {
  return {
    async submit(events: readonly TwinEvent[]): Promise<RecordOutcome[]> {
      const res = await callTwinloop(t, 'POST', '/events', events.map((e) => JSON.stringify(e)).join('\n'), 'application/x-ndjson');
      const answer = (await res.json().catch(() => undefined)) as { results?: { status: RecordOutcome['status']; id?: string; reason?: string }[]; error?: { message?: string } } | undefined;
      if (!res.ok || !answer?.results) throw new TwinloopError('UNAVAILABLE', `Twinloop refused a batch of ${events.length} events: ${res.status} ${answer?.error?.message ?? ''}`, { context: { retryable: false } });
      return answer.results.map((r) => (r.status === 'rejected' ? { status: 'rejected', id: r.id, reason: r.reason ?? 'rejected' } : { status: r.status, id: r.id ?? '' }));
    },
  };
}

const ALARMS = '/tmf-api/alarmManagement/v4/alarm';

/**
 * Sends a network system's alarms to Twinloop's TMF642 Alarm Management as they are raised and
 * cleared, the way a real network management system would: a raise is POSTed (known by
 * `sourceSystemId` + `externalAlarmId`; a 409 means Twinloop has it already), a clear PATCHes it.
 * Calls go one at a time, in order; one that Twinloop cannot take now is retried.
 */
export function alarmSender(t: TwinloopTarget, o: { sourceSystemId: string; onError: (err: Error, alarm: Alarm) => void }): (alarm: Alarm) => void {
  const ids = new Map<string, string>();
  let chain: Promise<unknown> = Promise.resolve();
  const idOf = async (externalAlarmId: string): Promise<string | undefined> => {
    const known = ids.get(externalAlarmId);
    if (known) return known;
    const q = new URLSearchParams({ sourceSystemId: o.sourceSystemId, externalAlarmId, fields: 'id' });
    const res = await callTwinloop(t, 'GET', `${ALARMS}?${q}`);
    const found = ((await res.json().catch(() => [])) as { id?: unknown }[])[0]?.id;
    return found === undefined ? undefined : String(found);
  };
  const send = async (a: Alarm) => {
    if (a.state === 'cleared') {
      const id = await idOf(a.id);
      if (id === undefined) return;
      const res = await callTwinloop(t, 'PATCH', `${ALARMS}/${id}`, JSON.stringify({ state: 'cleared', alarmClearedTime: a.clearedTime }), 'application/merge-patch+json');
      // 409: cleared already (a clear sent twice).
      if (!res.ok && res.status !== 409) throw new Error(`PATCH ${ALARMS}/${id} answered ${res.status}: ${await res.text()}`);
      return;
    }
    const body = {
      sourceSystemId: o.sourceSystemId,
      externalAlarmId: a.id,
      state: 'raised',
      alarmType: a.alarmType,
      perceivedSeverity: a.perceivedSeverity,
      probableCause: a.probableCause,
      alarmedObjectType: a.alarmedObject['@referredType'],
      alarmedObject: { id: a.alarmedObject.id },
      alarmRaisedTime: a.raisedTime,
    };
    const res = await callTwinloop(t, 'POST', ALARMS, JSON.stringify(body));
    if (res.status === 201) ids.set(a.id, String(((await res.json()) as { id: unknown }).id));
    else if (res.status !== 409) throw new Error(`POST ${ALARMS} answered ${res.status}: ${await res.text()}`);
  };
  const withRetry = async (a: Alarm) => {
    for (let wait = 200; ; wait = Math.min(5_000, wait * 2)) {
      try {
        return await send(a);
      } catch (err) {
        if (!(err instanceof TwinloopError && err.code === 'OVERLOADED')) throw err;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  };
  return (alarm) => {
    chain = chain.then(() => withRetry(alarm)).catch((err: Error) => o.onError(err, alarm));
  };
}
