/**
 * JSON text of plain data written straight into a byte buffer, identical to JSON.stringify's,
 * for the events the sandbox writes that are not usage (one in eight; they took 3–4 µs each as
 * strings: the concatenation, its flattening, an ASCII check and the copy into the buffer, where
 * this writes each byte once). Amounts with two decimals are printed from integer cents, avoiding
 * the general double-to-string conversion. Only what is common is done here: a string that needs
 * escaping or is not ASCII, an object with its own serialisation (`toJSON`, a class instance) or a
 * value too long for the room left make it give up, and the caller takes JSON.stringify instead.
 */
import { putAscii, putUint } from './ascii-bytes.js';

/** What the writers return when they give up (nothing they wrote counts). */
export const NOT_WRITTEN = -1;

/** Room kept for a number or a literal: the longest, such as `-1.2345678901234567e-308`, is 24 bytes. */
const NUMBER_ROOM = 32;

/** Largest cents value printed digit by digit. */
const MAX_CENTS = 1e15;

/**
 * Writes the JSON text of `value` (objects, arrays, strings, numbers, booleans and null) into `b`
 * from `o`, never at or past `end`. Returns the offset after it, or `NOT_WRITTEN`.
 */
export function putJson(b: Uint8Array, o: number, value: unknown, end: number): number {
  switch (typeof value) {
    case 'string':
      return putJsonString(b, o, value, end);
    case 'number':
      return o + NUMBER_ROOM > end ? NOT_WRITTEN : putJsonNumber(b, o, value);
    case 'boolean':
      return o + NUMBER_ROOM > end ? NOT_WRITTEN : putAscii(b, o, value ? 'true' : 'false');
    case 'object':
      if (value === null) return o + NUMBER_ROOM > end ? NOT_WRITTEN : putAscii(b, o, 'null');
      return Array.isArray(value) ? putJsonArray(b, o, value, end) : putJsonObject(b, o, value, end);
    default:
      return NOT_WRITTEN;
  }
}

function putJsonArray(b: Uint8Array, o: number, a: readonly unknown[], end: number): number {
  if (o + 2 > end) return NOT_WRITTEN;
  b[o++] = 91; // [
  for (let i = 0; i < a.length; i++) {
    if (i > 0) b[o++] = 44; // ,
    const v = a[i];
    // JSON.stringify writes null for what has no JSON form inside an array.
    o = v === undefined || typeof v === 'function' || typeof v === 'symbol' ? putJson(b, o, null, end) : putJson(b, o, v, end);
    if (o < 0 || o + 2 > end) return NOT_WRITTEN;
  }
  b[o++] = 93; // ]
  return o;
}

function putJsonObject(b: Uint8Array, o: number, value: object, end: number): number {
  // Anything with its own serialisation (dates, maps, class instances) goes the standard way.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function' || Object.getPrototypeOf(value) !== Object.prototype) return NOT_WRITTEN;
  if (o + 2 > end) return NOT_WRITTEN;
  b[o++] = 123; // {
  let first = true;
  const r = value as Record<string, unknown>;
  for (const k in r) {
    const v = r[k];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    if (!first) b[o++] = 44; // ,
    first = false;
    o = putJsonString(b, o, k, end);
    if (o < 0) return NOT_WRITTEN;
    b[o++] = 58; // :
    o = putJson(b, o, v, end);
    if (o < 0 || o + 2 > end) return NOT_WRITTEN;
  }
  b[o++] = 125; // }
  return o;
}

/** A string literal of printable ASCII without quote or backslash (else `NOT_WRITTEN`: JSON.stringify escapes or encodes it). */
function putJsonString(b: Uint8Array, o: number, s: string, end: number): number {
  const n = s.length;
  // The quotes, and room after for the separator the caller writes.
  if (o + n + 3 > end) return NOT_WRITTEN;
  b[o++] = 34;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c > 126 || c === 34 || c === 92) return NOT_WRITTEN;
    b[o + i] = c;
  }
  o += n;
  b[o++] = 34;
  return o;
}

/** A number as JSON.stringify prints it; the caller has checked there is `NUMBER_ROOM`. */
function putJsonNumber(b: Uint8Array, o: number, v: number): number {
  if (!Number.isFinite(v)) return putAscii(b, o, 'null');
  const k = Math.round(v * 100);
  if (k / 100 !== v || k >= MAX_CENTS || k <= -MAX_CENTS) return putAscii(b, o, String(v));
  let a = k;
  if (k < 0) {
    b[o++] = 45; // -
    a = -k;
  }
  const units = Math.floor(a / 100);
  const cents = a - units * 100;
  o = putUint(b, o, units);
  if (cents !== 0) {
    b[o++] = 46; // .
    b[o++] = 48 + Math.floor(cents / 10);
    if (cents % 10 !== 0) b[o++] = 48 + (cents % 10);
  }
  return o;
}
