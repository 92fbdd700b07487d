import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { syntheticEvents } from './synthetic-events.js';
import { TwinEngine } from './twin-engine.js';
import { RECORD_BYTES } from './twin-layout.js';
import { packTwinRecord, unpackTwinRecord } from './twin-record-bytes.js';

describe('twin records as the store keeps them', () => {
  const engine = new TwinEngine();
  for (const e of syntheticEvents({ customers: 3, days: 40, seed: 5, start: Date.UTC(2026, 0, 1) })) engine.apply(e, Date.parse(e.time));
  const record = engine.snapshot('C1')!.slice();

  it('keeps a record deflated, in a fraction of its bytes, and gives it back exactly', () => {
    const kept = packTwinRecord(record);
    expect(kept.length).toBeLessThan(RECORD_BYTES / 2);
    expect(Buffer.from(unpackTwinRecord(kept)!).equals(record)).toBe(true);
  });

  it('reads a raw record (a store written before records were deflated) as it is', () => {
    expect(unpackTwinRecord(record)).toBe(record);
  });

  it('keeps a record that would not shrink raw', () => {
    const noise = new Uint8Array(RECORD_BYTES);
    let x = 12345;
    for (let i = 0; i < noise.length; i++) noise[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    expect(packTwinRecord(noise)).toBe(noise);
  });

  it('refuses a record of another layout, raw or deflated, and bytes that are no record', () => {
    const shorter = record.slice(0, RECORD_BYTES - 64);
    expect(unpackTwinRecord(shorter)).toBeUndefined();
    expect(unpackTwinRecord(deflateRawSync(shorter))).toBeUndefined();
    expect(unpackTwinRecord(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });
});
