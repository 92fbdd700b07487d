import { describe, expect, it } from 'vitest';
import { campaignStateText } from './campaign-state';

describe('campaignStateText', () => {
  const waiting = { status: 'waiting', hold: null, ended: null, nextTickAt: '2026-12-24T10:00:00.000Z' };

  it('names the next tick while it is ahead of the event clock', () => {
    expect(campaignStateText(waiting, '2026-12-24T09:00:00.000Z')).toBe('waiting for its next tick (2026-12-24 10:00 UTC)');
    expect(campaignStateText(waiting, null)).toBe('waiting for its next tick (2026-12-24 10:00 UTC)');
  });

  it('says a tick the event clock has passed is due, not awaited (a newcomer read a tick of yesterday as a campaign stuck)', () => {
    expect(campaignStateText(waiting, '2026-12-25T00:10:00.000Z')).toBe("its tick of 2026-12-24 10:00 UTC is due (the server, behind the world's clock, runs it next)");
  });

  it('says a campaign whose audience is used up waits for its end, not for a tick, and that nobody new enters it', () => {
    expect(campaignStateText({ ...waiting, audienceUsedUp: true, endAt: '2027-01-20T12:07:12.000Z' }, '2026-12-24T09:00:00.000Z')).toBe(
      'its audience is used up: nobody left to contact and nobody new enters it; it moves no more budget and waits for its end (2027-01-20 12:07 UTC) to hear the last answers',
    );
  });

  it('reads a paused, a running and an ended campaign as before', () => {
    expect(campaignStateText({ ...waiting, hold: { held: true } }, '2026-12-25T00:10:00.000Z')).toBe('paused by a person');
    expect(campaignStateText({ ...waiting, status: 'running', nextTickAt: null }, null)).toBe('running');
    expect(campaignStateText({ ...waiting, status: 'succeeded', ended: 'ended at its end date' }, null)).toBe('ended at its end date');
  });
});
