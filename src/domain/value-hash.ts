import { fnv1aCarry, FNV_PRIME } from './string-hash.js';

/**
 * FNV-1a (32-bit) over a decoded JSON value's structure, without writing its text: each string's
 * code units, each number's IEEE-754 bits, each object's keys and values in their order, each
 * kind of value marked apart (so `"1"`, `1` and `true` differ, and `{a: "bc"}` differs from
 * `{ab: "c"}`). Two values built alike by the same code hash alike; a value whose text would
 * differ hashes differently but for FNV's collisions. About a third of the CPU of
 * `JSON.stringify` and FNV-1a over the text for a usage event (no double-to-string conversion,
 * no text to collect), which is what the first start's history pays for every event (issue 16).
 *
 * Hashes are carried as signed 32-bit integers (`Math.imul`'s result), which V8 keeps unboxed:
 * an unsigned one above 2^31 is a heap number, an allocation at every step. `>>> 0` gives the
 * unsigned value of the same bits where one is shown or kept.
 */

/** Markers mixed in before each part, so that parts of different kinds never read alike. */
const STRING = 0x1_0000;
const NUMBER = 0x2_0000;
const TRUE = 0x3_0001;
const FALSE = 0x3_0000;
const NULL = 0x4_0000;
const ARRAY = 0x5_0000;
const OBJECT = 0x6_0000;
const KEY = 0x7_0000;
const END = 0x8_0000;
/** Anything JSON cannot hold (undefined, a function): one marker, as JSON.stringify drops or nulls it. */
const OTHER = 0x9_0000;

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);

const mix = (h: number, x: number) => Math.imul(h ^ x, FNV_PRIME);

/** Mixes a string's length and code units into `h`. */
function hashString(h: number, s: string): number {
  return fnv1aCarry(mix(h, STRING | (s.length & 0xffff)), s);
}

/** Mixes a number's IEEE-754 bits into `h` (`0` and `-0` differ; every NaN is one NaN). */
export function hashNumber(h: number, x: number): number {
  bits[0] = x;
  return mix(mix(mix(h, NUMBER), words[0]), words[1]);
}

/**
 * Carries `h` (start from FNV's offset basis, or a previous value's hash; any 32 bits) over
 * `value`. Objects are walked in their keys' order (for…in: own enumerable keys), arrays in index
 * order. A value nested deeper than the stack allows throws RangeError: the intake refuses such
 * records first (`MAX_EVENT_DEPTH`).
 */
export function hashValue(h: number, value: unknown): number {
  switch (typeof value) {
    case 'string':
      return hashString(h, value);
    case 'number':
      return hashNumber(h, value);
    case 'boolean':
      return mix(h, value ? TRUE : FALSE);
    case 'object': {
      if (value === null) return mix(h, NULL);
      if (Array.isArray(value)) {
        h = mix(h, ARRAY);
        for (let i = 0; i < value.length; i++) h = hashValue(h, value[i]);
        return mix(h, END);
      }
      h = mix(h, OBJECT);
      const o = value as Record<string, unknown>;
      for (const k in o) {
        if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
        h = hashString(mix(h, KEY), k);
        h = hashValue(h, o[k]);
      }
      return mix(h, END);
    }
    default:
      return mix(h, OTHER);
  }
}
