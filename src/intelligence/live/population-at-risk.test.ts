import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { riskiestShareLevel } from './churn-risk-levels.js';
import { mergeRiskiestScores, riskiestScoresOf, riskiestShareOverParts, type RiskiestScoresAsk, type RiskiestScoresPart } from './population-at-risk.js';

/** The level over parts held in memory, each answering as a worker does. */
async function overParts(parts: readonly (readonly number[])[], share: number) {
  return riskiestShareOverParts(parts.length, share, async (asks) => new Map([...asks].map(([i, ask]) => [i, riskiestScoresOf(parts[i], ask)] as const)));
}

/** Scores as a served churn model gives them: many ties (a tree's few leaves), a few not scored. */
const score = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.constantFrom(0.01, 0.02, 0.05, 0.1, 0.3),
  fc.constant(Number.NaN),
);

describe('the riskiest share over parts', () => {
  it('is the level one process holding every score reads, however the scores are split over the parts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(score, { maxLength: 60 }), { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0.001, max: 1, noNaN: true }),
        async (parts, share) => {
          const all = parts.flat();
          const { level, rounds } = await overParts(parts, share);
          const scored = all.filter(Number.isFinite).length;
          expect(level?.churn).toBe(riskiestShareLevel(all, share));
          expect(level === undefined ? undefined : level.of).toBe(scored === 0 ? undefined : scored);
          // The first round and at most one more when the scores hold still.
          expect(rounds).toBeLessThanOrEqual(2);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('asks again the part whose own tenth was cut above the population\'s level, for every score from it', () => {
    // One part holds the riskiest customers of all: its own tenth (1 of 10) misses the population's second.
    const a = riskiestScoresOf([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05], { share: 0.1 });
    const b = riskiestScoresOf([0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01], { share: 0.1 });
    expect(a).toEqual({ scored: 10, top: [0.9], from: 0.9 });
    const first = mergeRiskiestScores([a, b], 0.1);
    // Read from the union {0.9, 0.01 ×10} the second highest is 0.01: part a may hold more above it.
    expect(first).toEqual({ askAgain: new Map<number, RiskiestScoresAsk>([[0, { atLeast: 0.01 }]]) });
    const again: RiskiestScoresPart = riskiestScoresOf([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05], { atLeast: 0.01 });
    expect(mergeRiskiestScores([again, b], 0.1)).toEqual({ level: { churn: 0.8, share: 0.1, of: 20 } });
  });

  it('takes nobody scored as no level, and a part with nobody scored as adding nothing', async () => {
    expect((await overParts([[], [Number.NaN]], 0.1)).level).toBeUndefined();
    expect((await overParts([[], [0.4, 0.2]], 0.5)).level).toEqual({ churn: 0.4, share: 0.5, of: 2 });
  });

  it('asks for each part\'s highest when the scores moved and too few were sent, and gives up on scores that never hold still', async () => {
    const moved = mergeRiskiestScores([{ scored: 30, top: [0.5], from: 0.5 }, { scored: 30, top: [], from: Number.POSITIVE_INFINITY }], 0.1);
    expect(moved).toEqual({ askAgain: new Map([[0, { top: 6 }], [1, { top: 6 }]]) });
    // A part answering each round as if its scores had all risen since: never settled.
    let rise = 0;
    const restless = riskiestShareOverParts(2, 0.1, async (asks) => new Map([...asks].map(([i]) => [i, { scored: 20, top: [0.5 + rise++], from: 0.5 + rise }] as const)));
    await expect(restless).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('moved') });
  });
});
