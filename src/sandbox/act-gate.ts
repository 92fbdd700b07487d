import { held, type ActHold, type ConnectorResult } from '../domain/connectors/connector-result.js';
import { heldError } from '../domain/errors.js';

export type { ActHold };

/**
 * Bounds of the wait an act refused while a long pass runs is told (the pass's remaining time,
 * estimated from its progress): at least 2 s (a pass just begun has no estimate yet), at most 30 s
 * (an estimate from the first days is rough, and a workflow's held step retries at this pace).
 */
const HELD_RETRY_MIN_MS = 2_000;
const HELD_RETRY_MAX_MS = 30_000;

/** How far a pass that holds acts is: when it began (ms), its steps done and in all. */
export interface HoldProgress {
  started: number;
  done: number;
  total: number;
}

/** When to ask again, at least `minMs` and at most `maxMs`. */
export interface RetryBounds {
  readonly minMs: number;
  readonly maxMs: number;
}

/**
 * What an act refused during a pass is told: `what` is happening (how far, in %), that the back
 * ends take no act until it ends (`until`), and when to ask again (its remaining time, estimated,
 * within `bounds`: by default 2-30 s, the pace a workflow's held step retries at).
 */
export function progressHold(what: string, until: string, pass: HoldProgress, now = Date.now(), bounds: RetryBounds = { minMs: HELD_RETRY_MIN_MS, maxMs: HELD_RETRY_MAX_MS }): ActHold {
  const share = pass.total > 0 ? Math.min(1, pass.done / pass.total) : 0;
  const elapsed = now - pass.started;
  const left = share > 0 ? (elapsed * (1 - share)) / share : bounds.minMs;
  const retryAfterMs = Math.round(Math.min(bounds.maxMs, Math.max(bounds.minMs, left)));
  return { reason: `${what} (${Math.round(100 * share)} % in); ${until}; retry in ${Math.ceil(retryAfterMs / 1000)} s`, retryAfterMs };
}

/**
 * The one place a sandbox world refuses acts on it for a while: every back end's act (a credit,
 * an order, a message, an offer presented…) and every scenario staged on the world asks it before
 * it changes the world. It is held while the world's first start's history is regenerated from its
 * seed later (decision 0021): an act then would change the days still to come, so the history
 * written behind would differ from the one the twins took; and while a restarted world is rebuilt
 * from its seed (decision 0025), whose days an act would change the same way. Holds nest: acts pass
 * once every hold is released; the latest one says why.
 */
export class ActGate {
  private readonly holds: (() => ActHold)[] = [];

  /** Holds every act until the returned function is called; `why` is asked at each refusal. */
  hold(why: () => ActHold): () => void {
    // A hold of its own, so that the same `why` held twice is released once each.
    const entry = () => why();
    this.holds.push(entry);
    return () => {
      const i = this.holds.indexOf(entry);
      if (i >= 0) this.holds.splice(i, 1);
    };
  }

  /** Why acts are held now, if they are. */
  current(): ActHold | undefined {
    return this.holds.at(-1)?.();
  }

  /** A back end's answer while held: transient and `held` (a wait, not a failure), or undefined when acts pass. */
  refusal<T>(): ConnectorResult<T> | undefined {
    const h = this.current();
    return h && held<T>(h.reason, h.retryAfterMs);
  }

  /** Throws UNAVAILABLE (503, Retry-After) while held: for an act that is not a back end's call (a scenario staged). */
  check(): void {
    const h = this.current();
    if (h) throw heldError(h.reason, h.retryAfterMs);
  }
}
