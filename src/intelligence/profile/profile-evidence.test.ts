import { describe, expect, it } from 'vitest';
import { MONTH_MS } from '../../domain/time.js';
import type { ContactRecord } from '../../twin/twin-responses.js';
import { periodSinceHoldout, periodsOfEndedEpisode } from './profile-evidence.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const record = (r: Partial<ContactRecord>): ContactRecord => ({ byKind: {} as ContactRecord['byKind'], presented: 0, accepted: 0, declined: 0, ignored: 0, lastContactAt: 0, lastAcceptedAt: 0, leftAt: 0, ...r });

describe('a held-out customer\u2019s period', () => {
  it('is untreated from the holdout to now, or to when the customer left', () => {
    expect(periodSinceHoldout(record({}), 0.05, T0, T0 + 2 * MONTH_MS)).toEqual([{ expected: 0.1, churned: false, branch: 'none' }]);
    const [left] = periodSinceHoldout(record({ leftAt: T0 + MONTH_MS / 2 }), 0.05, T0, T0 + 2 * MONTH_MS);
    expect(left.churned).toBe(true);
    expect(left.expected).toBeCloseTo(0.025, 12);
    // Left before the holdout: nothing watched.
    expect(periodSinceHoldout(record({ leftAt: T0 - 1 }), 0.05, T0, T0 + MONTH_MS)).toEqual([]);
  });

  it('ends when the customer is contacted: a later contact\u2019s periods are read as a contact\u2019s', () => {
    expect(periodSinceHoldout(record({ lastContactAt: T0 + MONTH_MS, leftAt: T0 + 1.5 * MONTH_MS }), 0.05, T0, T0 + 2 * MONTH_MS)).toEqual([{ expected: 0.05, churned: false, branch: 'none' }]);
    // A contact before the holdout (its window over, or the customer would not have been chosen) does not end it.
    expect(periodSinceHoldout(record({ lastContactAt: T0 - 4 * MONTH_MS }), 0.05, T0, T0 + MONTH_MS)).toHaveLength(1);
  });
});

describe('an episode a later choice of the same customer ended', () => {
  const W = 3 * MONTH_MS;
  it('keeps a holdout\u2019s untreated months up to the later choice, nobody leaving in them', () => {
    expect(periodsOfEndedEpisode({ at: T0, heldOut: true, accepted: false }, 0.05, T0 + 2 * MONTH_MS, W)).toEqual([{ expected: 0.1, churned: false, branch: 'none' }]);
  });

  it('keeps a contact\u2019s window, accepted or not, and the untreated months after it', () => {
    const accepted = periodsOfEndedEpisode({ at: T0, heldOut: false, accepted: true }, 0.05, T0 + 5 * MONTH_MS, W);
    expect(accepted.map((p) => p.branch)).toEqual(['accepted', 'none']);
    expect(accepted[0].expected).toBeCloseTo(0.15, 12);
    expect(accepted[1].expected).toBeCloseTo(0.1, 12);
    expect(accepted.every((p) => !p.churned)).toBe(true);
    // Ended inside the window: only the window's part, as contacted.
    const early = periodsOfEndedEpisode({ at: T0, heldOut: false, accepted: false }, 0.05, T0 + MONTH_MS, W);
    expect(early).toHaveLength(1);
    expect(early[0]).toMatchObject({ branch: 'contacted', churned: false });
    expect(early[0].expected).toBeCloseTo(0.05, 12);
    // Ended when it began: nothing watched.
    expect(periodsOfEndedEpisode({ at: T0, heldOut: false, accepted: true }, 0.05, T0, W)).toEqual([]);
  });
});
