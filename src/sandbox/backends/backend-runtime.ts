import type { ConnectorResult } from '../../domain/connectors/connector-result.js';
import { Prng } from '../prng.js';
import type { ActGate } from '../act-gate.js';
import type { SandboxJournal } from '../sandbox-journal.js';
import type { BackendConfig } from '../world-config.js';

/** How a sandbox back end waits: real timers by default, scaled (0 = answer at once). */
export interface BackendTiming {
  /** Multiplies every configured latency; 0 makes the back ends answer immediately (tests). */
  latencyScale: number;
}

const sleep = (ms: number) => (ms <= 0 ? Promise.resolve() : new Promise<void>((r) => setTimeout(r, ms)));

/**
 * What every sandbox back end does around its business logic: latency (log-normal), timeouts,
 * transient errors and permanent rejections at the configured rates, and idempotency (a key
 * seen before returns the first final answer; a call in flight with the same key is joined).
 * Transient failures are not remembered, so a retry with the same key can succeed.
 */
export class BackendRuntime {
  private readonly rng: Prng;
  private readonly done = new Map<string, ConnectorResult<unknown>>();
  private readonly inFlight = new Map<string, Promise<ConnectorResult<unknown>>>();
  /** Calls made, and how they ended; for tests and the demo's back-end panel. */
  readonly stats = { calls: 0, ok: 0, transient: 0, rejected: 0, replayed: 0 };

  constructor(
    readonly name: string,
    private readonly cfg: BackendConfig,
    seed: number,
    private readonly timing: BackendTiming,
    /** Where its acts are journaled, under `connector` (its key among the connectors). */
    private readonly journal?: { log: SandboxJournal; connector: string },
    /** The world's gate: while it is held, no act runs (answered transient and `held`). */
    private readonly gate?: ActGate,
  ) {
    this.rng = new Prng(seed, 'backend:' + name);
  }

  /**
   * Runs `action` under the back end's latency, failure rates and idempotency. A final answer is
   * journaled (`op`: the method and request) before it is given. While the journal replays this
   * call, it answers from the journal at once: the action runs again (synchronously, changing
   * the world as it did) or the kept refusal is given.
   */
  async call<T>(idempotencyKey: string, action: () => ConnectorResult<T>, op: { method: string; request: unknown }): Promise<ConnectorResult<T>> {
    const replayed = this.journal?.log.take(this.journal.connector, op.method);
    if (replayed) {
      const result = (replayed.ran ? action() : replayed.result) as ConnectorResult<T>;
      if (result.status !== 'transient') this.done.set(idempotencyKey, result);
      return result;
    }
    // Held now (a restarted world being rebuilt, a first start's history): answered at once, not
    // after the rebuild (minutes on the default world), so the caller is told when to ask again.
    const heldNow = this.gate?.refusal<T>();
    if (heldNow) {
      this.stats.calls++;
      this.stats.transient++;
      return heldNow;
    }
    // A restart's replay rebuilds what the back end knows first: answer after it.
    await this.journal?.log.ready();
    this.stats.calls++;
    const seen = this.done.get(idempotencyKey);
    if (seen) {
      this.stats.replayed++;
      await sleep(this.latency() * this.timing.latencyScale);
      return seen as ConnectorResult<T>;
    }
    const running = this.inFlight.get(idempotencyKey);
    if (running) {
      this.stats.replayed++;
      return running as Promise<ConnectorResult<T>>;
    }
    // A world that takes no act now (its first start's history is regenerated later from its seed)
    // answers at once that it holds acts; nothing is drawn, run, journaled or remembered.
    const refused = this.gate?.refusal<T>();
    if (refused) {
      this.stats.transient++;
      return refused;
    }
    const p = (async () => {
      const { result, ran } = await this.run(action);
      if (result.status !== 'transient') {
        // Durable before the answer, to this caller and to a repeat of its key alike: a repeat while
        // the entry waits for its store (an append retried over a terminated connection) waits on
        // this call in `inFlight`, not on `done`, so no caller is told of an act a crash could
        // make the world forget (renumbering an order the caller already holds). Remembered even
        // if the store gives up (it is closed): the act happened in this process.
        try {
          await this.journal?.log.record({ backend: this.journal.connector, method: op.method, request: op.request, ran, result });
        } finally {
          this.done.set(idempotencyKey, result);
        }
      }
      return result;
    })();
    this.inFlight.set(idempotencyKey, p);
    try {
      const result = await p;
      this.stats[result.status]++;
      return result;
    } finally {
      this.inFlight.delete(idempotencyKey);
    }
  }

  /** A read: latency and transient failures, but nothing to remember. */
  async read<T>(action: () => ConnectorResult<T>): Promise<ConnectorResult<T>> {
    await this.journal?.log.ready();
    this.stats.calls++;
    const latency = this.latency();
    if (latency > this.cfg.timeoutMs) {
      await sleep(this.cfg.timeoutMs * this.timing.latencyScale);
      return { status: 'transient', reason: 'timeout' };
    }
    await sleep(latency * this.timing.latencyScale);
    if (this.rng.chance(this.cfg.transientErrorRate)) return { status: 'transient', reason: 'unavailable', retryAfterMs: 500 };
    return action();
  }

  private async run<T>(action: () => ConnectorResult<T>): Promise<{ result: ConnectorResult<T>; ran: boolean }> {
    // Draw everything up front so the outcome does not depend on how calls interleave.
    const latency = this.latency();
    const transientDraw = this.rng.float();
    const rejectDraw = this.rng.float();
    const timedOut = latency > this.cfg.timeoutMs;
    await sleep(timedOut ? this.cfg.timeoutMs * this.timing.latencyScale : latency * this.timing.latencyScale);
    if (timedOut) return { result: { status: 'transient', reason: 'timeout' }, ran: false };
    if (transientDraw < this.cfg.transientErrorRate) return { result: { status: 'transient', reason: 'unavailable', retryAfterMs: 500 }, ran: false };
    if (rejectDraw < this.cfg.permanentRejectionRate) return { result: { status: 'rejected', reason: `${this.name}_refused` }, ran: false };
    // Asked again where the world would change: the hold may have begun during the latency.
    const refused = this.gate?.refusal<T>();
    if (refused) return { result: refused, ran: false };
    return { result: action(), ran: true };
  }

  private latency(): number {
    const l = this.cfg.latencyMs;
    return l.median <= 0 ? 0 : this.rng.lognormal(l.median, l.sigma);
  }
}
