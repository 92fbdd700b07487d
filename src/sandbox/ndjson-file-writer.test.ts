import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NdjsonFileWriter } from './ndjson-file-writer.js';

describe('NdjsonFileWriter', () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('hands a buffer out as a spare only once its write is done, and only of the size asked for', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ndjson-writer-'));
    const path = join(dir, 'out.ndjson');
    const file = await NdjsonFileWriter.open(path);
    const whole = Buffer.alloc(64, 'a'.charCodeAt(0));
    file.write(whole.subarray(0, 10), whole);
    // Still being written: refilling it now would corrupt the file.
    expect(file.spare(64)).toBeUndefined();
    await file.drain(0);
    expect(file.spare(32)).toBeUndefined();
    const back = file.spare(64);
    expect(back).toBe(whole);
    expect(file.spare(64)).toBeUndefined();
    // Refilled and written again after the first chunk.
    back!.fill('b'.charCodeAt(0));
    file.write(back!.subarray(0, 5), back!);
    await file.close();
    expect(readFileSync(path, 'utf8')).toBe('a'.repeat(10) + 'b'.repeat(5));
  });
});
