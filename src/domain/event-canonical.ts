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

/** 53-bit content hash of a text (two multiplicative lanes), as 11 base-36 characters. */
export function contentHash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36).padStart(11, '0');
}
