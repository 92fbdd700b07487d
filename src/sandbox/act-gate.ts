import { held, type ActHold, type ConnectorResult } from '../domain/connectors/connector-result.js';
import { heldError } from '../domain/errors.js';

export type { ActHold };

/**
 * The one place a sandbox world refuses acts on it for a while: every back end's act (a credit,
 * an order, a message, an offer presented…) and every scenario staged on the world asks it before
 * it changes the world. It is held while the world's first start's history is regenerated from its
 * seed later (decision 0021): an act then would change the days still to come, so the history
 * written behind would differ from the one the twins took.
 */
export class ActGate {
  private why: (() => ActHold) | undefined;

  /** Holds every act until the returned function is called; `why` is asked at each refusal. */
  hold(why: () => ActHold): () => void {
    this.why = why;
    return () => {
      if (this.why === why) this.why = undefined;
    };
  }

  /** Why acts are held now, if they are. */
  current(): ActHold | undefined {
    return this.why?.();
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
