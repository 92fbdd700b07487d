import type { EventBus } from '../bus/event-bus.js';
import { TwinloopError } from '../domain/errors.js';
import { NOT_UTF8_REASON } from '../domain/event-validation.js';
import type { Intake } from './intake.js';

export interface BusIntakeOptions {
  /** Messages taken per pull (one intake batch). */
  batch?: number;
  /** How long a pull waits for messages. */
  waitMs?: number;
  /** Delay before an overloaded batch is offered again. */
  retryMs?: number;
  onError?: (err: unknown) => void;
}

export interface BusIntakeHandle {
  /** Stops pulling; resolves when the batch in hand is finished. */
  stop(): Promise<void>;
  /** Messages taken and answered so far. */
  readonly processed: number;
}

/**
 * Feeds the intake from a message bus. Messages are acknowledged only after the intake has
 * made the batch durable (rejected records are in the dead letters by then); when the intake
 * is full or the store fails, the batch is handed back to the bus to be delivered again.
 */
export function startBusIntake(bus: EventBus, intake: Intake, options: BusIntakeOptions = {}): BusIntakeHandle {
  const batch = options.batch ?? 5_000;
  const waitMs = options.waitMs ?? 500;
  const retryMs = options.retryMs ?? 1_000;
  let running = true;
  let processed = 0;
  const loop = (async () => {
    while (running) {
      const messages = await bus.pull(batch, waitMs).catch((err) => {
        options.onError?.(err);
        return [];
      });
      if (messages.length === 0) continue;
      try {
        await intake.submitRecords(messages.map((m) => (m.notUtf8 ? { text: m.data, refused: NOT_UTF8_REASON } : { text: m.data })), 'bus');
        for (const m of messages) m.ack();
        processed += messages.length;
      } catch (err) {
        for (const m of messages) m.nak(retryMs);
        if (!(err instanceof TwinloopError && err.code === 'OVERLOADED')) options.onError?.(err);
        await new Promise((r) => setTimeout(r, retryMs));
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
    get processed() {
      return processed;
    },
  };
}
