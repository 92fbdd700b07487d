import { percent, span } from './format';

/** What `GET /twins/:id/timeline` says of the first start's history while it is written behind (`history`, with `historyComplete: false`). */
export interface TimelineHistory {
  /** Where the history is: going through the intake, written to the log behind it, or being sealed. */
  readonly stage: 'intake' | 'writing' | 'sealing';
  /** How much of the history is written to the log (0-1). */
  readonly written: number;
  /** Once written, how much is sealed (regrouped by customer), 0-1. */
  readonly sealed?: number;
  /** When to ask again. */
  readonly retryAfterSeconds: number;
  /** The server's own words. */
  readonly note: string;
}

/** Re-read the timeline no sooner than this (a busy server's estimate may be seconds)… */
const MIN_REREAD_MS = 5_000;
/** …and no later (an estimate of an hour still changes as the history goes on). */
const MAX_REREAD_MS = 300_000;

/** When the customer page reads the timeline again for the rest of its history, from the server's estimate (ms from now). */
export const rereadInMs = (h: TimelineHistory) => Math.min(MAX_REREAD_MS, Math.max(MIN_REREAD_MS, h.retryAfterSeconds * 1000));

/**
 * The customer page's note over a timeline that lacks the first start's history (still being written
 * to the log behind the intake, decision 0021): what it holds, how far the history is, and when the page reads it again.
 * Without it the page listed the live events only, its usage charts empty, as if that were the whole year.
 */
export function historyNote(h: TimelineHistory): string {
  const again = `This page reads it again ${span(rereadInMs(h))}.`;
  if (h.stage === 'intake') return `No event of the customer's is listed yet: the first start's history (the year before) is still going through the intake (the customer's facts above fill in as it goes), and is written to the log after it. ${again}`;
  const stage = h.stage === 'writing' ? `is still being written to the log behind the intake (${percent(h.written)} written)` : `is written to the log and being sealed, regrouped by customer (${percent(h.sealed ?? 0)} sealed)`;
  return `Only the customer's events since the first start's history are listed, and the usage and bills charted from them: that history (the year before) ${stage}. ${again}`;
}
