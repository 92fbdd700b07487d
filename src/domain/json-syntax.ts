/**
 * Where a JSON text stops being JSON, said without repeating the text. V8's messages quote an
 * excerpt of the input (`Unexpected token 'o', "not json" is not valid JSON`), which the edges
 * mask because it may hold personal data; what is left ("[masked: personal data]") told the
 * caller nothing. This names the place instead: line, column and character offset.
 */

/** What V8 says when the text ended before the JSON did; every prefix of a valid text says the same. */
const END_OF_INPUT = /Unexpected end of JSON input/;
/** V8 gives the offset for most errors (`... in JSON at position 7`), but not for an unexpected token. */
const AT_POSITION = /\s*(?:in JSON )?at position (\d+)(?: \(line \d+ column \d+\))?/;
const UNEXPECTED_TOKEN = /^Unexpected token/;

/**
 * The largest text whose unexpected token is located (by parsing ~log2(n) prefixes, on the event
 * loop): an 18 MB batch took 8.6 s to locate against 1 s to parse once, every request stalled meanwhile.
 */
export const LOCATE_TOKEN_MAX_CHARS = 1 << 20;

/**
 * The zero-based offset of the first character JSON.parse refused in `text`, given the error it
 * threw; undefined for an unexpected token in a text above LOCATE_TOKEN_MAX_CHARS (not located).
 */
export function jsonErrorOffset(text: string, message: string): number | undefined {
  if (END_OF_INPUT.test(message)) return text.length;
  const given = AT_POSITION.exec(message);
  if (given) return Number(given[1]);
  if (text.length > LOCATE_TOKEN_MAX_CHARS) return undefined;
  // An unexpected token: V8 names the character but not where. The parser reads left to right
  // and judges a character only by what precedes it, so a prefix fails with 'Unexpected token'
  // exactly when it contains the bad character: the shortest such prefix ends with it.
  const refusesToken = (end: number): boolean => {
    try {
      JSON.parse(text.slice(0, end));
      return false;
    } catch (err) {
      return UNEXPECTED_TOKEN.test((err as Error).message);
    }
  };
  let low = 1;
  let high = text.length;
  if (!refusesToken(high)) return 0;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (refusesToken(mid)) high = mid;
    else low = mid + 1;
  }
  return high - 1;
}

/** What kind of error, without V8's excerpt of the text or its offset (given separately). */
function errorKind(message: string): string {
  if (END_OF_INPUT.test(message)) return 'the text ends before the JSON does';
  if (UNEXPECTED_TOKEN.test(message)) return 'unexpected character';
  const kind = message.replace(AT_POSITION, '').replace(/,\s*"[\s\S]*$/, '').trim();
  return kind.charAt(0).toLowerCase() + kind.slice(1);
}

/**
 * One line saying where and how `text` is not JSON, e.g. `at line 1, column 2 (character 1):
 * unexpected character; the body is not repeated: it may hold personal data`. `what` names the
 * text in the last clause ("the body", "the record").
 */
export function describeJsonError(text: string, err: unknown, what = 'the body'): string {
  const message = err instanceof Error ? err.message : String(err);
  const offset = jsonErrorOffset(text, message);
  if (offset === undefined) return `somewhere in its ${text.length} characters (not located in a text this large): ${errorKind(message)}; ${what} is not repeated: it may hold personal data`;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return `at line ${line}, column ${column} (character ${offset}): ${errorKind(message)}; ${what} is not repeated: it may hold personal data`;
}
