import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { syntheticEvents } from './synthetic-events.js';
import { TwinEngine } from './twin-engine.js';
import { RECORD_BYTES } from './twin-layout.js';
import { packTwinRecord, unpackTwinRecord } from './twin-record-bytes.js';

describe('twin records as the store keeps them', () => {
  const engine = new TwinEngine();
  for (const e of syntheticEvents({ customers: 40, days: 120, seed: 5, start: Date.UTC(2026, 0, 1) })) engine.apply(e, Date.parse(e.time));
  const records = [...engine.customerIds()].map((id) => engine.snapshot(id)!);
  const record = records[1];
  const same = (a: Uint8Array | undefined, b: Uint8Array) => a !== undefined && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

  it('keeps a record sparse, in about the bytes deflate took, and gives it back exactly', () => {
    let kept = 0;
    let deflated = 0;
    for (const r of records) {
      const packed = packTwinRecord(r);
      expect(packed[0]).toBe(0xff);
      expect(same(unpackTwinRecord(packed), r)).toBe(true);
      kept += packed.length;
      deflated += deflateRawSync(r, { level: 1 }).length;
    }
    expect(kept / records.length).toBeLessThan(RECORD_BYTES / 3);
    // The sparse form costs an eighth of deflate's CPU for a few per cent more bytes (decision 0039).
    expect(kept).toBeLessThan(deflated * 1.15);
  });

  it('reads a record deflated by the builds before the sparse form exactly (their checkpoints and history snapshots)', () => {
    for (const r of records) expect(same(unpackTwinRecord(deflateRawSync(r, { level: 1 })), r)).toBe(true);
  });

  it('reads a raw record (a store written before records were packed) as it is', () => {
    expect(unpackTwinRecord(record)).toBe(record);
  });

  it('keeps a record that would not shrink raw, in bytes of its own', () => {
    const noise = new Uint8Array(RECORD_BYTES);
    let x = 12345;
    for (let i = 0; i < noise.length; i++) noise[i] = ((x = (x * 1103515245 + 12345) >>> 0) >>> 24) | 1;
    const kept = packTwinRecord(noise);
    expect(same(kept, noise)).toBe(true);
    noise[0] ^= 1;
    expect(kept[0]).not.toBe(noise[0]);
  });

  it('packs a twin from the table in place as from its snapshot, and the packed bytes stay as they were when the twin changes', () => {
    for (const id of ['C1', 'C7']) expect(same(engine.packedSnapshot(id), packTwinRecord(engine.snapshot(id)!))).toBe(true);
    const before = engine.snapshot('C1')!;
    const packed = engine.packedSnapshot('C1')!;
    const later = Date.UTC(2026, 0, 1) + 130 * 86_400_000;
    engine.apply({ id: 'late-usage', kind: 'usage', customerId: 'C1', time: new Date(later).toISOString(), source: 't', v: 1, data: { subscriptionId: 'S1', dataMb: 5, voiceMin: 1, sms: 0, roaming: false } }, later);
    expect(same(engine.snapshot('C1')!, before)).toBe(false);
    expect(same(unpackTwinRecord(packed), before)).toBe(true);
    expect(engine.packedSnapshot('missing')).toBeUndefined();
  });

  it('packs any record, aligned or not, and gives it back exactly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: RECORD_BYTES, maxLength: RECORD_BYTES }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 7 }), (noise, zeroPct, offset) => {
        // Sparse like a twin's record: most bytes zero, the rest anything (the first and last groups too).
        const host = new Uint8Array(RECORD_BYTES + offset);
        const r = host.subarray(offset);
        for (let i = 0; i < RECORD_BYTES; i++) r[i] = (noise[i] * 37 + i) % 100 < zeroPct ? 0 : noise[i];
        const packed = packTwinRecord(r);
        expect(packed.length).toBeLessThanOrEqual(RECORD_BYTES);
        expect(same(unpackTwinRecord(packed), r)).toBe(true);
      }),
      { numRuns: 300 },
    );
    const zeros = new Uint8Array(RECORD_BYTES);
    expect(packTwinRecord(zeros).length).toBeLessThan(64);
    expect(same(unpackTwinRecord(packTwinRecord(zeros)), zeros)).toBe(true);
  });

  it('refuses a record of another layout, raw, deflated or sparse, and bytes that are no record', () => {
    const shorter = record.slice(0, RECORD_BYTES - 64);
    expect(unpackTwinRecord(shorter)).toBeUndefined();
    expect(unpackTwinRecord(deflateRawSync(shorter))).toBeUndefined();
    expect(unpackTwinRecord(new Uint8Array([1, 2, 3]))).toBeUndefined();
    const packed = packTwinRecord(record);
    // Another layout's length in the header, another version of the form, cut short, a byte too many.
    const otherLength = packed.slice();
    otherLength[2] ^= 8;
    expect(unpackTwinRecord(otherLength)).toBeUndefined();
    const otherVersion = packed.slice();
    otherVersion[1] = 2;
    expect(unpackTwinRecord(otherVersion)).toBeUndefined();
    expect(unpackTwinRecord(packed.slice(0, packed.length - 1))).toBeUndefined();
    expect(unpackTwinRecord(packed.slice(0, 20))).toBeUndefined();
    expect(unpackTwinRecord(Buffer.concat([packed, Buffer.from([7])]))).toBeUndefined();
  });
});
