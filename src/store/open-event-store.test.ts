import { describe, expect, it } from 'vitest';
import { openEventStore } from './open-event-store.js';
import type { StoreOptions } from './store-options.js';

describe('openEventStore', () => {
  it('rejects an unknown kind', async () => {
    const options = { kind: 'mongo' } as unknown as StoreOptions;
    await expect(openEventStore(options)).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});
