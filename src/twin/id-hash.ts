/**
 * 53-bit string hash (two multiplicative lanes folded), exact in a float64. Used for ids that
 * are looked up across all twins (subscriptions, products), where 32 bits would collide
 * hundreds of times in a million names.
 */
export function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  // Never 0: 0 marks an empty slot.
  return 4294967296 * (2097151 & h2) + (h1 >>> 0) || 1;
}
