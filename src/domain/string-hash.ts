/** FNV-1a's 32-bit offset basis and prime (the published constants of the algorithm). */
const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;
/** FNV-1a's offset basis as a signed 32-bit integer: where `fnv1aCarry` starts a hash. */
export const FNV_START = FNV_OFFSET | 0;

/**
 * Mixes a string's UTF-16 code units into a running FNV-1a hash `h`, carried as a signed 32-bit
 * integer (`Math.imul`'s result, which V8 keeps unboxed: an unsigned one above 2^31 is a heap
 * number). `>>> 0` gives the unsigned value of the same bits.
 */
export function fnv1aCarry(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

/**
 * 32-bit FNV-1a of a string's UTF-16 code units, unsigned. `seed` is XORed into the offset basis so
 * one text hashes independently per seed (0, the default, is plain FNV-1a). Stable forever: the
 * twin's state, the sandbox's streams and control-group draws are keyed by it.
 */
export function fnv1a32(text: string, seed = 0): number {
  return fnv1aCarry(FNV_OFFSET ^ seed, text) >>> 0;
}
