import type { TwinEvent } from './events.js';

/**
 * The canonical text of an event's content: keys in a fixed (sorted) order, no whitespace, no
 * `receivedAt`. Two encodings of the same event (key order, spacing, a producer's receive
 * stamp) give the same text, so their hashes tell a true duplicate from a reused id.
 */
export function canonicalEventText(event: TwinEvent): string {
  if (event.kind === 'usage') {
    // The bulk of the volume: written out by hand (same result as the generic path, faster).
    const d = event.data;
    return `{"customerId":${JSON.stringify(event.customerId)},"data":{"dataMb":${num(d.dataMb)},"roaming":${d.roaming},"sms":${num(d.sms)},"subscriptionId":${JSON.stringify(d.subscriptionId)},"voiceMin":${num(d.voiceMin)}},"id":${JSON.stringify(event.id)},"kind":"usage","source":${JSON.stringify(event.source)},"time":${JSON.stringify(event.time)},"v":${event.v}}`;
  }
  const { receivedAt: _stamp, ...content } = event;
  return stableStringify(content);
}

const num = (x: number) => JSON.stringify(x);

/** JSON with object keys sorted at every level; undefined properties are left out, as JSON.stringify does. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : stableStringify(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(obj).sort()) {
    if (obj[key] === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${stableStringify(obj[key])}`);
  }
  return `{${parts.join(',')}}`;
}

const numberBits = new Float64Array(1);
const numberWords = new Uint32Array(numberBits.buffer);
/** Stands between fields: no UTF-16 code unit equals it, so ("ab","c") and ("a","bc") differ. */
const SEPARATOR = 0x10000;

/**
 * 53-bit hash (two multiplicative lanes, cyrb53-style) of text fields and number fields, as a
 * decimal string (Number#toString(36) would cost more than the hashing itself).
 */
function hashFields(texts: readonly string[], numbers: readonly number[]): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let k = 0; k < texts.length; k++) {
    const t = texts[k];
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    h1 = Math.imul(h1 ^ SEPARATOR, 2654435761);
    h2 = Math.imul(h2 ^ SEPARATOR, 1597334677);
  }
  for (let k = 0; k < numbers.length; k++) {
    numberBits[0] = numbers[k];
    h1 = Math.imul(h1 ^ numberWords[0], 2654435761);
    h2 = Math.imul(h2 ^ numberWords[1], 1597334677);
  }
  const a = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  const b = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(a ^ (a >>> 13), 3266489909);
  return String(4294967296 * (2097151 & b) + (a >>> 0));
}

/** 53-bit content hash of a text, as a decimal string. */
export function contentHash(text: string): string {
  return hashFields([text], []);
}

/**
 * 53-bit hash of an event's content (what `canonicalEventText` writes). Usage events, the bulk
 * of the volume, are hashed field by field without building the text; every other kind hashes
 * its canonical text. Either way two encodings of one event hash alike.
 */
export function eventContentHash(event: TwinEvent): string {
  if (event.kind !== 'usage') return contentHash(canonicalEventText(event));
  const d = event.data;
  return hashFields(['usage', event.id, event.customerId, event.time, event.source, d.subscriptionId], [event.v, d.dataMb, d.voiceMin, d.sms, d.roaming ? 1 : 2]);
}
