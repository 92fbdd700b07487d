/**
 * JSON text of plain data, identical to JSON.stringify's, but faster for what the sandbox emits:
 * amounts with two decimals (printed from integer cents, avoiding the general double-to-string
 * conversion) and strings that need no escaping (checked, else JSON.stringify does the string).
 */

/** Characters that make JSON.stringify escape a string (quote, backslash, controls, surrogates). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point here
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A JSON string literal. */
export function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

/** Largest cents value printed digit by digit. */
const MAX_CENTS = 1e15;

/** A JSON number, as JSON.stringify prints it. */
export function jsonNumber(v: number): string {
  if (Number.isInteger(v)) return Object.is(v, -0) ? '0' : String(v);
  if (!Number.isFinite(v)) return 'null';
  const k = Math.round(v * 100);
  if (k / 100 !== v || Math.abs(k) >= MAX_CENTS) return String(v);
  const a = k < 0 ? -k : k;
  const units = Math.floor(a / 100);
  const cents = a - units * 100;
  const frac = cents % 10 === 0 ? '.' + cents / 10 : cents < 10 ? '.0' + cents : '.' + cents;
  return (k < 0 ? '-' : '') + units + frac;
}

/** JSON text of a value made of objects, arrays, strings, numbers, booleans and null. */
export function jsonText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return jsonString(value);
    case 'number':
      return jsonNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let s = '[';
        for (let i = 0; i < value.length; i++) {
          const v: unknown = value[i];
          s += (i ? ',' : '') + (v === undefined || typeof v === 'function' ? 'null' : jsonText(v));
        }
        return s + ']';
      }
      // Anything with its own serialisation (dates, maps) goes the standard way.
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function' || Object.getPrototypeOf(value) !== Object.prototype) {
        return JSON.stringify(value);
      }
      let s = '{';
      let first = true;
      const o = value as Record<string, unknown>;
      for (const k in o) {
        const v = o[k];
        if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
        s += (first ? '' : ',') + jsonString(k) + ':' + jsonText(v);
        first = false;
      }
      return s + '}';
    }
    default:
      return JSON.stringify(value) ?? 'null';
  }
}
