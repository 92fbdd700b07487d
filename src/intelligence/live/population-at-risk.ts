import { TwinloopError } from '../../domain/errors.js';
import { kthLargest } from '../../domain/kth-largest.js';
import type { RiskiestShareLevel } from './churn-risk-levels.js';

/**
 * "At risk" over a population held in parts (the partition workers, decision 0012): the score the
 * riskiest share starts at over every part's scores together, exactly the level one process
 * holding them all reads (`riskiestShareLevel`), found from each part's highest scores without
 * gathering them all. Each part sends its own riskiest share (and a margin) first; the level read
 * from their union is exact unless a part may hold, unsent, scores above it (its own cut higher
 * than the population's level): such a part is asked again for its scores from that level up to its
 * cut, which makes it exact (decision 0092). A level read per part (each worker its own tenth) put a customer
 * near it at risk on one worker and not on another.
 */

/**
 * What a part is asked for: its own riskiest `share` and a margin (the first round), its `top`
 * highest, or every score `atLeast` this and, when `below` is given, below that (what it sent before
 * is not sent again).
 */
export type RiskiestScoresAsk = { readonly share: number } | { readonly top: number } | { readonly atLeast: number; readonly below?: number };

/** A part's answer: how many it scored, and every score of its at or above `from` (those below are not sent). */
export interface RiskiestScoresPart {
  /** Its scored customers (finite scores). */
  readonly scored: number;
  /** Every score of the part at `from` or above, in no order. */
  readonly top: readonly number[];
  /** The bound the part was read down to: none of its scores below it is in `top`; +Infinity when none was sent. */
  readonly from: number;
}

/** The population's level as the gateway serves it to every worker: read off one model's scores, at a time. */
export interface PopulationAtRiskLevel extends RiskiestShareLevel {
  /** The churn model whose scores it was read from: a worker serving another holds no level until the next read. */
  readonly modelId: string;
  /** When it was read (ISO time, the wall's). */
  readonly at: string;
}

/** Rounds of asking before a read is given up (the scores moved between rounds): two suffice when they hold still, one mostly. */
const MAX_ROUNDS = 4;

/** How many of `n` scores the riskiest `share` is: at least one, at most all (as `riskiestShareLevel` counts). */
function shareCount(n: number, share: number): number {
  return Math.min(n, Math.max(1, Math.ceil(n * share)));
}

/**
 * What a part sends in the first round beyond its own share's k: the customers are split over the
 * parts by a hash of their ids, so a part's count among the population's riskiest varies around its
 * k by about √k; four of those and a few more make a second round rare (a part asked again when its
 * count fell beyond that), for a few percent more scores sent (`bench at-risk`).
 */
function firstRoundMargin(k: number): number {
  return Math.ceil(4 * Math.sqrt(k)) + 8;
}

/** A part's answer to `ask` over its `scores` (non-finite ones are not scored, as `riskiestShareLevel` leaves them out). */
export function riskiestScoresOf(scores: ArrayLike<number>, ask: RiskiestScoresAsk): RiskiestScoresPart {
  const known = new Float64Array(scores.length);
  let n = 0;
  for (let i = 0; i < scores.length; i++) if (Number.isFinite(scores[i])) known[n++] = scores[i];
  if (n === 0) return { scored: 0, top: [], from: Number.POSITIVE_INFINITY };
  let from: number;
  let below = Number.POSITIVE_INFINITY;
  if ('atLeast' in ask) {
    from = ask.atLeast;
    below = ask.below ?? below;
  } else {
    const wanted = 'share' in ask ? shareCount(n, ask.share) + firstRoundMargin(shareCount(n, ask.share)) : Math.floor(ask.top);
    const k = Math.min(n, Math.max(0, wanted));
    // Selection reorders its input: on a copy, since the scores are filtered from it below.
    from = k === 0 ? Number.POSITIVE_INFINITY : kthLargest(known.slice(0, n), k, n);
  }
  const top: number[] = [];
  for (let i = 0; i < n; i++) if (known[i] >= from && known[i] < below) top.push(known[i]);
  return { scored: n, top, from };
}

/** What merging the parts' answers came to: the level (undefined when nobody is scored), or the parts to ask again and what for. */
export type RiskiestShareMerge = { readonly level: RiskiestShareLevel | undefined } | { readonly askAgain: ReadonlyMap<number, RiskiestScoresAsk> };

/**
 * The level the riskiest `share` of all the parts' scores starts at, when their answers determine
 * it: the k-th largest of the scores sent, where k counts the share of every part's scored; exact
 * when no part may hold, below its `from`, a score above that level. Else the parts to ask again.
 */
export function mergeRiskiestScores(parts: readonly RiskiestScoresPart[], share: number): RiskiestShareMerge {
  const n = parts.reduce((sum, p) => sum + p.scored, 0);
  if (n === 0) return { level: undefined };
  const k = shareCount(n, share);
  const sent = new Float64Array(parts.reduce((sum, p) => sum + p.top.length, 0));
  let at = 0;
  for (const p of parts) for (const x of p.top) sent[at++] = x;
  const askAgain = new Map<number, RiskiestScoresAsk>();
  const partial = (p: RiskiestScoresPart) => p.top.length < p.scored;
  if (sent.length < k) {
    // Fewer sent than the share counts (the scores moved since the first round): each part's k highest are enough.
    parts.forEach((p, i) => partial(p) && askAgain.set(i, { top: k }));
    if (askAgain.size > 0) return { askAgain };
    throw new TwinloopError('INTERNAL', `the parts sent every score (${sent.length}) yet fewer than the ${k} the share counts of ${n}`);
  }
  const level = kthLargest(sent, k);
  // A part whose unsent scores (all below its `from`) may lie above the level could move it: asked for those from the level on.
  parts.forEach((p, i) => partial(p) && p.from > level && askAgain.set(i, { atLeast: level, ...(Number.isFinite(p.from) ? { below: p.from } : {}) }));
  return askAgain.size > 0 ? { askAgain } : { level: { churn: level, share, of: n } };
}

/**
 * The population's level over `parts` parts, each asked through `ask` (by its index; a round's
 * asks together): every part for its own riskiest share, then the parts the merge names until it
 * is exact. UNAVAILABLE when the scores moved under the read for MAX_ROUNDS rounds (read again
 * later); whatever `ask` throws (a part that did not answer) is the caller's.
 */
export async function riskiestShareOverParts(parts: number, share: number, ask: (asks: ReadonlyMap<number, RiskiestScoresAsk>) => Promise<ReadonlyMap<number, RiskiestScoresPart>>): Promise<{ readonly level: RiskiestShareLevel | undefined; readonly rounds: number }> {
  const answers: RiskiestScoresPart[] = new Array(parts);
  let asks: ReadonlyMap<number, RiskiestScoresAsk> = new Map(Array.from({ length: parts }, (_, i) => [i, { share }]));
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const got = await ask(asks);
    for (const [i, asked] of asks) {
      const part = got.get(i);
      if (!part) throw new TwinloopError('INTERNAL', `part ${i} was asked for its riskiest scores and did not answer`);
      // Asked for those below what it sent: added to them.
      answers[i] = 'below' in asked && asked.below !== undefined ? { scored: part.scored, top: [...answers[i].top, ...part.top], from: part.from } : part;
    }
    const merged = mergeRiskiestScores(answers, share);
    if ('level' in merged) return { level: merged.level, rounds: round };
    asks = merged.askAgain;
  }
  throw new TwinloopError('UNAVAILABLE', `the population's riskiest ${share * 100} % was not settled in ${MAX_ROUNDS} rounds (the scores moved while they were read); read again`);
}
