import { Agent, get, request, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../../domain/clock.js';
import { TwinloopError } from '../../domain/errors.js';
import { DAY_MS } from '../../domain/time.js';
import { openEventStore } from '../../store/open-event-store.js';
import { openModelRegistry } from '../../store/open-model-registry.js';
import { syntheticChurnEvents } from '../../intelligence/twin-training/synthetic-churn-events.js';
import { syntheticEvents } from '../../twin/synthetic-events.js';
import { openTwinService } from '../../twin/twin-service.js';
import type { AssistCard } from '../../agents/assist/assist-card.js';
import { startAssist } from '../../agents/assist/assist-service.js';
import { startIntelligence } from '../../intelligence/live/live-intelligence.js';
import { assistRoutes } from '../http/assist-routes.js';
import { openTestAuth } from '../auth/auth-fixtures.js';
import { createHttpServer } from '../http/server.js';
import { inTempDir, submitInBatches } from './bench-fixtures.js';
import { sampleStats } from './bench-stats.js';

/** Options of `benchAssistCard`. */
export interface AssistBenchOptions {
  /** Synthetic customers loaded before timing. */
  readonly customers: number;
  /** Interaction starts posted (one at a time) and timed. */
  readonly calls: number;
  /**
   * Train a churn model on the history and serve live scores with reasons in the card's summary,
   * as `twinloop start` does (default true); false measures the card without the intelligence layer.
   */
  readonly scores?: boolean;
  /** Days of synthetic history per customer; default 400 with scores (training needs a year), else 30. */
  readonly days?: number;
}

/** Latency figures in ms. */
export interface LatencyStats {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** Figures of `benchAssistCard`. */
export interface AssistBenchResult {
  readonly customers: number;
  readonly events: number;
  readonly calls: number;
  /** Size of the last card's JSON (it carries the twin, scores with reasons, actions, other channels). */
  readonly cardBytes: number;
  /** Whether the last card carried a churn probability (scores were served). */
  readonly cardHasChurnScore: boolean;
  /** The churn model serving the card's scores, null without scores. */
  readonly model: string | null;
  /** Server side, from the intake applying the start to the card being built (card's builtAt − acceptedAt; ms resolution). */
  readonly appliedToBuiltMs: LatencyStats;
  /** From the POST being sent to the card arriving at the subscriber. */
  readonly sendToCardMs: LatencyStats;
  /**
   * From the POST's answer (the event accepted) to the card arriving. Negative when the card came
   * first: the intake applies the event (and the card is built) before it answers the POST.
   */
  readonly acceptedToCardMs: LatencyStats;
  /** POST /events round trip for one interaction start. */
  readonly postMs: LatencyStats;
  /** Baseline: GET /health round trip on the same server and client. */
  readonly bareRouteMs: LatencyStats;
  /** The target: a card within 50 ms (p99) of the event being accepted. */
  readonly targetMs: number;
  readonly withinTarget: boolean;
}

/** The brief's budget from acceptance to the card on the desktop. */
const TARGET_MS = 50;
/** Round trips timed for the baseline. */
const BASELINE_SAMPLES = 500;
/** Untimed calls first: JIT and connection set-up are not what is measured. */
const WARMUP = 50;

/** p50, p99 and max of latencies in ms, to the µs. */
const stats = (samples: readonly number[]): LatencyStats => sampleStats(samples, ['p50', 'p99', 'max']);

function call(agent: Agent, url: URL, method: 'GET' | 'POST', body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new TwinloopError('INTERNAL', `bench assist: ${method} ${url.pathname} answered ${res.statusCode}: ${text}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Measures the assist card's latency end to end on a real server: a temporary SQLite twin service
 * with synthetic customers, one SSE subscriber on `call`, and interaction starts posted one at a
 * time to `POST /events`; each is timed to its card's arrival at the subscriber.
 */
export async function benchAssistCard(options: AssistBenchOptions): Promise<AssistBenchResult> {
  const { customers, calls } = options;
  if (!(customers >= 1) || !(calls >= 1)) throw new TwinloopError('BAD_INPUT', 'bench assist: customers and calls must be at least 1');
  return inTempDir('assist-bench', (dir) => measureAssistCard(dir, options));
}

async function measureAssistCard(dir: string, options: AssistBenchOptions): Promise<AssistBenchResult> {
  const { customers, calls } = options;
  const withScores = options.scores ?? true;
  const days = options.days ?? (withScores ? 400 : 30);
  // The history ends an hour ago, so the timed starts (at the wall clock) are in order for every twin.
  const start = Date.now() - days * DAY_MS - 3_600_000;
  const twins = await openTwinService({ store: await openEventStore({ kind: 'sqlite', dataDir: dir }), clock: systemClock });
  const registry = await openModelRegistry({ kind: 'sqlite', dataDir: dir });
  const intelligence = withScores ? await startIntelligence(twins, registry, { log: () => {}, checkIntervalMs: 0 }) : null;
  const assist = startAssist(twins, { log: () => {}, decorateTwin: intelligence?.decorateTwin });
  // Open mode on loopback: this measures the card's way to the desktop; `bench auth` measures what a key costs.
  const local = await openTestAuth('insecure-local');
  const app = createHttpServer({ twins, auth: local.auth, version: 'bench', decorateTwin: intelligence?.decorateTwin }, [assistRoutes(twins, assist)]);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let subscriber: IncomingMessage | undefined;
  try {
    const source = withScores ? syntheticChurnEvents({ customers, days, start, seed: 7 }) : syntheticEvents({ customers, days, start, seed: 7 });
    const events = await submitInBatches(twins.intake, source);
    await intelligence?.trainIfMissing();

    const base = new URL(await app.listen({ port: 0, host: '127.0.0.1' }));
    const arrivals = new Map<string, (arrival: { at: number; built: number }) => void>();
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const res = await new Promise<IncomingMessage>((resolve, reject) => get(new URL('/assist/stream?channel=call&agentId=bench', base), resolve).on('error', reject));
    subscriber = res;
    res.setEncoding('utf8');
    let buffer = '';
    let last = { bytes: 0, churn: false };
    res.on('data', (chunk: string) => {
      const at = performance.now();
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (frame.includes('event: ready')) ready();
        const eventId = /"eventId":"([^"]+)"/.exec(frame)?.[1];
        if (!eventId || !frame.includes('event: card')) continue;
        const data = /^data: (.*)$/m.exec(frame)![1];
        const card = JSON.parse(data) as AssistCard;
        last = { bytes: data.length, churn: typeof (card.summary?.scores as { churn?: { probability?: unknown } } | undefined)?.churn?.probability === 'number' };
        arrivals.get(eventId)?.({ at, built: Date.parse(card.builtAt) - Date.parse(card.acceptedAt!) });
      }
    });
    await isReady;

    const health = new URL('/health', base);
    const eventsUrl = new URL('/events', base);
    const baseline: number[] = [];
    for (let i = 0; i < BASELINE_SAMPLES + WARMUP; i++) {
      const t = performance.now();
      await call(agent, health, 'GET');
      if (i >= WARMUP) baseline.push(performance.now() - t);
    }

    const sendToCard: number[] = [];
    const acceptedToCard: number[] = [];
    const post: number[] = [];
    const built: number[] = [];
    for (let i = 0; i < calls + WARMUP; i++) {
      const id = `bench-call-${i}`;
      const event = { id, kind: 'interaction', customerId: `C${i % customers}`, time: new Date().toISOString(), source: 'bench', v: 1, data: { channel: 'call', intent: 'billing_question', phase: 'start' } };
      const card = new Promise<{ at: number; built: number }>((r) => arrivals.set(id, r));
      const sent = performance.now();
      const answer = await call(agent, eventsUrl, 'POST', JSON.stringify(event));
      const accepted = performance.now();
      if (!answer.includes('"accepted":1')) throw new TwinloopError('INTERNAL', `bench assist: the interaction was not accepted: ${answer}`);
      const arrived = await card;
      arrivals.delete(id);
      if (i < WARMUP) continue;
      sendToCard.push(arrived.at - sent);
      acceptedToCard.push(arrived.at - accepted);
      built.push(arrived.built);
      post.push(accepted - sent);
    }
    const acceptedStats = stats(acceptedToCard);
    return {
      customers,
      events,
      calls,
      cardBytes: last.bytes,
      cardHasChurnScore: last.churn,
      model: intelligence?.live()?.model.id ?? null,
      appliedToBuiltMs: stats(built),
      sendToCardMs: stats(sendToCard),
      acceptedToCardMs: acceptedStats,
      postMs: stats(post),
      bareRouteMs: stats(baseline),
      targetMs: TARGET_MS,
      withinTarget: acceptedStats.p99 <= TARGET_MS,
    };
  } finally {
    subscriber?.destroy();
    agent.destroy();
    assist.close();
    await app.close();
    await intelligence?.close();
    await twins.close({ checkpoint: false });
    await registry.close();
    await local.close();
  }
}
