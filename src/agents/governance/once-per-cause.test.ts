import { describe, expect, it } from 'vitest';
import { TwinloopError } from '../../domain/errors.js';
import { oncePerCause } from './once-per-cause.js';

describe('a sweep’s log', () => {
  it('says a recurring trouble once per cause, and how often it came when it clears', () => {
    const lines: string[] = [];
    const trouble = oncePerCause((l) => lines.push(l));
    // A sweep every few seconds while the first start's history is written: the same refusal, customer and percentage aside.
    for (let i = 0; i < 300; i++) {
      trouble.note(new TwinloopError('UNAVAILABLE', `reading the events of customer C${String(i).padStart(6, '0')} reaches the first start's history, which is still being written (${i % 100} % of it is written)`), 'outcomes: the sweep waits');
      trouble.done();
    }
    trouble.note(new TwinloopError('UNAVAILABLE', 'the history is being sealed'), 'outcomes: the sweep waits');
    trouble.done();
    trouble.done();
    expect(lines).toEqual([
      "outcomes: the sweep waits: reading the events of customer C000000 reaches the first start's history, which is still being written (0 % of it is written)",
      'outcomes: the sweep waits: the same 299 more times since, until now',
      'outcomes: the sweep waits: the history is being sealed',
    ]);
  });
});
