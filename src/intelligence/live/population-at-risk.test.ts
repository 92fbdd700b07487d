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
        // Parts as risky as each other (a hash's split) or not (one holding the riskiest: a second round).
        fc.array(fc.tuple(fc.constantFrom(1, 1, 0.01), fc.array(score, { maxLength: 400, size: 'max' })).map(([scale, scores]) => scores.map((x) => x * scale)), { minLength: 1, maxLength: 6 }),
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

  it('asks again the part whose own tenth was cut above the population\'s level, for its scores from the level up to its cut', () => {
    // One part holds the riskiest customers of all: its own tenth and margin (148 of 1,000) miss the population's 200 riskiest.
    const riskiest = Array.from({ length: 1000 }, (_, i) => (1000 - i) / 1000);
    const calm = new Array<number>(1000).fill(0.001);
    const a = riskiestScoresOf(riskiest, { share: 0.1 });
    expect({ sent: a.top.length, from: a.from }).toEqual({ sent: 148, from: 0.853 });
    const b = riskiestScoresOf(calm, { share: 0.1 });
    // Read from the union, the 200th highest is 0.001: part a may hold more above it, below its cut.
    expect(mergeRiskiestScores([a, b], 0.1)).toEqual({ askAgain: new Map<number, RiskiestScoresAsk>([[0, { atLeast: 0.001, below: 0.853 }]]) });
    const rest: RiskiestScoresPart = riskiestScoresOf(riskiest, { atLeast: 0.001, below: 0.853 });
    // Only what it had not sent.
    expect(rest.top.length).toBe(1000 - 148);
    expect(mergeRiskiestScores([{ ...rest, top: [...a.top, ...rest.top] }, b], 0.1)).toEqual({ level: { churn: 0.801, share: 0.1, of: 2000 } });
  });

  it('reads the level over parts the customers were hashed to in one round, sending little more than the share', async () => {
    // 30,000 scores over 4 parts, drawn as a hash draws them: the parts' counts among the riskiest vary by about √k.
    let seed = 7;
    const draw = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const parts: number[][] = [[], [], [], []];
    for (let i = 0; i < 30_000; i++) parts[Math.floor(draw() * 4)].push(Math.round(draw() ** 3 * 1e4) / 1e4);
    let sent = 0;
    const r = await riskiestShareOverParts(4, 0.1, async (asks) => new Map([...asks].map(([i, ask]) => {
      const part = riskiestScoresOf(parts[i], ask);
      sent += part.top.length;
      return [i, part] as const;
    })));
    expect(r).toEqual({ level: { churn: riskiestShareLevel(parts.flat(), 0.1), share: 0.1, of: 30_000 }, rounds: 1 });
    expect(sent / 30_000).toBeLessThan(0.12);
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
