import { describe, expect, it } from 'vitest';
import { churnedSummary } from './churned-customer';
import type { TimelineItem } from './timeline';

const item = (seq: number, kind: string, time: string, data: Record<string, unknown>): TimelineItem => ({ seq, kind, time, event: { id: `e${seq}`, data } });

describe("a churned customer's page", () => {
  it('says when they left and what was done for them before, newest first, in the words of the timeline', () => {
    const items = [
      item(1, 'bill', '2026-10-26T02:00:00Z', { billId: 'B1', amount: 57.5, currency: 'EUR', periodStart: '2026-09-26', periodEnd: '2026-10-25' }),
      item(2, 'action', '2026-11-02T10:00:00Z', { actionClass: 'offer', offerId: 'retain-10', status: 'presented', channel: 'app' }),
      item(3, 'offer', '2026-11-04T10:00:00Z', { offerId: 'retain-10', action: 'declined', channel: 'app' }),
      item(4, 'subscription', '2026-12-12T20:00:00Z', { action: 'terminated', productId: 'dsl-m' }),
      // After they left (a late answer's outcome): not "before they left".
      item(5, 'outcome', '2026-12-20T00:00:00Z', { result: 'churned' }),
    ];
    const s = churnedSummary('2026-12-12T20:00:00Z', items);
    expect(s.actions).toBe(2);
    expect(s.lastActions.map((a) => a.time)).toEqual(['2026-11-04T10:00:00Z', '2026-11-02T10:00:00Z']);
    expect(s.lastActions[1].text).toMatch(/^action offer retain-10 presented on app/);
    expect(churnedSummary('2026-12-12T20:00:00Z', items.slice(0, 1))).toEqual({ leftAt: '2026-12-12T20:00:00Z', actions: 0, lastActions: [] });
  });
});
