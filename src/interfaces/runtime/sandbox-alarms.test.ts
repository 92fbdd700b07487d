import { describe, expect, it } from 'vitest';
import { ManualClock, type Clock } from '../../domain/clock.js';
import type { EventSink } from '../../domain/event-sink.js';
import { createAlarmInbox, type ReceivedAlarm } from '../../agents/flows/alarm-inbox.js';
import { createSandboxWorld, loadWorldDocument } from '../../sandbox/index.js';
import { memoryDocuments } from '../../store/document-store.js';
import { ALARM_MAX_AGE_MS, forwardSandboxAlarms, SANDBOX_ALARM_SOURCE } from './sandbox-alarms.js';

const sink: EventSink = { submit: async (b) => b.map((e) => ({ status: 'accepted' as const, id: e.id })) };
const settle = () => new Promise((r) => setTimeout(r, 20));
const worldConfig = () => loadWorldDocument({ extends: 'small', population: { customers: 300 }, network: { cells: 10, incidents: { perCellPerMonth: 6 } } });
// The operator's clock while the sandbox runs is the later of real and simulated time: the
// simulated one once live (a server's history ends today and live time runs ahead of real time).
// This world is dated in the past so that it is the same world every day: its clock is the world's.
const operatorClock = (world: ReturnType<typeof createSandboxWorld>): Clock => ({ now: () => world.clock.now() });

describe('the sandbox alarms sent into the inbox', () => {
  it('leaves the history\'s old alarms out, and sends every live one however late a loaded machine steps through it', async () => {
    const world = createSandboxWorld(worldConfig(), 3, { latencyScale: 0 });
    const clock = operatorClock(world);
    const inbox = createAlarmInbox({ store: memoryDocuments<ReceivedAlarm>(), clock });
    const errors: string[] = [];
    let goLive!: () => void;
    const live = new Promise<void>((resolve) => (goLive = resolve));
    const raisedByWorld: { id: string; raised: number }[] = [];
    world.backends.networkAlarms.subscribe((a) => a.state === 'raised' && raisedByWorld.push({ id: a.id, raised: Date.parse(a.raisedTime) }));
    const stop = forwardSandboxAlarms(world, inbox, { clock, live, onError: (err, a) => errors.push(`${a.id}: ${err.message}`) });

    // The history: three days, generated at once; its alarms are old news by the time they are forwarded.
    await world.backfill({ days: 3, sink });
    await settle();
    const liveFrom = world.clock.now();
    const history = raisedByWorld.filter((a) => a.raised < liveFrom - ALARM_MAX_AGE_MS);
    expect(history.length, 'the history raised alarms').toBeGreaterThan(2);
    for (const a of history) expect(inbox.bySource(SANDBOX_ALARM_SOURCE, a.id), `history's ${a.id}`).toBeUndefined();

    // Live on a loaded machine: each tick steps three simulated hours (3 real seconds late at 3,600×).
    goLive();
    await live;
    const real = new ManualClock(0);
    const run = world.startLive({ speed: 3600, sink, realClock: real, manual: true });
    for (let t = 0; t < 16; t++) {
      real.advance(3000);
      await run.tick();
      await settle();
    }
    await run.stop();
    await settle();
    stop();
    const liveRaised = raisedByWorld.filter((a) => a.raised >= liveFrom);
    expect(liveRaised.length, 'two live days raise alarms').toBeGreaterThan(2);
    for (const a of liveRaised) expect(inbox.bySource(SANDBOX_ALARM_SOURCE, a.id), `live alarm ${a.id} raised ${new Date(a.raised).toISOString()}`).toBeDefined();
    expect(errors).toEqual([]);
  });

  it('after a restart, sends the open alarms of the day the world is rebuilt into as its clock passes them: none is refused as in the future', async () => {
    // The world rebuilt as a restart rebuilds one that ran live into its fourth day: its clock back at that day's start.
    const world = createSandboxWorld(worldConfig(), 3, { latencyScale: 0 });
    const clock = operatorClock(world);
    const inbox = createAlarmInbox({ store: memoryDocuments<ReceivedAlarm>(), clock });
    const errors: string[] = [];
    const raisedByWorld: { id: string; raised: number }[] = [];
    world.backends.networkAlarms.subscribe((a) => a.state === 'raised' && raisedByWorld.push({ id: a.id, raised: Date.parse(a.raisedTime) }));
    // Forwarding starts before the world is rebuilt, as in the server.
    let goLive!: () => void;
    const live = new Promise<void>((resolve) => (goLive = resolve));
    const stop = forwardSandboxAlarms(world, inbox, { clock, live, onError: (err, a) => errors.push(`${a.id}: ${err.message}`) });
    await world.restore({ days: 4, keepFrom: 3, live: true });
    goLive();
    await live;
    const liveFrom = world.clock.now();
    await settle();
    const real = new ManualClock(0);
    const run = world.startLive({ speed: 3600, sink, realClock: real, manual: true });
    for (let t = 0; t < 16; t++) {
      real.advance(3000);
      await run.tick();
      await settle();
    }
    await run.stop();
    await settle();
    stop();
    expect(errors).toEqual([]);
    const liveRaised = raisedByWorld.filter((a) => a.raised >= liveFrom);
    expect(liveRaised.length, 'two days from the restored clock raise alarms').toBeGreaterThan(2);
    for (const a of liveRaised) expect(inbox.bySource(SANDBOX_ALARM_SOURCE, a.id), `alarm ${a.id}`).toBeDefined();
  });
});
