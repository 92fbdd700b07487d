import { fastEvent } from './event-fast-path.js';
import { EVENT_KINDS, twinEventSchema, type TwinEvent } from './events.js';
import { describeJsonError } from './json-syntax.js';
import { describeInputIssues } from './input-issues.js';

/** Why a record whose bytes are not UTF-8 is rejected (edges decode strictly rather than repair it, which would change its id or body). */
export const NOT_UTF8_REASON = 'record: not valid UTF-8; send events as UTF-8 text';

/** Largest accepted record, in bytes of its JSON text; a twin event is a few hundred bytes. */
export const MAX_EVENT_BYTES = 64 * 1024;

/**
 * `exact`: the event is the decoded record itself, unchanged (no defaults filled in), so the
 * record's text can be stored as the event's body.
 */
export type Validated = { ok: true; event: TwinEvent; exact: boolean } | { ok: false; reason: string };

/**
 * Deepest nesting of objects and arrays a record may have. An event is three levels deep (an
 * interaction's free-form context a few more); far deeper input is an attack or a bug, and would
 * overflow the stack of every recursive walk after the parser (hashing, re-encoding). JSON.parse
 * itself takes any depth a 64 KB record can have; the check runs on what it returns.
 */
export const MAX_EVENT_DEPTH = 32;

/** Whether a decoded value nests objects and arrays deeper than `max` (walked without recursion). */
export function valueNestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

const TOO_DEEP = `record: nested more than ${MAX_EVENT_DEPTH} levels deep; an event is a flat object with a data object`;

/** Validates one decoded record against the event model, naming the wrong field on failure. */
export function validateEvent(raw: unknown): Validated {
  const fast = fastEvent(raw);
  if (fast) return { ok: true, event: fast, exact: true };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, reason: 'record: expected a JSON object' };
  }
  if (valueNestsDeeperThan(raw, MAX_EVENT_DEPTH)) return { ok: false, reason: TOO_DEEP };
  const kind = (raw as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !(EVENT_KINDS as readonly string[]).includes(kind)) {
    return {
      ok: false,
      reason: `kind: unknown event kind ${JSON.stringify(kind ?? null)}; expected one of ${EVENT_KINDS.join(', ')}`,
    };
  }
  const parsed = twinEventSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: describeInputIssues(parsed.error.issues, raw, { whole: '(record)' }) };
  return { ok: true, event: parsed.data, exact: false };
}

/** Decodes and validates one line of JSON text (an NDJSON line or one array element's text). */
export function validateEventText(text: string): Validated {
  if (text.length > MAX_EVENT_BYTES) {
    return { ok: false, reason: `record: ${text.length} bytes is over the ${MAX_EVENT_BYTES}-byte limit` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `record: malformed JSON ${describeJsonError(text, err, 'the record')}` };
  }
  return validateEvent(raw);
}
