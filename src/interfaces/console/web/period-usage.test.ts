import { describe, expect, it } from 'vitest';
import { periodUsageLines } from './period-usage';

/** The period in progress as the customer page and the care card write it. */
describe('periodUsageLines', () => {
  it('says a customer at 140 % of their data by day 20 of the period is over it', () => {
    const lines = periodUsageLines({ basis: 'since-last-bill', from: '2026-11-22', through: '2026-12-11', days: 20, dataMb: 2867.2, voiceMin: 120, sms: 40, dataAllowanceMb: 2048, voiceAllowanceMin: 300, dataShare: 1.4, voiceShare: 0.4 });
    expect(lines.period).toBe('since the bill of 2026-11-22, 20 days through 2026-12-11');
    expect(lines.data).toEqual({ text: '2,867 MB of 2,048 MB (140 %): over the allowance', band: 'over' });
    expect(lines.voice).toEqual({ text: '120 min of 300 min (40 %)', band: 'within' });
  });

  it('marks one near its allowance, and says when there is none or no bill', () => {
    const lines = periodUsageLines({ basis: 'calendar-month', from: '2026-12-01', through: '2026-12-01', days: 1, dataMb: 20, voiceMin: 85, sms: 0, dataAllowanceMb: 0, voiceAllowanceMin: 100, dataShare: null, voiceShare: 0.85 });
    expect(lines.period).toBe('since 2026-12-01 (calendar month: no bill in the last cycle), 1 day through 2026-12-01');
    expect(lines.data).toEqual({ text: '20 MB (no allowance given)', band: 'within' });
    expect(lines.voice.band).toBe('near');
  });
});
