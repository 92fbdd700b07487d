/** FNV-1a's 32-bit offset basis and prime (the published constants of the algorithm). */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * 32-bit FNV-1a of a string's UTF-16 code units, unsigned. `seed` is XORed into the offset basis so
 * one text hashes independently per seed (0, the default, is plain FNV-1a). Stable forever: the
 * twin's state, the sandbox's streams and control-group draws are keyed by it.
 */
export function fnv1a32(text: string, seed = 0): number {
  let h = FNV_OFFSET ^ seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}
