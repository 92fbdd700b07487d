import type { TwinEvent } from './events.js';

/** Per-record answer of the intake, in input order. */
export type RecordOutcome =
  | { status: 'accepted'; id: string }
  | { status: 'duplicate'; id: string }
  | { status: 'rejected'; id?: string; reason: string };

/**
 * Where producers (the sandbox, connectors, brokers) hand events to the ordinary intake. It
 * resolves once the accepted events are durable; it may reject the whole call with an
 * OVERLOADED TwinloopError when the intake's queue is full (retry later).
 */
export interface EventSink {
  submit(events: readonly TwinEvent[]): Promise<RecordOutcome[]>;
}
