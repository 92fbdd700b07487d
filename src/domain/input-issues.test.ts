import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { describeInputIssues } from './input-issues.js';

const problems = (schema: z.ZodType, input: unknown, options?: Parameters<typeof describeInputIssues>[2]) => {
  const r = schema.safeParse(input);
  if (r.success) throw new Error('expected a refusal');
  return describeInputIssues(r.error.issues, input, options);
};

describe('validation problems in the sender\'s words', () => {
  it('names each field as written, what was expected and what came as it was sent (not NaN)', () => {
    const query = z.object({ limit: z.coerce.number().int().min(1).max(1000) });
    expect(problems(query, { limit: 'abc' }, { label: 'query parameter ' })).toBe('query parameter limit: expected a number, got "abc"');
    expect(problems(query, { limit: '0' }, { label: 'query parameter ' })).toBe('query parameter limit: expected at least 1, got "0"');
    const doc = z.object({ scenarios: z.array(z.object({ targeting: z.object({ k: z.int().min(1) }) })) });
    expect(problems(doc, { scenarios: [{ targeting: { k: 0.5 } }] })).toBe('scenarios[0].targeting.k: expected a whole number, got 0.5');
  });

  it('says every problem, none hidden behind a count, and a missing field as required', () => {
    const body = z.strictObject({ a: z.string(), b: z.enum(['x', 'y']), c: z.array(z.number()).min(2), d: z.string().max(3), e: z.number().positive() });
    expect(problems(body, { b: 'z', c: [1], d: 'long', e: 0, f: 1 })).toBe(
      'a: required: text; b: expected one of x, y, got "z"; c: expected at least 2 items, got [1]; d: expected at most 3 characters, got "long"; e: expected above 0, got 0; f: not a field here; leave it out (or check its spelling)',
    );
  });

  it('suggests the nearest allowed value for a misspelt one', () => {
    const key = z.object({ role: z.enum(['viewer', 'care_agent', 'admin']) });
    expect(problems(key, { role: 'viewr' })).toBe('role: expected one of viewer, care_agent, admin, got "viewr"; did you mean viewer?');
    expect(problems(key, { role: 'nobody-near' })).toBe('role: expected one of viewer, care_agent, admin, got "nobody-near"');
  });

  it("keeps a schema's own words, adds what came when they do not say it, and reads a union by the branch the sender meant", () => {
    const own = z.object({ mode: z.string().refine((v) => v === 'on', { message: 'say on' }) });
    expect(problems(own, { mode: 'off' })).toBe('mode: say on (got "off")');
    const either = z.object({ target: z.union([z.object({ kind: z.literal('top_k'), k: z.number() }), z.array(z.string())]) });
    expect(problems(either, { target: { kind: 'top_k', k: 'ten' } })).toBe('target.k: expected a number, got "ten"');
    expect(problems(z.number(), 'x', { whole: 'the body' })).toBe('the body: expected a number, got "x"');
  });

  it('cuts a long received value rather than echo it whole', () => {
    const message = problems(z.object({ n: z.number() }), { n: 'x'.repeat(10_000) });
    expect(message.length).toBeLessThan(120);
    expect(message).toMatch(/^n: expected a number, got "x+…$/);
  });
});
