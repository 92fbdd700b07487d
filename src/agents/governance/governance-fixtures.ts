import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { GovernanceStore } from '../../store/governance-store.js';
import { openGovernanceStore } from '../../store/open-governance-store.js';

/**
 * The governance store a test file's tests share (budgets, approvals, audit): opened on a
 * throw-away data dir (named after `name`) before the file's tests and handed to `opened`, closed
 * and removed after them. Each test keeps apart by its own request ids and customers.
 */
export function governanceStoreForTests(name: string, opened: (store: GovernanceStore) => void): void {
  let dataDir: string | undefined;
  let store: GovernanceStore | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), `twinloop-${name}-`));
    store = await openGovernanceStore({ kind: 'sqlite', dataDir });
    opened(store);
  });
  afterAll(async () => {
    await store?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });
}
