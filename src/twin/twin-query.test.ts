import { describe, expect, it } from 'vitest';
import { parseFilterQuery } from './feature-filter.js';
import { queryTwinsInPartitionOrder } from './partition-order.js';
import { syntheticEngine } from './synthetic-events.js';
import { countTwins, queryFields, queryTwins, queryTwinsSorted, type ExtraFields } from './twin-query.js';

const population = (customers: number) => syntheticEngine({ customers, days: 3, seed: 5 });

/** A score per twin (its number), counting the passes that asked for a reader and the twins read. */
function countedScores() {
  const counted = { readers: 0, reads: 0 };
  const scoreOf = (id: string) => Number(id.replace(/\D/g, '')) / 1000;
  const fields: ExtraFields = {
    names: ['churn'],
    reader() {
      counted.readers++;
      return (id, out, offset) => {
        counted.reads++;
        out[offset] = scoreOf(id);
      };
    },
    readable: () => true,
  };
  return { fields, counted, scoreOf };
}

describe('twin lists read the live scores only where the list needs them', () => {
  const engine = population(400);
  const ids = [...engine.customerIds()];

  it('sorted by a feature, reads the scores of the page it shows, not of every twin it ranks', () => {
    const { fields, counted, scoreOf } = countedScores();
    const page = queryTwinsSorted(engine, [], { field: 'monthly_price', descending: true }, 0, 5, fields);
    expect(page.items).toHaveLength(5);
    for (const t of page.items) expect(t.scores).toEqual({ churn: scoreOf(t.customerId) });
    const prices = page.items.map((t) => t.features.monthly_price);
    expect(prices).toEqual([...prices].sort((a, b) => b - a));
    expect(counted.reads).toBe(5);
    // Sorted by the score itself, every twin is read to rank them, by one reader.
    const byScore = queryTwinsSorted(engine, [], { field: 'churn', descending: true }, 0, 3, fields);
    expect(byScore.items.map((t) => t.scores!.churn)).toEqual([...ids].map(scoreOf).sort((a, b) => b - a).slice(0, 3));
    expect(counted.readers).toBe(2);
  });

  it('filtered on a feature, reads the scores of the twins listed only; filtered on a score, of every twin it tests', () => {
    const { fields, counted, scoreOf } = countedScores();
    const filters = parseFilterQuery({ 'monthly_price.gt': '30' }, queryFields(fields));
    const page = queryTwins(engine, filters, 0, 1000, fields);
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.length).toBeLessThan(ids.length);
    expect(page.items.every((t) => t.features.monthly_price > 30 && t.scores!.churn === scoreOf(t.customerId))).toBe(true);
    expect(counted.reads).toBe(page.items.length);
    const walked = queryTwinsInPartitionOrder(engine, filters, undefined, 1000, () => true, fields);
    expect(walked.items.map((t) => t.customerId).sort()).toEqual(page.items.map((t) => t.customerId).sort());
    expect(walked.items.every((t) => t.scores!.churn === scoreOf(t.customerId))).toBe(true);
    expect(counted.reads).toBe(2 * page.items.length);
    counted.reads = 0;
    const onScore = parseFilterQuery({ 'churn.gte': '0.2' }, queryFields(fields));
    expect(queryTwins(engine, onScore, 0, 1000, fields).items.map((t) => t.customerId)).toEqual(ids.filter((id) => scoreOf(id) >= 0.2));
    expect(counted.reads).toBe(ids.length);
    expect(countTwins(engine, [onScore, []], fields)).toEqual([ids.filter((id) => scoreOf(id) >= 0.2).length, ids.length]);
  });
});
