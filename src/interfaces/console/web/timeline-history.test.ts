import { describe, expect, it } from 'vitest';
import { historyNote, rereadInMs } from './timeline-history';

/** As GET /twins/C000123/timeline answered on npm start's default world, 15 % of its history written. */
const answered = { stage: 'writing' as const, written: 0.15771105682179176, retryAfterSeconds: 648, note: "reading the events of customer C000123 reaches the first start's history, which is still being written to the log from its seed (15 % of it is written; then it is sealed, regrouped by customer); all written in about 648 s at its pace so far: ask again in 648 s" };

describe("the customer page's note while the first start's history is written behind", () => {
  it('says the timeline lists the live events only, how far the history is, and when the page reads it again', () => {
    expect(historyNote(answered)).toBe(
      "Only the customer's events since the first start's history are listed, and the usage and bills charted from them: that history (the year before) is still being written to the log behind the intake (16 % written). This page reads it again in 5 min.",
    );
    expect(historyNote({ ...answered, stage: 'sealing', written: 1, sealed: 0.4, retryAfterSeconds: 20 })).toMatch(/that history \(the year before\) is written to the log and being sealed, regrouped by customer \(40 % sealed\)\. This page reads it again in under a minute\.$/);
  });

  it('says no event is listed yet while the history still goes through the intake (the timeline answered 503 then)', () => {
    const loading = { stage: 'intake' as const, written: 0, retryAfterSeconds: 5, note: "reading the events of customer C000001 reaches the first start's history, which is still going through the intake before it is written to the log from its seed; ask again in 5 s" };
    expect(historyNote(loading)).toBe(
      "No event of the customer's is listed yet: the first start's history (the year before) is still going through the intake (the customer's facts above fill in as it goes), and is written to the log after it. This page reads it again in under a minute.",
    );
  });

  it('reads again when the server says, within 5 s to 5 min', () => {
    expect(rereadInMs({ ...answered, retryAfterSeconds: 30 })).toBe(30_000);
    expect(rereadInMs({ ...answered, retryAfterSeconds: 1 })).toBe(5_000);
    expect(rereadInMs(answered)).toBe(300_000);
  });
});
