import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../domain/clock.js';
import { TwinloopError } from '../../../domain/errors.js';
import type { DocumentStore } from '../../../store/document-store.js';

/**
 * The TMF notification hubs (TMF630 "hub" pattern, TMF688-style): a client registers a callback
 * on an API's `…/hub` (optionally with a `query`, e.g. `eventType=AlarmCreateEvent`), and every
 * event of that API is POSTed to it as the standard event body (`eventId`, `eventTime`,
 * `eventType`, `event: {<resource>: …}`). A delivery that fails (a connection error, a timeout, a
 * non-2xx answer) is retried with backoff; after the last attempt it is parked in the dead-letter
 * list with its error, as the intake parks a bad record. Subscriptions and dead letters are kept
 * in the record store: a restart keeps them.
 */

/** A registered callback of one API (`api` is the hub's key, e.g. `TMF642` or `TMF688`). */
export interface HubSubscription {
  readonly id: string;
  readonly api: string;
  readonly callback: string;
  readonly query?: string;
  /** The API's absolute root as the registering client reached it: what the events' `href`s start with. */
  readonly root: string;
  readonly createdAt: string;
  readonly by: string;
  readonly removed?: boolean;
}

/** An event that could not be delivered after every attempt. */
export interface HubDeadLetter {
  readonly id: string;
  readonly subscriptionId: string;
  readonly callback: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly attempts: number;
  readonly error: string;
  readonly at: string;
  readonly body: unknown;
}

/** How deliveries are retried; the defaults are documented on each field. */
export interface HubDeliveryOptions {
  /** Attempts per event, the first included; default 4. */
  readonly attempts?: number;
  /** Wait before the second attempt, quadrupling after; default 500 ms (then 2 s, 8 s: a callback restarting within ~10 s misses nothing). */
  readonly backoffMs?: number;
  /** One attempt's limit; default 5,000 ms. */
  readonly timeoutMs?: number;
}

/** The hubs of the running server. */
export interface TmfHub {
  /** Loads the kept subscriptions (once, at start). */
  load(): Promise<void>;
  register(api: string, input: { callback: string; query?: string; root: string; by: string }): Promise<HubSubscription>;
  /** Removes a subscription of `api`; NOT_FOUND when it has none by that id. */
  remove(api: string, id: string): Promise<void>;
  /** Whether anyone listens to `api` (a source skips building events nobody gets). */
  listening(api: string): boolean;
  /** The live subscriptions of `api`. */
  subscriptions(api: string): readonly HubSubscription[];
  /**
   * Sends an event to every subscription of `api` whose query lets it through; `build` makes the
   * event's resource for a subscription's root (hrefs are absolute); `accept` picks some subscriptions
   * (a TMF688 threshold). Deliveries run in the background.
   */
  publish(api: string, eventType: string, build: (s: HubSubscription) => Record<string, unknown>, accept?: (s: HubSubscription) => boolean): void;
  /** The parked deliveries, newest first. */
  deadLetters(): Promise<HubDeadLetter[]>;
  /** Waits for the deliveries under way (tests, shutdown). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** The `eventType` values a subscription's query names, or undefined when it names none (every event). */
function eventTypesOf(query: string | undefined): Set<string> | undefined {
  if (!query) return undefined;
  const types = new URLSearchParams(query).getAll('eventType').flatMap((v) => v.split(',')).filter(Boolean);
  return types.length ? new Set(types) : undefined;
}

/** A callback must be an absolute http(s) URL (the hub POSTs to it). */
function checkCallback(callback: string): void {
  let url: URL;
  try {
    url = new URL(callback);
  } catch {
    throw new TwinloopError('BAD_INPUT', `callback: "${callback}" is not an absolute URL; send e.g. http://listener.example:9000/listener`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TwinloopError('BAD_INPUT', `callback: ${url.protocol} is not http or https`);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** Builds the hubs over their stores. */
export function createTmfHub(o: { subscriptions: DocumentStore<HubSubscription>; deadLetters: DocumentStore<HubDeadLetter>; clock: Clock; delivery?: HubDeliveryOptions; log?: (line: string) => void }): TmfHub {
  const attempts = o.delivery?.attempts ?? 4;
  const backoffMs = o.delivery?.backoffMs ?? 500;
  const timeoutMs = o.delivery?.timeoutMs ?? 5_000;
  const live = new Map<string, HubSubscription>();
  const running = new Set<Promise<void>>();
  let closed = false;
  const nowIso = () => new Date(o.clock.now()).toISOString();

  async function deliver(s: HubSubscription, body: { eventId: string; eventType: string }): Promise<void> {
    let error = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (closed) return;
      try {
        const res = await fetch(s.callback, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
        await res.body?.cancel();
        if (res.ok) return;
        error = `the callback answered ${res.status}`;
      } catch (err) {
        error = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `cannot reach the callback: ${(err as Error).message}`;
      }
      if (attempt < attempts) await sleep(backoffMs * 4 ** (attempt - 1));
    }
    const letter: HubDeadLetter = { id: `${s.id}:${body.eventId}`, subscriptionId: s.id, callback: s.callback, eventId: body.eventId, eventType: body.eventType, attempts, error, at: nowIso(), body };
    await o.deadLetters.put(letter.id, letter);
    o.log?.(`hub: ${body.eventType} ${body.eventId} to ${s.callback} parked after ${attempts} attempts: ${error}`);
  }

  return {
    async load() {
      for (const s of await o.subscriptions.list()) if (!s.removed) live.set(s.id, s);
    },
    async register(api, input) {
      checkCallback(input.callback);
      const s: HubSubscription = { id: randomUUID(), api, callback: input.callback, ...(input.query ? { query: input.query } : {}), root: input.root, createdAt: nowIso(), by: input.by };
      await o.subscriptions.put(s.id, s);
      live.set(s.id, s);
      return s;
    },
    async remove(api, id) {
      const s = live.get(id);
      if (!s || s.api !== api) throw new TwinloopError('NOT_FOUND', `no subscription "${id}" on this hub; POST …/hub registers one`);
      await o.subscriptions.put(id, { ...s, removed: true });
      live.delete(id);
    },
    listening: (api) => [...live.values()].some((s) => s.api === api),
    subscriptions: (api) => [...live.values()].filter((s) => s.api === api),
    publish(api, eventType, build, accept) {
      if (closed) return;
      const eventTime = nowIso();
      for (const s of live.values()) {
        if (s.api !== api) continue;
        const types = eventTypesOf(s.query);
        if ((types && !types.has(eventType)) || (accept && !accept(s))) continue;
        // `@type` names the event's class, as the v5 specifications require (v4 events allow it).
        const body = { '@type': eventType, eventId: randomUUID(), eventTime, eventType, event: build(s) };
        const p = deliver(s, body)
          .catch((err: unknown) => o.log?.(`hub: delivery to ${s.callback} failed: ${(err as Error).message}`))
          .finally(() => running.delete(p));
        running.add(p);
      }
    },
    async deadLetters() {
      return (await o.deadLetters.list()).sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    },
    async settled() {
      while (running.size) await Promise.all([...running]);
    },
    async close() {
      closed = true;
    },
  };
}
