import { describe, expect, it } from 'vitest';
import { leadText } from './service-ops-command.js';

describe('service-ops: when the first suspicion came against the raise', () => {
  it('reads a lead as time before the raise, and a suspicion after the raise as such, never a negative time before it', () => {
    expect(leadText(12 * 60_000)).toBe('12.0 min before the raise');
    expect(leadText(0)).toBe('0.0 min before the raise');
    expect(leadText(-6.3 * 60_000)).toBe('the first suspicion came 6.3 min after the raise');
  });
});
