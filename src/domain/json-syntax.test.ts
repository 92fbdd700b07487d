import { describe, expect, it } from 'vitest';
import { describeJsonError, LOCATE_TOKEN_MAX_CHARS } from './json-syntax.js';

const refusal = (text: string): string => {
  try {
    JSON.parse(text);
  } catch (err) {
    return describeJsonError(text, err);
  }
  throw new Error('parsed');
};

describe('where a body stops being JSON', () => {
  it('names the line and column of an unexpected character without repeating the body', () => {
    expect(refusal('not json')).toBe('at line 1, column 2 (character 1): unexpected character; the body is not repeated: it may hold personal data');
  });

  it('does not search a text above the cap for its unexpected character (each try parses a prefix on the event loop)', () => {
    const big = `[${'1,'.repeat(LOCATE_TOKEN_MAX_CHARS / 2)}x]`;
    expect(refusal(big)).toBe(`somewhere in its ${big.length} characters (not located in a text this large): unexpected character; the body is not repeated: it may hold personal data`);
  });
});
