import type { BusMessage, EventBus } from './event-bus.js';

/**
 * An in-process broker: one queue with at-least-once delivery (a nak'ed message is queued again
 * after its delay). Clients connect to it like to a real broker; nothing survives the process.
 */
export class MemoryBroker {
  private readonly ready: string[] = [];
  private waiters: (() => void)[] = [];

  connect(): EventBus {
    return new MemoryEventBus(this);
  }

  /** Records waiting to be pulled. */
  get depth(): number {
    return this.ready.length;
  }

  enqueue(records: readonly string[], front = false): void {
    if (front) this.ready.unshift(...records);
    else this.ready.push(...records);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  take(max: number): string[] {
    return this.ready.splice(0, max);
  }

  /** Resolves when records arrive or after `ms`. */
  wait(ms: number): Promise<void> {
    if (this.ready.length) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

class MemoryEventBus implements EventBus {
  private closed = false;
  constructor(private readonly broker: MemoryBroker) {}

  async publish(records: readonly string[]): Promise<void> {
    if (this.closed) throw new Error('bus connection is closed');
    this.broker.enqueue(records);
  }

  async pull(max: number, waitMs: number): Promise<BusMessage[]> {
    if (this.closed) return [];
    await this.broker.wait(waitMs);
    return this.broker.take(max).map((data) => this.message(data));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private message(data: string): BusMessage {
    let settled = false;
    return {
      data,
      ack: () => {
        settled = true;
      },
      nak: (delayMs = 0) => {
        if (settled) return;
        settled = true;
        setTimeout(() => this.broker.enqueue([data], true), delayMs).unref();
      },
    };
  }
}
