import { describe, expect, it } from 'vitest';
import { isCi, maxWorkersFor } from '../vitest.config.js';

describe('vitest.config: CI by the usual convention', () => {
  it('reads CI=false, CI=0 and an empty CI as not CI: the default workers, as on a shared machine', () => {
    for (const CI of ['false', 'FALSE', '0', '', ' ']) {
      expect(isCi({ CI }), `CI=${JSON.stringify(CI)}`).toBe(false);
      expect(maxWorkersFor({ CI }, 8)).toBeUndefined();
    }
    expect(maxWorkersFor({}, 8)).toBeUndefined();
  });

  it('reads CI=true, CI=1 or any other value as CI: a file per core, at least two', () => {
    for (const CI of ['true', '1', 'github-actions']) expect(isCi({ CI }), `CI=${CI}`).toBe(true);
    expect(maxWorkersFor({ CI: 'true' }, 8)).toBe(8);
    expect(maxWorkersFor({ CI: '1' }, 1)).toBe(2);
  });
});
