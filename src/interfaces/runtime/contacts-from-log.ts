import type { TwinEvent } from '../../domain/events.js';
import { DAY_MS } from '../../domain/time.js';
import type { LogConsumer } from './start-log-pass.js';

const CONTACT_KINDS: ReadonlySet<string> = new Set(['offer', 'action']);

/**
 * The consumer of the start's pass over the log (`startLogPass`) that hands the decision service the
 * contacts the log held (offers presented and answered, marketing messages delivered) from `days`
 * before `nowMs` (event time) on: its contact ledger, fed only by the intake, forgot at each
 * restart every offer a customer holds (`offer-in-force`) and every contact the caps count.
 */
export function contactsFromLog(nowMs: number, days: number, remember: (events: readonly TwinEvent[]) => void, log: (line: string) => void): LogConsumer {
  return {
    kinds: CONTACT_KINDS,
    fromMs: nowMs - days * DAY_MS,
    take: (events) => remember(events.map((e) => JSON.parse(e.body) as TwinEvent)),
    // Said, as the lab's consumer says its own: without them the contact rules judge a customer on the
    // twin's counts (caps over 90 days, no offer named), so an offer held may be made again.
    onFailed: (reason) => log(`contact rules: the contacts in the log could not be read (${reason}); until the intake has seen a customer's offers, offer-in-force and the per-channel caps judge them on the twin's counts alone`),
  };
}
