import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateEvent } from './event-validation.js';
import { EVENT_KINDS } from './events.js';

const doc = readFileSync(resolve(import.meta.dirname, '../../docs/events.md'), 'utf8');
const examples = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]));

describe('docs/events.md', () => {
  it('has a valid example of every event kind', () => {
    expect(new Set(examples.map((e) => e.kind))).toEqual(new Set(EVENT_KINDS));
    for (const example of examples) expect(validateEvent(example)).toMatchObject({ ok: true });
  });
});

describe('event validation', () => {
  it('names the wrong field and what was expected', () => {
    const base = examples.find((e) => e.kind === 'usage');
    const bad = validateEvent({ ...base, data: { ...base.data, sms: 1.5 } });
    expect(bad).toMatchObject({ ok: false, reason: expect.stringMatching(/^data\.sms: /) });
    const extra = validateEvent({ ...base, colour: 'red' });
    expect(extra).toMatchObject({ ok: false, reason: expect.stringContaining('colour') });
    const time = validateEvent({ ...base, time: '2026-13-01T00:00:00Z' });
    expect(time).toMatchObject({ ok: false, reason: expect.stringMatching(/^time: /) });
  });
});
