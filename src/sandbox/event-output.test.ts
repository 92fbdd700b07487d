import { describe, expect, it } from 'vitest';
import type { TwinEvent } from '../domain/events.js';
import { NDJSON_CHUNK_CHARS, NdjsonOutput, usageEvent } from './event-output.js';

const event = (i: number, name: string): TwinEvent =>
  ({ id: `E${i}`, customerId: 'C1', time: '2026-01-01T00:00:00.000Z', source: 'sandbox', v: 1, kind: 'subscription', data: { action: 'plan_changed', subscriptionId: 'S1', productKind: 'plan', productId: name, monthlyPrice: 19.99 } }) as TwinEvent;

describe('NdjsonOutput', () => {
  it('writes what JSON.stringify writes, as UTF-8, for ASCII, escaped, non-ASCII and over-long events alike', () => {
    const chunks: Buffer[] = [];
    const out = new NdjsonOutput((c) => chunks.push(Buffer.from(c)));
    const events = [
      event(1, 'Basic 10'),
      event(2, 'Été illimité'),
      event(3, 'say "hi"\\\n'),
      usageEvent('U1', 'C1', '2026-01-01T23:00:00.000Z', 'S1', 12.3, 4, 2, false, 'cell-1', 'site-0'),
      // Longer than a whole chunk: written on its own.
      event(4, 'x'.repeat(NDJSON_CHUNK_CHARS + 10)),
      event(5, 'ü'.repeat(200_000)),
    ];
    for (const e of events) {
      if (e.kind === 'usage') {
        const d = e.data;
        out.usage(0, 'U', 1, e.customerId, e.time, d.subscriptionId, d.dataMb!, d.voiceMin!, d.sms!, d.roaming!, d.cellId!, d.siteId!);
      } else out.event(e);
    }
    out.flush();
    expect(Buffer.concat(chunks).toString('utf8')).toBe(events.map((e) => JSON.stringify(e) + '\n').join(''));
    expect(out.count).toBe(events.length);
  });
});

describe('NdjsonOutput with spare buffers', () => {
  it('fills a spare buffer handed back after its chunk was taken, and the text is the same as with fresh ones', () => {
    const usage = (out: NdjsonOutput, n: number) => {
      for (let i = 0; i < n; i++) out.usage(i % 50, 'U', i, `C${i % 50}`, `2026-01-0${1 + (i % 9)}T23:00:00.000Z`, `S${i % 50}`, (i % 300) / 10, i % 90, i % 7, i % 11 === 0, `cell-${i % 40}`, `site-${i % 10}`);
      out.flush();
    };
    const fresh: Buffer[] = [];
    usage(new NdjsonOutput((c) => fresh.push(Buffer.from(c))), 20_000);
    // The receiver copies each chunk out, then hands its buffer back as a spare (as the file writer does once written).
    const copied: Buffer[] = [];
    const spares: Buffer[] = [];
    const wholes = new Set<Buffer>();
    const reused = new NdjsonOutput(
      (chunk, whole) => {
        copied.push(Buffer.from(chunk));
        wholes.add(whole);
        spares.push(whole);
      },
      () => spares.pop(),
    );
    usage(reused, 20_000);
    expect(copied.length).toBeGreaterThan(3);
    // Handed back at once, the first buffer went round and round: every chunk was written into it.
    expect(wholes.size).toBe(1);
    expect(Buffer.concat(copied).equals(Buffer.concat(fresh))).toBe(true);
  });
});
