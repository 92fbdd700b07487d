import { describe, expect, it } from 'vitest';
import { checkKey, MAX_KEY_LENGTH } from './record-store.js';

describe('checkKey', () => {
  it('counts characters, not UTF-16 units: a key of astral characters is judged by how many there are', () => {
    expect(checkKey('id', 'a'.repeat(MAX_KEY_LENGTH))).toHaveLength(MAX_KEY_LENGTH);
    expect(() => checkKey('id', 'a'.repeat(MAX_KEY_LENGTH + 1))).toThrow(/longer than 200 characters/);
    // 150 characters in 300 UTF-16 units: within the limit.
    expect(() => checkKey('customerId', '😀'.repeat(150))).not.toThrow();
    expect(() => checkKey('customerId', '😀'.repeat(MAX_KEY_LENGTH + 1))).toThrow(/customerId .* longer than 200 characters/);
  });
});
