import { TwinloopError } from '../../domain/errors.js';
import { MAX_MONEY_WINDOW_DAYS, type EarlierMove } from '../../decisioning/policy/index.js';
import type { VersionedDocuments } from '../../store/document-store.js';

/**
 * The money moved to each customer, by action class, that an approval threshold counts over the
 * policy's money window (decision 0068): a credit asked in six pieces of 9.99 is judged with the
 * pieces before it, not alone. One document per customer and class (`C000124|credit`), written by
 * compare and set: two requests racing (on two workers) cannot both claim room that only one has;
 * the second reads the first and is judged with it.
 */

/** The record store collection the running operator keeps the windows in. */
export const MONEY_WINDOW_COLLECTION = 'money-window';

/** Days a move carried out is kept to be counted: the longest window a policy may set. */
const KEPT_MS = MAX_MONEY_WINDOW_DAYS * 24 * 60 * 60 * 1000;

/**
 * How often a claim reads again when another writer wrote the customer's window between its read
 * and its write: each retry follows a write that did land, so only a burst of that many acts for one
 * customer at once exhausts it (answered UNAVAILABLE, to be retried).
 */
const CLAIM_TRIES = 20;

/** One customer's money moves of one class. */
export interface MoneyWindowDocument {
  moves: EarlierMove[];
}

/** A claim's answer: the move is counted, or the earlier moves that leave it no room under `limit`. */
export type WindowClaim = { ok: true } | { ok: false; earlier: EarlierMove[] };

/** The book of money windows. */
export interface MoneyWindowBook {
  /** What a request `requestId` to `customerId` of `actionClass` is judged with at `now` over `days`: its own entry left out. */
  earlier(customerId: string, actionClass: string, requestId: string, now: number, days: number): Promise<EarlierMove[]>;
  /**
   * Counts `move` (replacing the request's own entry) if the earlier moves and it come to no more
   * than `limit` (no limit: counted whatever they come to, as an act a person approved is); else
   * nothing is written and the earlier moves are answered. Atomic against every other claim.
   */
  claim(customerId: string, actionClass: string, move: EarlierMove, days: number, limit?: number): Promise<WindowClaim>;
  /** Takes a request's move out (its act failed or was refused: nothing moved). Safe to repeat. */
  drop(customerId: string, actionClass: string, requestId: string): Promise<void>;
}

/**
 * A book over `docs`, keeping moves carried out for `keptMs` (default: the longest money window;
 * an asker's book keeps a day). `awaiting(requestId)` says whether a move queued for a person still waits
 * (its approval pending): rejected, timed out or withdrawn, it moved nothing and is not counted;
 * approved and carried out, its claim made it a move.
 */
export function moneyWindowBook(docs: VersionedDocuments<MoneyWindowDocument>, awaiting: (requestId: string) => Promise<boolean>, keptMs = KEPT_MS): MoneyWindowBook {
  const keyOf = (customerId: string, actionClass: string) => `${customerId}|${actionClass}`;

  /** The moves still counted at `now` over `days`: carried out within them, or waiting for a person. */
  async function counted(moves: readonly EarlierMove[], now: number, days: number): Promise<EarlierMove[]> {
    const from = now - days * 24 * 60 * 60 * 1000;
    const out: EarlierMove[] = [];
    for (const m of moves) {
      if (m.state === 'moved' ? m.at > from : await awaiting(m.requestId)) out.push(m);
    }
    return out;
  }

  /** What is worth keeping: moves within the longest window, and the waits still pending. */
  async function kept(moves: readonly EarlierMove[], now: number): Promise<EarlierMove[]> {
    const out: EarlierMove[] = [];
    for (const m of moves) {
      if (m.state === 'moved' ? m.at > now - keptMs : await awaiting(m.requestId)) out.push(m);
    }
    return out;
  }

  /** Reads, changes and writes one window over the version read, reading again when another writer came between. */
  async function update<T>(key: string, change: (moves: EarlierMove[]) => Promise<{ write?: EarlierMove[]; answer: T }>): Promise<T> {
    for (let i = 0; i < CLAIM_TRIES; i++) {
      const doc = await docs.get(key);
      const { write, answer } = await change(doc?.body.moves ?? []);
      if (write === undefined) return answer;
      try {
        await docs.put(key, { moves: write }, doc?.version ?? 0);
        return answer;
      } catch (err) {
        if (!(err instanceof TwinloopError && err.code === 'CONFLICT')) throw err;
      }
    }
    throw new TwinloopError('UNAVAILABLE', `the money moved to ${key.replace('|', ' as ')} changed under ${CLAIM_TRIES} writes in a row; ask again`, { context: { retryable: true } });
  }

  return {
    async earlier(customerId, actionClass, requestId, now, days) {
      const doc = await docs.get(keyOf(customerId, actionClass));
      return counted((doc?.body.moves ?? []).filter((m) => m.requestId !== requestId), now, days);
    },
    async claim(customerId, actionClass, move, days, limit) {
      return update<WindowClaim>(keyOf(customerId, actionClass), async (moves) => {
        const others = moves.filter((m) => m.requestId !== move.requestId);
        const earlier = await counted(others, move.at, days);
        const total = earlier.reduce((sum, m) => sum + m.amount, 0) + move.amount;
        // In cents, as the policy sums them: 9.99 + 0.01 is 10, within a threshold of 10.
        if (limit !== undefined && Math.round(total * 100) / 100 > limit + 1e-9) return { answer: { ok: false, earlier } };
        return { write: [...(await kept(others, move.at)), move], answer: { ok: true } };
      });
    },
    async drop(customerId, actionClass, requestId) {
      await update(keyOf(customerId, actionClass), async (moves) => {
        const rest = moves.filter((m) => m.requestId !== requestId);
        return { ...(rest.length === moves.length ? {} : { write: rest }), answer: undefined };
      });
    },
  };
}
