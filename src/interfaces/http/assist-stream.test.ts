import { describe, expect, it } from 'vitest';
import { AssistHub, sseFrame, type SseSink } from './assist-stream.js';

/** A sink whose socket buffer is "full" until `drain()` is called. */
class FakeSink implements SseSink {
  frames: string[] = [];
  full = false;
  ended = false;
  private onDrain: (() => void) | null = null;
  write(chunk: string): boolean {
    this.frames.push(chunk);
    return !this.full;
  }
  end(): void {
    this.ended = true;
  }
  once(_event: 'drain', listener: () => void): this {
    this.onDrain = listener;
    return this;
  }
  drain(): void {
    this.full = false;
    const l = this.onDrain;
    this.onDrain = null;
    l?.();
  }
  cards(): string[] {
    return this.frames.filter((f) => f.includes('event: card')).map((f) => /"cardId":"([^"]+)"/.exec(f)![1]);
  }
}

describe('AssistHub', () => {
  it('sends a card only to the subscribers of its channel, as an SSE frame with its id', () => {
    const hub = new AssistHub({ heartbeatMs: 0 });
    const call = new FakeSink();
    const chat = new FakeSink();
    hub.subscribe('call', 'a1', call);
    hub.subscribe('chat', 'a2', chat);
    expect(call.frames[0]).toMatch(/^retry: \d+\nevent: ready\n/);
    expect(hub.publish('call', { cardId: 'k1' })).toBe(1);
    expect(call.frames[1]).toBe(sseFrame('card', { cardId: 'k1' }, 'k1'));
    expect(call.frames[1]).toBe('id: k1\nevent: card\ndata: {"cardId":"k1"}\n\n');
    expect(chat.cards()).toEqual([]);
    expect(hub.hasSubscribers('store')).toBe(false);
    hub.close();
    expect(call.ended && chat.ended).toBe(true);
  });

  it("drops a slow subscriber's oldest cards, tells it how many, and sends the newest once it drains", () => {
    const hub = new AssistHub({ heartbeatMs: 0, maxQueuedCards: 3 });
    const slow = new FakeSink();
    const fast = new FakeSink();
    hub.subscribe('call', 'slow', slow);
    hub.subscribe('call', 'fast', fast);
    slow.full = true;
    for (let i = 1; i <= 8; i++) hub.publish('call', { cardId: `k${i}` });
    // k1 was written (and filled the buffer); k2..k8 waited, only the newest 3 kept.
    expect(slow.cards()).toEqual(['k1']);
    expect(hub.subscribers().find((s) => s.agentId === 'slow')?.dropped).toBe(4);
    slow.drain();
    expect(slow.cards()).toEqual(['k1', 'k6', 'k7', 'k8']);
    expect(slow.frames.find((f) => f.startsWith('event: dropped'))).toBe(sseFrame('dropped', { cards: 4, total: 4 }));
    expect(fast.cards()).toEqual(['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8']);
    hub.close();
  });

  it("keeps a staged call's card for a desktop that falls behind while the world's calls go by, and says how many others it skipped", () => {
    const hub = new AssistHub({ heartbeatMs: 0, maxQueuedCards: 3 });
    const desk = new FakeSink();
    hub.subscribe('call', 'agent', desk);
    desk.full = true;
    hub.publish('call', { cardId: 'k0' });
    hub.publish('call', { cardId: 'staged' }, { keep: true });
    // The world's background calls: tens a second on the sandbox's world.
    for (let i = 1; i <= 50; i++) hub.publish('call', { cardId: `k${i}` });
    desk.drain();
    expect(desk.cards()).toEqual(['k0', 'staged', 'k49', 'k50']);
    expect(desk.frames.find((f) => f.startsWith('event: dropped'))).toBe(sseFrame('dropped', { cards: 48, total: 48 }));
    hub.close();
  });

  it('drops kept cards too, oldest first, when nothing else waits: memory stays bounded', () => {
    const hub = new AssistHub({ heartbeatMs: 0, maxQueuedCards: 2 });
    const desk = new FakeSink();
    hub.subscribe('call', 'agent', desk);
    desk.full = true;
    for (let i = 0; i <= 4; i++) hub.publish('call', { cardId: `s${i}` }, { keep: true });
    desk.drain();
    expect(desk.cards()).toEqual(['s0', 's3', 's4']);
    hub.close();
  });

  it('forgets a subscriber that closed', () => {
    const hub = new AssistHub({ heartbeatMs: 0 });
    const sink = new FakeSink();
    const unsubscribe = hub.subscribe('store', 'a', sink);
    unsubscribe();
    expect(hub.publish('store', { cardId: 'k' })).toBe(0);
    expect(hub.subscribers()).toEqual([]);
    hub.close();
  });
});
