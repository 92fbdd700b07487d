import type { ActHold } from '../../domain/connectors/connector-result.js';
import type { BssAddon, BssConnectors, BssPlan } from '../../domain/connectors/bss-connectors.js';
import type { Clock } from '../../domain/clock.js';
import { TwinloopError } from '../../domain/errors.js';
import { createBssClient, type BssClient } from '../bss/bss-client.js';
import { addonsAnswer, BSS_PATHS, clockAnswer, plansAnswer } from '../bss/bss-wire.js';
import { httpConnectors } from '../bss/http-connectors.js';
import type { SandboxWorld } from '../../sandbox/index.js';

/** The BSS the operator acts on: its connectors, the plans it sells, and its clock. */
export interface Bss {
  readonly connectors: BssConnectors;
  readonly plans: readonly BssPlan[];
  /** The add-ons it sells, when it lists them (an order naming another is refused at the edge); absent: its order management judges them. */
  readonly addons?: readonly BssAddon[];
  /** The BSS's own time (the sandbox's simulated time); what the back ends did is dated by it. */
  readonly clock: Clock;
  /** Operator time per real time once the BSS runs live (the sandbox's speed; 1 for a real BSS). */
  readonly liveSpeed: number;
  /**
   * How far `clock` may trail the BSS's own (operator time): 0 in process; over HTTP, what a
   * second between reads and a slow answer are worth at the BSS's speed (a sandbox at 3,600× moves
   * an hour per second). The intake accepts events this much further ahead, or it refuses as
   * "future" the reports of what the BSS just did.
   */
  readonly clockSlackMs: number;
  /**
   * Resolves once the BSS's history is in: a sandbox over HTTP sends it first and then runs live
   * (its clock's speed turns positive); at once for one in process (its operator says) or a real BSS.
   */
  readonly ready: Promise<void>;
  /** Why the BSS takes no act now, if it does not (the sandbox during its first start's pass, decision 0021). */
  readonly actsHeld?: () => ActHold | undefined;
  close(): void;
}

/** The in-process sandbox's back ends as the operator's BSS. */
export function sandboxBss(world: SandboxWorld, liveSpeed: number): Bss {
  return { connectors: world.backends, plans: world.config.plans, addons: world.config.addons, clock: world.clock, liveSpeed, clockSlackMs: 0, ready: Promise.resolve(), actsHeld: () => world.actsHeld(), close() {} };
}

/** How Twinloop reaches a BSS over HTTP (`twinloop start --connectors http --connector-url URL`). */
export interface HttpBssOptions {
  readonly url: string;
  /** Sent as a bearer token (`--connector-token`, or `TWINLOOP_CONNECTOR_TOKEN`). */
  readonly token?: string;
  /** How long the start waits for the BSS to answer; default 120 s (it may be starting beside us). */
  readonly waitMs?: number;
  readonly log: (line: string) => void;
}

/** How often the BSS's clock is read again; between reads it is extrapolated at its speed. */
const CLOCK_REFRESH_MS = 1_000;

/**
 * Connects to a BSS over HTTP (`twinloop sandbox serve`, or a real one speaking the same APIs):
 * waits for it to answer (it may be starting too), reads the plans it sells and its clock, and
 * follows that clock: read every second and extrapolated at the speed it reports in between, so
 * events a sandbox running ahead of real time sends are not refused as future. A BSS without a
 * clock resource runs on the wall clock.
 */
export async function openHttpBss(o: HttpBssOptions): Promise<Bss> {
  const client = createBssClient({ baseUrl: o.url, token: o.token });
  const deadline = Date.now() + (o.waitMs ?? 120_000);
  let lastLog = 0;
  let plans: BssPlan[] | undefined;
  for (;;) {
    const r = await client.call({ method: 'GET', path: BSS_PATHS.plans, answer: plansAnswer });
    if (r.status === 'ok') {
      plans = r.value.map((p) => ({ id: p.id, monthlyPrice: p.monthlyPrice, dataAllowanceMb: p.dataAllowanceMb, voiceAllowanceMin: p.voiceAllowanceMin }));
      break;
    }
    if (r.status === 'rejected') throw new TwinloopError('UNAVAILABLE', `the BSS at ${client.baseUrl} refused GET ${BSS_PATHS.plans} (${r.reason}); check --connector-url and --connector-token`);
    if (Date.now() > deadline) throw new TwinloopError('UNAVAILABLE', `no BSS answers at ${client.baseUrl} (${r.reason}); start it first, e.g. npx twinloop sandbox serve --port ${new URL(client.baseUrl).port || 80}`);
    if (Date.now() - lastLog > 5_000) {
      lastLog = Date.now();
      o.log(`bss: waiting for the BSS at ${client.baseUrl} (${r.reason})…`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  if (plans.length === 0) throw new TwinloopError('UNAVAILABLE', `the BSS at ${client.baseUrl} sells no plans; onboarding and order fulfilment need at least one`);
  // The add-ons, where the BSS lists them (the sandbox's does); one that does not judges add-on orders itself.
  const listed = await client.call({ method: 'GET', path: BSS_PATHS.addons, answer: addonsAnswer });
  const addons = listed.status === 'ok' ? listed.value.map((a) => ({ id: a.id, name: a.name, monthlyPrice: a.monthlyPrice })) : undefined;
  const follow = await followClock(client);
  const connectors = httpConnectors(client);
  o.log(`bss: connected to ${client.baseUrl} (${plans.length} plans; its clock ${new Date(follow.clock.now()).toISOString()})`);
  return {
    connectors,
    plans,
    ...(addons ? { addons } : {}),
    clock: follow.clock,
    liveSpeed: follow.liveSpeed,
    clockSlackMs: 2 * CLOCK_REFRESH_MS * follow.liveSpeed,
    ready: follow.live,
    close() {
      follow.stop();
      connectors.close();
    },
  };
}

/** The BSS's clock, kept current in the background; the wall clock when the BSS has none. */
export async function followClock(client: BssClient): Promise<{ clock: Clock; liveSpeed: number; live: Promise<void>; stop(): void }> {
  // The BSS read its clock somewhere between our asking and its answer: the middle is the best guess
  // (dating the reading at the answer made the followed clock trail by the round trip × speed).
  const sentAt = Date.now();
  const first = await client.call({ method: 'GET', path: BSS_PATHS.clock, answer: clockAnswer });
  if (first.status !== 'ok') return { clock: { now: () => Date.now() }, liveSpeed: 1, live: Promise.resolve(), stop() {} };
  let at = (sentAt + Date.now()) / 2;
  let base = Date.parse(first.value.now);
  let speed = first.value.speed;
  let markLive: () => void = () => {};
  const live = new Promise<void>((resolve) => (markLive = resolve));
  if (speed > 0) markLive();
  const timer = setInterval(() => {
    const asked = Date.now();
    void client.call({ method: 'GET', path: BSS_PATHS.clock, answer: clockAnswer }).then((r) => {
      if (r.status !== 'ok') return;
      at = (asked + Date.now()) / 2;
      base = Date.parse(r.value.now);
      speed = r.value.speed;
      if (speed > 0) markLive();
    });
  }, CLOCK_REFRESH_MS);
  timer.unref();
  const now = () => base + (Date.now() - at) * speed;
  return { clock: { now, realMsUntil: (t) => (t <= now() ? 0 : speed > 0 ? (t - now()) / speed : Infinity) }, liveSpeed: Math.max(1, first.value.liveSpeed ?? 1), live, stop: () => clearInterval(timer) };
}
