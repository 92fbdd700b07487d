import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../domain/clock.js';
import type { EventSink, RecordOutcome } from '../domain/event-sink.js';
import { validateEvent } from '../domain/event-validation.js';
import type { TwinEvent } from '../domain/events.js';
import { TwinloopError } from '../domain/errors.js';
import { ArrayOutput, NdjsonOutput } from './event-output.js';
import { createSandboxWorld } from './sandbox-world.js';
import { createOracle } from './oracle/index.js';
import { loadWorldDocument, namedWorld } from './world-catalog.js';

const dir = mkdtempSync(join(tmpdir(), 'sandbox-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tiny = loadWorldDocument({ extends: 'small', population: { customers: 300 }, network: { cells: 10 } });
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('generation', () => {
  it('gives byte-identical files for the same config and seed, different ones for another seed', async () => {
    const gen = async (seed: number, name: string) => {
      const path = join(dir, name);
      await createSandboxWorld(tiny, seed).backfillToFile(path, { months: 3 });
      return sha(path);
    };
    const a = await gen(11, 'a.ndjson');
    expect(await gen(11, 'b.ndjson')).toBe(a);
    expect(await gen(12, 'c.ndjson')).not.toBe(a);
  });

  it('produces only valid events, customer first, in time order, with unique ids and the same text as JSON.stringify', () => {
    const out = new ArrayOutput();
    createSandboxWorld(tiny, 5).generate(out, { months: 2 });
    const events = out.events;
    expect(events.length).toBeGreaterThan(10_000);
    const seenCustomer = new Set<string>();
    const ids = new Set<string>();
    let last = 0;
    for (const e of events) {
      const v = validateEvent(e);
      if (!v.ok) throw new Error(`${e.id}: ${v.reason}`);
      expect(e.source).toBe('sandbox');
      if (e.kind === 'customer') seenCustomer.add(e.customerId);
      else expect(seenCustomer.has(e.customerId)).toBe(true);
      expect(ids.has(e.id)).toBe(false);
      ids.add(e.id);
      const t = Date.parse(e.time);
      expect(t).toBeGreaterThanOrEqual(last);
      last = t;
    }
    // Usage records name the cell that carried them and its site, as CDRs do: home most days.
    const perCustomer = new Map<string, Map<string, number>>();
    for (const e of events) {
      if (e.kind !== 'usage') continue;
      const { cellId, siteId } = e.data;
      expect(siteId).toBe(`site-${Math.floor(Number(cellId!.slice(5)) / tiny.network.cellsPerSite)}`);
      const m = perCustomer.get(e.customerId) ?? new Map<string, number>();
      perCustomer.set(e.customerId, m.set(cellId!, (m.get(cellId!) ?? 0) + 1));
    }
    const homeShares = [...perCustomer.values()].map((m) => Math.max(...m.values()) / [...m.values()].reduce((x, y) => x + y, 0));
    const meanHome = homeShares.reduce((x, y) => x + y, 0) / homeShares.length;
    expect(meanHome).toBeGreaterThan(1 - tiny.network.visitedCellsPerCustomer * tiny.network.visitProbability - 0.05);
    expect(meanHome).toBeLessThan(0.95);
    let text = '';
    const nd = new NdjsonOutput((chunk) => (text += chunk.toString('utf8')));
    createSandboxWorld(tiny, 5).generate(nd, { months: 2 });
    nd.flush();
    expect(text).toBe(events.map((e) => JSON.stringify(e) + '\n').join(''));
  });

  it('hands events to a sink in batches, waiting and retrying when the intake is overloaded', async () => {
    let calls = 0;
    const got: TwinEvent[] = [];
    const sink: EventSink = {
      async submit(batch): Promise<RecordOutcome[]> {
        calls++;
        if (calls % 3 === 1) throw new TwinloopError('OVERLOADED', 'queue full; retry later');
        got.push(...batch);
        return batch.map((e) => ({ status: 'accepted', id: e.id }));
      },
    };
    const r = await createSandboxWorld(tiny, 5).backfill({ months: 1, sink, batchSize: 2000 });
    expect(r.retries).toBeGreaterThan(0);
    expect(r.accepted).toBe(r.events);
    expect(got.length).toBe(r.events);
    const out = new ArrayOutput();
    createSandboxWorld(tiny, 5).generate(out, { months: 1 });
    expect(got.map((e) => e.id)).toEqual(out.events.map((e) => e.id));
  });

  it('runs live: simulated time advances with real time × speed and stops on request', async () => {
    const real = new ManualClock(0);
    const got: TwinEvent[] = [];
    const sink: EventSink = { submit: async (b) => (got.push(...b), b.map((e) => ({ status: 'accepted' as const, id: e.id }))) };
    const world = createSandboxWorld(tiny, 9, { latencyScale: 0 });
    const run = world.startLive({ speed: 3600, sink, realClock: real, manual: true });
    real.advance(12 * 1000); // 12 s real = 12 h simulated: the first morning only
    await run.tick();
    expect(got.length).toBeGreaterThan(0);
    expect(got.every((e) => Date.parse(e.time) <= world.clock.now())).toBe(true);
    expect(got.some((e) => e.kind === 'usage')).toBe(false);
    real.advance(24 * 1000);
    await run.tick();
    expect(got.some((e) => e.kind === 'usage')).toBe(true);
    const tally = await run.stop();
    expect(tally.accepted).toBe(got.length);
    expect(run.running).toBe(false);
  });

  it('runs slower rather than leaping when a tick comes late: a 30 s stall moves the world one step, the hours it missed come one by one', async () => {
    const real = new ManualClock(0);
    const sink: EventSink = { submit: async (b) => b.map((e) => ({ status: 'accepted' as const, id: e.id })) };
    const world = createSandboxWorld(tiny, 9, { latencyScale: 0 });
    const start = world.clock.now();
    const run = world.startLive({ speed: 3600, sink, realClock: real, manual: true, maxStepMs: 1000 });
    real.advance(250);
    await run.tick();
    expect(world.clock.now() - start).toBe(15 * 60_000); // on time: a quarter of an hour a quarter of a second
    real.advance(30_000); // the server held its event loop for 30 s
    await run.tick();
    expect(world.clock.now() - start).toBe(15 * 60_000 + 3_600_000); // one hour, not thirty
    expect(run.heldBackMs).toBe(29_000);
    real.advance(250);
    await run.tick();
    expect(world.clock.now() - start).toBe(30 * 60_000 + 3_600_000);
    await run.stop();
    expect(() => world.startLive({ speed: 3600, sink, realClock: real, manual: true, maxStepMs: 0 })).toThrow(/maxStepMs must be > 0/);
  });

  it('says how long in real time until its clock reaches a time: at its speed while live, never while it stands still', async () => {
    const real = new ManualClock(0);
    const sink: EventSink = { submit: async (b) => b.map((e) => ({ status: 'accepted' as const, id: e.id })) };
    const world = createSandboxWorld(tiny, 9, { latencyScale: 0 });
    const start = world.clock.now();
    expect(world.clock.realMsUntil!(start + 3_600_000)).toBe(Infinity); // not live: it moves only when generated
    expect(world.clock.realMsUntil!(start)).toBe(0);
    const run = world.startLive({ speed: 3600, sink, realClock: real, manual: true });
    expect(world.clock.realMsUntil!(start + 3_600_000)).toBe(1_000); // an hour of the world is a second
    real.advance(250);
    expect(world.clock.realMsUntil!(start + 3_600_000)).toBe(750); // counted from its last tick
    await run.tick();
    expect(world.clock.realMsUntil!(start + 3_600_000)).toBe(750);
    await run.stop();
    expect(world.clock.realMsUntil!(start + 3_600_000)).toBe(Infinity);
  });

  it('hurts customers before the alarm (or with none): touched customers call in while it lasts, the alarm comes after', () => {
    const cfg = loadWorldDocument({ extends: 'small', population: { customers: 600 }, network: { cells: 10, incidents: { perCellPerMonth: 3, durationHours: { median: 4, sigma: 0.5 } } } });
    const world = createSandboxWorld(cfg, 7);
    const out = new ArrayOutput();
    world.generate(out, { months: 2 });
    const incidents = createOracle(world).incidents();
    const degrading = incidents.filter((i) => i.impact !== 'outage');
    // Outages alarm at once; most degradations after their precursor; some never.
    for (const i of incidents.filter((x) => x.impact === 'outage')) expect(i.alarmMs).toBe(i.startMs);
    const late = degrading.filter((i) => i.alarmMs !== null && i.alarmMs > i.startMs);
    expect(late.length).toBeGreaterThan(degrading.length / 3);
    for (const i of late) expect(i.alarmMs!).toBeLessThan(i.endMs);
    expect(degrading.some((i) => i.alarmMs === null)).toBe(true);
    // The operator's network_impact records come with the alarm (never for a silent incident), and say when it began.
    const impacts = out.events.filter((e) => e.kind === 'network_impact' && e.data.end === undefined);
    const byId = new Map(incidents.map((i) => [i.alarmId.slice(4), i]));
    for (const e of impacts) {
      if (e.kind !== 'network_impact') continue;
      const i = byId.get(e.data.incidentId.slice(4))!;
      expect(Date.parse(e.time)).toBe(i.alarmMs);
      expect(Date.parse(e.data.start)).toBe(i.startMs);
    }
    // Care calls: some touched customers call while the incident lasts, many before its alarm.
    let calls = 0;
    let beforeAlarm = 0;
    for (const i of incidents) {
      const touched = new Set(i.touched);
      for (const e of out.events) {
        const t = Date.parse(e.time);
        if (e.kind !== 'interaction' || e.data.intent !== 'technical_support' || !touched.has(e.customerId) || t < i.startMs || t >= i.endMs) continue;
        calls++;
        if (i.alarmMs === null || t < i.alarmMs) beforeAlarm++;
      }
    }
    expect(calls).toBeGreaterThan(10);
    expect(beforeAlarm).toBeGreaterThan(0);
  });

  it("takes a whole site down in an outage (as its alarm says), one cell in a degradation", () => {
    const cfg = loadWorldDocument({ extends: 'small', population: { customers: 600 }, network: { cells: 12, cellsPerSite: 3, incidents: { perCellPerMonth: 2 } } });
    const world = createSandboxWorld(cfg, 5);
    const out = new ArrayOutput();
    world.generate(out, { months: 2 });
    // Each customer's home: the cell most of their usage records come from.
    const counts = new Map<string, Map<string, number>>();
    for (const e of out.events) {
      if (e.kind !== 'usage' || !e.data.cellId) continue;
      const m = counts.get(e.customerId) ?? new Map<string, number>();
      counts.set(e.customerId, m.set(e.data.cellId, (m.get(e.data.cellId) ?? 0) + 1));
    }
    const homeOf = new Map([...counts].map(([c, m]) => [c, [...m].sort((a, b) => b[1] - a[1])[0][0]]));
    const homes = new Map<string, string[]>();
    for (const [c, cell] of homeOf) homes.set(cell, [...(homes.get(cell) ?? []), c]);
    const incidents = createOracle(world).incidents();
    const outages = incidents.filter((i) => i.impact === 'outage' && i.touched.length > 0);
    const others = incidents.filter((i) => i.impact !== 'outage' && i.touched.length > 0);
    expect(outages.length).toBeGreaterThan(0);
    expect(others.length).toBeGreaterThan(0);
    // The share of each cell's home customers an incident touched (those who left since are not).
    const share = (i: (typeof incidents)[number], cell: string) => {
      const touched = new Set(i.touched);
      const home = homes.get(cell) ?? [];
      return home.filter((c) => touched.has(c)).length / home.length;
    };
    const site = (i: (typeof incidents)[number]) => [0, 1, 2].map((k) => `cell-${Math.floor(Number(i.cellId.slice(5)) / 3) * 3 + k}`);
    for (const i of outages) for (const cell of site(i)) expect(share(i, cell)).toBeGreaterThan(0.8);
    for (const i of others) for (const cell of site(i)) expect(share(i, cell)).toSatisfy((x: number) => (cell === i.cellId ? x > 0.8 : x < 0.5));
  });

  it("records bad sessions where they happen: a few everywhere, many on an incident's cell from its start, before a late alarm", () => {
    const cfg = loadWorldDocument({ extends: 'small', population: { customers: 600 }, network: { cells: 12, incidents: { perCellPerMonth: 1, impacts: { outage: 0, degradation: 1, congestion: 0 } } } });
    const world = createSandboxWorld(cfg, 9);
    const out = new ArrayOutput();
    world.generate(out, { months: 2 });
    const bad = out.events.flatMap((e) => (e.kind === 'usage' && (e.data.droppedCalls !== undefined || e.data.throughputMbps !== undefined) ? [e] : []));
    for (const e of bad) expect(e.data).toMatchObject({ dataMb: 0, voiceMin: 0, cellId: expect.stringMatching(/^cell-/) });
    const incidents = createOracle(world).incidents().filter((i) => i.touched.length > 0 && i.severity !== 'low');
    const during = (i: (typeof incidents)[number]) => bad.filter((e) => e.data.cellId === i.cellId && Date.parse(e.time) >= i.startMs && Date.parse(e.time) < i.endMs);
    const everyday = bad.filter((e) => !incidents.some((i) => e.data.cellId === i.cellId && Date.parse(e.time) >= i.startMs && Date.parse(e.time) < i.endMs + 86_400_000));
    // Everyday: about one per customer every 100 days (600 customers, 61 days: ~370), spread over the cells.
    expect(everyday.length).toBeGreaterThan(200);
    expect(new Set(everyday.map((e) => e.data.cellId)).size).toBe(12);
    // An incident's cell gets its touched customers' bad sessions, slow ones far under the everyday throughput.
    const late = incidents.filter((i) => i.alarmMs !== null && i.alarmMs > i.startMs);
    expect(late.length).toBeGreaterThan(0);
    for (const i of incidents) expect(during(i).length).toBeGreaterThanOrEqual(3);
    const beforeAlarm = late.filter((i) => during(i).filter((e) => Date.parse(e.time) < i.alarmMs!).length >= 3).length;
    expect(beforeAlarm).toBeGreaterThan(late.length / 2);
    const slow = incidents.flatMap(during).flatMap((e) => (e.data.throughputMbps === undefined ? [] : [e.data.throughputMbps]));
    expect(slow.filter((x) => x < 1).length).toBeGreaterThan(slow.length * 0.8);
  });

  it('raises and clears alarms live when they happen, not when their day is generated', async () => {
    const real = new ManualClock(0);
    const sink: EventSink = { submit: async (b) => b.map((e) => ({ status: 'accepted' as const, id: e.id })) };
    const cfg = loadWorldDocument({ extends: 'small', population: { customers: 300 }, network: { cells: 10, incidents: { perCellPerMonth: 6 } } });
    const world = createSandboxWorld(cfg, 3, { latencyScale: 0 });
    const seen: { id: string; state: string; at: number; raised: number; cleared?: number; tick: number }[] = [];
    let tick = 0;
    world.backends.networkAlarms.subscribe((a) => seen.push({ id: a.id, state: a.state, at: world.clock.now(), raised: Date.parse(a.raisedTime), cleared: a.clearedTime ? Date.parse(a.clearedTime) : undefined, tick }));
    const run = world.startLive({ speed: 3600, sink, realClock: real, manual: true });
    // Ticks of 15 simulated minutes over 4 days.
    for (tick = 0; tick < 4 * 96; tick++) {
      real.advance(250);
      await run.tick();
    }
    await run.stop();
    const raised = seen.filter((x) => x.state === 'raised');
    const cleared = seen.filter((x) => x.state === 'cleared');
    expect(raised.length).toBeGreaterThan(5);
    expect(cleared.length).toBeGreaterThan(3);
    // Told at their very moment (the clock set to it), as raised; a clear at the end, never sooner.
    for (const r of raised) expect(r.at).toBe(r.raised);
    for (const c of cleared) expect(c.at).toBe(c.cleared);
    // An alarm lasting longer than a tick is raised and cleared in different ticks.
    for (const c of cleared) {
      const r = raised.find((x) => x.id === c.id)!;
      if (c.cleared! - r.raised > 15 * 60_000) expect(c.tick).toBeGreaterThan(r.tick);
    }
    // The feed lists only alarms raised by now, cleared only once their end passed.
    const listed = await world.backends.networkAlarms.list({ idempotencyKey: 'l' });
    const now = world.clock.now();
    if (listed.status !== 'ok') throw new Error(listed.reason);
    for (const a of listed.value) {
      expect(Date.parse(a.raisedTime)).toBeLessThanOrEqual(now);
      if (a.state === 'cleared') expect(Date.parse(a.clearedTime!)).toBeLessThanOrEqual(now);
    }
    expect(listed.value.length).toBeGreaterThan(0);
  });

  it('a world restored live tells the alarms of its last day as its clock passes them, not while it is rebuilt', async () => {
    // After a restart the world is rebuilt up to where it ran, and its clock set back to that point
    // inside its last day. The day's later alarms were told while it was generated: the server's
    // TMF642 inbox refused them ("alarmRaisedTime … is in the future") and they were never sent again.
    const sink: EventSink = { submit: async (b) => b.map((e) => ({ status: 'accepted' as const, id: e.id })) };
    const cfg = loadWorldDocument({ extends: 'small', population: { customers: 300 }, network: { cells: 10, incidents: { perCellPerMonth: 6 } } });
    const told = (world: ReturnType<typeof createSandboxWorld>) => {
      const seen: { id: string; state: string; at: number }[] = [];
      world.backends.networkAlarms.subscribe((a) => seen.push({ id: a.id, state: a.state, at: world.clock.now() }));
      return seen;
    };
    // A simulated day live, in ticks of 15 simulated minutes.
    const liveDay = async (world: ReturnType<typeof createSandboxWorld>) => {
      const real = new ManualClock(0);
      const run = world.startLive({ speed: 3600, sink, realClock: real, manual: true });
      for (let t = 0; t < 96; t++) {
        real.advance(250);
        await run.tick();
      }
      await run.stop();
    };
    // The world as it ran: three days of history, then live through the fourth.
    const ran = createSandboxWorld(cfg, 3, { latencyScale: 0 });
    await ran.backfill({ days: 3, sink });
    const dayStart = ran.clock.now();
    const ranSeen = told(ran);
    await liveDay(ran);
    expect(ranSeen.filter((a) => a.state === 'raised').length, 'the fourth day raises alarms').toBeGreaterThan(2);

    // Rebuilt after a restart that stood at the start of the fourth day (its last generated day).
    const restored = createSandboxWorld(cfg, 3, { latencyScale: 0 });
    const seen = told(restored);
    const r = await restored.restore({ days: 4, keepFrom: 3, live: true });
    expect(r.day).toBe(4);
    expect(restored.clock.now()).toBe(dayStart);
    for (const a of seen) expect(a.at, `alarm ${a.id} ${a.state} told during the restore, ahead of the clock`).toBeLessThanOrEqual(dayStart);
    await liveDay(restored);
    // Every alarm of the day is told once the clock passes it, at its moment, as in the world that never stopped.
    expect(seen.filter((a) => a.at > dayStart)).toEqual(ranSeen.filter((a) => a.at > dayStart));
  });

  it('keeps the default world near 20,000 customers', () => {
    expect(namedWorld('default').population.customers).toBe(20_000);
  });
});

describe('named variants', () => {
  it.each(['price-war', 'fragile-network'])('%s generates valid events and shows its distinctive behaviour', (name) => {
    const cfg = loadWorldDocument({ extends: name, population: { customers: 400 }, network: { cells: 12 } });
    const out = new ArrayOutput();
    createSandboxWorld(cfg, 4).generate(out, { months: 3 });
    for (const e of out.events) {
      const v = validateEvent(e);
      if (!v.ok) throw new Error(`${e.id}: ${v.reason}`);
    }
    if (name === 'price-war') {
      expect(out.events.some((e) => e.kind === 'subscription' && e.data.action === 'plan_changed' && e.data.reason === 'price_change')).toBe(true);
    } else {
      expect(out.events.filter((e) => e.kind === 'network_impact').length).toBeGreaterThan(100);
    }
  });
});

describe('network improvements', () => {
  /** Incidents customers felt, starting at or after `fromMs` (the `network_impact` events name them). */
  const incidentsFrom = (events: readonly TwinEvent[], fromMs: number) =>
    new Set(events.filter((e) => e.kind === 'network_impact' && Date.parse(e.data.start) >= fromMs).map((e) => (e.kind === 'network_impact' ? e.data.incidentId : ''))).size;

  it('leave the world as it was before their day and prevent incidents on their cells after it', () => {
    const cells = Array.from({ length: tiny.network.cells }, (_, k) => `cell-${k}`);
    const run = (config: typeof tiny) => {
      const out = new ArrayOutput();
      createSandboxWorld(config, 9).generate(out, { months: 4 });
      return out.events;
    };
    const busy = { extends: 'small', population: { customers: 300 }, network: { cells: 10, incidents: { perCellPerMonth: 2 } } };
    const plain = run(loadWorldDocument(busy));
    const improved = run(loadWorldDocument({ ...busy, networkImprovements: [{ day: 60, cells, incidentReductionPct: 100 }] }));
    const day60 = Date.parse(plain[0].time.slice(0, 10)) + 60 * 86_400_000;
    const before = (events: readonly TwinEvent[]) => events.filter((e) => Date.parse(e.time) < day60).map((e) => JSON.stringify(e));
    expect(before(improved)).toEqual(before(plain));
    expect(incidentsFrom(plain, day60)).toBeGreaterThan(5);
    expect(incidentsFrom(improved, day60)).toBe(0);
  });

  it('with per-customer churn dice, leave the churn of the customers they do not touch nearly as it was', () => {
    // A price rise on one plan from day 60: its customers are treated, everyone else is not. With
    // the world's shared dice every churn after the first difference is redrawn; with per-customer
    // dice only what the treatment changes (and the little it moves elsewhere) differs.
    const churnDays = (dice: 'shared' | 'per-customer', priceChanges: { day: number; planIds: string[]; pct: number }[]) => {
      const out = new ArrayOutput();
      const cfg = loadWorldDocument({ extends: 'small', population: { customers: 1500 }, churn: { ...namedWorld('small').churn, dice }, priceChanges });
      createSandboxWorld(cfg, 5).generate(out, { months: 8 });
      const plan = new Map<string, string>();
      const gone = new Map<string, string>();
      for (const e of out.events) {
        if (e.kind !== 'subscription') continue;
        if (e.data.productKind === 'plan' && e.data.productId && e.data.action !== 'terminated') plan.set(e.customerId, e.data.productId);
        if (e.data.action === 'terminated') gone.set(e.customerId, e.time.slice(0, 10));
      }
      return { plan, gone };
    };
    const differing = (dice: 'shared' | 'per-customer') => {
      const planId = namedWorld('small').plans[0].id;
      const a = churnDays(dice, []);
      const b = churnDays(dice, [{ day: 60, planIds: [planId], pct: 30 }]);
      const untouched = [...a.plan].filter(([, p]) => p !== planId).map(([id]) => id);
      return untouched.filter((id) => a.gone.get(id) !== b.gone.get(id)).length;
    };
    const shared = differing('shared');
    const perCustomer = differing('per-customer');
    expect(shared, 'customers untouched by the price change whose churn differs between the copies, shared dice').toBeGreaterThan(20);
    expect(perCustomer, `the same with per-customer dice (shared dice: ${shared})`).toBeLessThan(shared / 3);
  });

  it('with per-customer everyday chances too, leave the bills and churn of the customers they do not touch exactly as they were', () => {
    // The same price rise; per-customer churn dice in both. With the world's one stream for usage,
    // contacts and bills, one churner more on the plan redraws every later customer's usage (the
    // copies' bills part); per customer (`customerDice` from day 30) nobody off the plan sees a difference.
    const run = (perCustomer: boolean, priceChanges: { day: number; planIds: string[]; pct: number }[]) => {
      const out = new ArrayOutput();
      const cfg = loadWorldDocument({ extends: 'small', population: { customers: 600 }, churn: { ...namedWorld('small').churn, dice: 'per-customer' }, ...(perCustomer ? { customerDice: { from: 30 } } : {}), priceChanges });
      createSandboxWorld(cfg, 5).generate(out, { months: 5 });
      // Every plan a customer held: one that held the risen plan at any time is touched.
      const plan = new Map<string, string>();
      const life = new Map<string, string[]>();
      for (const e of out.events) {
        if (e.kind === 'subscription' && e.data.productKind === 'plan' && e.data.productId && e.data.action !== 'terminated') plan.set(e.customerId, `${plan.get(e.customerId) ?? ''} ${e.data.productId} `);
        const line = e.kind === 'bill' || e.kind === 'topup' ? `${e.time.slice(0, 10)} ${e.data.amount}` : e.kind === 'subscription' && e.data.action === 'terminated' ? `${e.time.slice(0, 10)} left` : null;
        if (line === null) continue;
        let l = life.get(e.customerId);
        if (!l) life.set(e.customerId, (l = []));
        l.push(line);
      }
      return { plan, life };
    };
    const differing = (perCustomer: boolean) => {
      const planId = namedWorld('small').plans[0].id;
      const a = run(perCustomer, []);
      const b = run(perCustomer, [{ day: 60, planIds: [planId], pct: 30 }]);
      // Untouched: the first 600 (joiners after a day whose active count differs are other people
      // in each copy), never on the risen plan in either copy (a plan change's next plan follows
      // the prices, so the rise moves some customers of its neighbours too).
      const untouched = [...a.plan].filter(([id, p]) => Number(id.slice(1)) <= 600 && !p.includes(` ${planId} `) && !b.plan.get(id)?.includes(` ${planId} `)).map(([id]) => id);
      const onPlan = [...a.plan].filter(([, p]) => p.includes(` ${planId} `)).map(([id]) => id);
      const churnedOnPlan = onPlan.filter((id) => a.life.get(id)?.at(-1)?.endsWith('left') !== b.life.get(id)?.at(-1)?.endsWith('left')).length;
      return { untouched: untouched.length, differ: untouched.filter((id) => a.life.get(id)?.join() !== b.life.get(id)?.join()).length, churnedOnPlan };
    };
    const shared = differing(false);
    const perCustomer = differing(true);
    expect(shared.churnedOnPlan + perCustomer.churnedOnPlan, 'the rise moved some churn on its plan').toBeGreaterThan(0);
    expect(shared.differ, `customers off the plan whose bills or churn differ between the copies, one stream (of ${shared.untouched})`).toBeGreaterThan(50);
    expect(perCustomer.differ, `the same per customer (of ${perCustomer.untouched})`).toBe(0);
  });

  it('with a redraw, keep the history before its day and draw another future after it, the same for the same salt', () => {
    const doc = { extends: 'small', population: { customers: 600 }, network: { cells: 10 }, churn: { ...namedWorld('small').churn, dice: 'per-customer' } };
    const run = (redraw?: { day: number; salt: number }) => {
      const out = new ArrayOutput();
      createSandboxWorld(loadWorldDocument(redraw ? { ...doc, redraw } : doc), 4).generate(out, { months: 5 });
      return out.events;
    };
    const plain = run();
    const a = run({ day: 60, salt: 1 });
    const day60 = Date.parse(plain[0].time.slice(0, 10)) + 60 * 86_400_000;
    const split = (events: readonly TwinEvent[]) => ({
      before: events.filter((e) => Date.parse(e.time) < day60).map((e) => JSON.stringify(e)),
      churnAfter: events.filter((e) => Date.parse(e.time) >= day60 && e.kind === 'subscription' && e.data.action === 'terminated').map((e) => `${e.customerId} ${e.time.slice(0, 10)}`),
    });
    const p = split(plain);
    const r = split(a);
    expect(r.before).toEqual(p.before);
    expect(p.churnAfter.length, 'churns after day 60 without a redraw').toBeGreaterThan(10);
    const same = r.churnAfter.filter((x) => p.churnAfter.includes(x)).length;
    expect(same, `churns after day 60 on the same day in both futures (of ${p.churnAfter.length} and ${r.churnAfter.length})`).toBeLessThan(p.churnAfter.length / 3);
    expect(run({ day: 60, salt: 1 }).map((e) => JSON.stringify(e))).toEqual(a.map((e) => JSON.stringify(e)));
    expect(() => loadWorldDocument({ ...doc, redraw: { day: 60, salt: 0 } })).toThrow(/redraw\.salt/);
  });

  it('name the cells a world has', () => {
    expect(() => loadWorldDocument({ extends: 'small', networkImprovements: [{ day: 1, cells: ['cell-999'], incidentReductionPct: 50 }] })).toThrow(/networkImprovements\.0\.cells\.0/);
  });
});
