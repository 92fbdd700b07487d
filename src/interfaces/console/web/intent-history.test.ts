import { describe, expect, it } from 'vitest';
import { historyDetails } from './intent-history';

describe("an intent's history on its page", () => {
  it('points to a long reason the page says already instead of writing it out three times', () => {
    const reason = 'segment "high-value, at-risk" holds 89 active customers, fewer than the 100 a plan needs (its control group would measure nothing)';
    const events = [{ detail: 'from text, by admin' }, { detail: 'planning by simulation over the segment' }, { detail: reason }, { detail: `no plan: ${reason}` }];
    expect(historyDetails(events, [`failed: no plan: ${reason}`])).toEqual(['from text, by admin', 'planning by simulation over the segment', 'the reason on the stage line above', 'the reason on the stage line above']);
    // With no stage line saying it, the first event says it and the next points to it.
    expect(historyDetails(events, []).slice(2)).toEqual([reason, 'no plan: (the reason above)']);
  });
});
