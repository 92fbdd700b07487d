import { eventTime } from './format';

/** Where `GET /health` says the clock comes from. */
export type ClockSource = { kind: 'events' } | { kind: 'sandbox'; phase: 'backfilling' | 'live' | 'failed'; speed: number };

/** The clocks `GET /health` answers. */
export interface HealthClocks {
  /** The latest event the twins applied. */
  readonly eventClock: string | null;
  /** The world's time while a sandbox or a BSS runs (what acts and the audit trail are dated by); absent or null without one. */
  readonly worldClock?: string | null;
  readonly clockSource?: ClockSource;
}

/** What the header shows: a label, the time, and how far the twins' latest event trails it (when it does by an hour or more). */
export interface HeaderClock {
  readonly label: string;
  readonly title: string;
  /** The time shown (ISO): the world's, else the latest event's; the console's "now". */
  readonly now: string | null;
  /** "twins' latest event 2 d 3 h behind" when they trail the world by an hour or more; else null. */
  readonly behind: string | null;
}

const whole = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const HOUR_MS = 3_600_000;

/** A world-time span in days and hours (`2 d 3 h`, `5 h`). */
function span(ms: number): string {
  const hours = Math.floor(ms / HOUR_MS);
  const d = Math.floor(hours / 24);
  const h = hours % 24;
  return d > 0 ? `${d} d${h > 0 ? ` ${h} h` : ''}` : `${h} h`;
}

/** The times not on the operator's clock, as the console marks them. */
const WALL_CLOCK_NOTE = "but those marked 'wall clock': people's acts on API keys, the action policy and models, dated in real time";

/**
 * The header's clock. While a sandbox runs it shows the world's time, the one every act, approval
 * and audit entry is dated by: the header read the twins' latest event instead, which trails the
 * world (by two days on the default world under load), so the header and the pages' dates
 * disagreed. How far the twins trail is said beside it, when it is an hour or more.
 */
export function headerClock(h: HealthClocks | undefined): HeaderClock {
  const source = h?.clockSource;
  const now = h?.worldClock ?? h?.eventClock ?? null;
  const lag = h?.worldClock && h.eventClock ? Date.parse(h.worldClock) - Date.parse(h.eventClock) : 0;
  const behind = lag >= HOUR_MS ? `twins' latest event ${span(lag)} behind (${eventTime(h!.eventClock)})` : null;
  if (source?.kind === 'sandbox') {
    const title = `The sandbox's simulated time: what every act, approval and audit entry is dated by, and every time in the console is on ${WALL_CLOCK_NOTE}. The twins hold the world's events up to their latest one, which may trail it.`;
    if (source.phase === 'backfilling') return { label: 'Simulated clock (backfilling history)', title, now, behind };
    if (source.phase === 'failed') return { label: 'Simulated clock (sandbox stopped)', title, now, behind };
    return { label: `Simulated clock (${whole.format(source.speed)}× real time)`, title, now, behind };
  }
  return { label: h?.worldClock ? 'World clock' : 'Event clock', title: h?.worldClock ? "The BSS's time, which acts are dated by; the twins' latest event may trail it." : `The time of the latest event the twins applied. Every time in the console is on this clock ${WALL_CLOCK_NOTE}.`, now, behind };
}

