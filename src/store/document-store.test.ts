import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryDocuments, recordDocuments } from './document-store.js';
import { openRecordStore } from './open-record-store.js';
import { MAX_PAGE_SIZE } from './record-store.js';

describe('document stores', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-documents-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keep the last write of each document and list every one, past a page of the record store', async () => {
    const records = await openRecordStore({ kind: 'sqlite', dataDir: dir });
    try {
      const docs = recordDocuments<{ n: number }>(records, 'things');
      const n = MAX_PAGE_SIZE + 5;
      for (let i = 0; i < n; i++) await docs.put(`t${String(i).padStart(5, '0')}`, { n: i });
      await docs.put('t00000', { n: -1 });
      expect(await docs.get('t00000')).toEqual({ n: -1 });
      expect(await docs.get('nothing')).toBeUndefined();
      const all = await docs.list();
      expect(all).toHaveLength(n);
      expect(all.at(-1)).toEqual({ n: n - 1 });
      // Another collection is another store.
      expect(await recordDocuments(records, 'others').list()).toEqual([]);
    } finally {
      await records.close();
    }
  });

  it('in memory, hand out copies in id order, so a caller cannot change what is kept', async () => {
    const docs = memoryDocuments<{ tags: string[] }>();
    const doc = { tags: ['a'] };
    await docs.put('b', doc);
    await docs.put('a', { tags: [] });
    doc.tags.push('changed after put');
    const read = await docs.get('b');
    read!.tags.push('changed after get');
    expect(await docs.get('b')).toEqual({ tags: ['a'] });
    expect((await docs.list()).map((d) => d.tags.length)).toEqual([0, 1]);
  });
});
