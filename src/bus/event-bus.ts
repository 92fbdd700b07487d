/**
 * The message-bus port: event records (one event's JSON text each) published by producers and
 * pulled by the intake, at least once. A message comes back until it is acknowledged, so the
 * intake acknowledges only after the records are durable in the store.
 */
export interface BusMessage {
  readonly data: string;
  /** Its bytes are not UTF-8 (`data` then holds them repaired, for messages only): the intake refuses it rather than change it. */
  readonly notUtf8?: true;
  /** Done with it: never deliver it again. */
  ack(): void;
  /** Not now: deliver it again after `delayMs`. */
  nak(delayMs?: number): void;
}

export interface EventBus {
  /** Publishes records; resolves once the broker holds them durably. */
  publish(records: readonly string[]): Promise<void>;
  /** Up to `max` messages, waiting at most `waitMs` for the first; an empty array on time-out. */
  pull(max: number, waitMs: number): Promise<BusMessage[]>;
  close(): Promise<void>;
}
