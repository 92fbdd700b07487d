import type { Clock } from '../../domain/clock.js';
import type { Alarm } from '../../domain/connectors/network-alarms.js';
import { forwardAlarms, type AlarmInbox } from '../../agents/flows/alarm-inbox.js';
import type { SandboxWorld } from '../../sandbox/index.js';

/** The sandbox's alarms older than this when raised (its backfilled history) are not sent in. */
export const ALARM_MAX_AGE_MS = 3_600_000;
/** The `sourceSystemId` of the alarms the sandbox's network system sends in. */
export const SANDBOX_ALARM_SOURCE = 'sandbox-oss';

/**
 * Sends the in-process sandbox's alarms into the inbox, as its network management system would post
 * them to TMF642. Old news is the history's: while the history loads, an alarm raised over
 * ALARM_MAX_AGE_MS before the operator's clock stays out. Once the world runs live (`live`
 * resolves), every alarm raised since it went live is sent in, however late a loaded machine steps
 * through it: judged by age against the clock, a live tick late by over an hour (one real second
 * at 3,600×) dropped its alarms, and in 50 live days of the default world at load 30 one alarm
 * reached the inbox of 37 incidents above low severity. Returns the function that stops forwarding.
 */
export function forwardSandboxAlarms(world: SandboxWorld, inbox: AlarmInbox, o: { clock: Clock; live: Promise<unknown>; onError: (err: Error, alarm: Alarm) => void }): () => void {
  let liveFromMs: number | undefined;
  void o.live.then(
    () => (liveFromMs = world.clock.now()),
    () => undefined,
  );
  return forwardAlarms(world.backends.networkAlarms, inbox, { sourceSystemId: SANDBOX_ALARM_SOURCE, now: () => liveFromMs ?? o.clock.now(), maxAgeMs: ALARM_MAX_AGE_MS, onError: o.onError });
}
