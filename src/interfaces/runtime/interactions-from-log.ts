import type { TwinEvent } from '../../domain/events.js';
import type { AcceptedEvent } from '../../twin/intake.js';
import type { LogConsumer } from './start-log-pass.js';

const INTERACTIONS: ReadonlySet<string> = new Set(['interaction']);

/** The interactions read back, or why the log could not be read (the store's words). */
export type InteractionsRead = AcceptedEvent[] | string;

/**
 * The consumer of the start's pass over the log (`startLogPass`) that gathers what the omnichannel
 * context is rebuilt from (`CustomerContextStore.readBack`, decision 0050): the interaction events
 * from `sinceMs` (event time: the context's last day before the start), and older ones whose channel
 * said they go on past it (`endsBy`: the sandbox's staged care call, held for 15 minutes of people's
 * time, is weeks of the world's). `read` gives them once the pass has read the log through. A
 * restarted process knew no interaction in progress until its next event, and took a person on a
 * call at their word.
 */
export function interactionsFromLog(sinceMs: number): { readonly consumer: LogConsumer; readonly read: Promise<InteractionsRead> } {
  const kept: AcceptedEvent[] = [];
  let settle: (read: InteractionsRead) => void = () => {};
  const read = new Promise<InteractionsRead>((resolve) => (settle = resolve));
  const consumer: LogConsumer = {
    kinds: INTERACTIONS,
    // Every interaction's event time is read: one held by its endsBy may have begun long before the window.
    fromMs: -Infinity,
    take: (events) => {
      for (const e of events) {
        const event = JSON.parse(e.body) as TwinEvent;
        const endsBy = event.kind === 'interaction' && event.data.endsBy !== undefined ? Date.parse(event.data.endsBy) : -Infinity;
        if (e.time >= sinceMs || endsBy >= sinceMs) kept.push({ event, time: e.time, seq: e.seq });
      }
    },
    onRead: () => settle(kept),
    onFailed: (reason) => settle(reason),
  };
  return { consumer, read };
}
