import type { z } from 'zod';
import { closeMatches } from './close-matches.js';

/**
 * Validation problems said in the words of whoever sent the input: each names the field as they
 * wrote it (`scenarios[0].targeting.k`, a query parameter's own name), what was expected there in
 * plain words, and what was received, as it was sent (`"abc"`, not zod's `NaN`). Every edge (HTTP,
 * CLI, MCP) and every document parsed from a user (scenarios, a policy, a workflow's input, an event)
 * says its problems through here, all of them: none is hidden behind a count.
 */

/** One problem zod found, as zod reports it (its path relative to the input given). */
export type InputIssue = z.core.$ZodIssue;

/** How a path is written: `scenarios[0].targeting.k` (a leading index alone: `[0].kind`). */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').replace(/^\./, '');
}

/** The value at `path` in `input` (undefined where there is none). */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** Longest received value shown whole; longer ones are cut (an attacker's megabyte is not echoed). */
const SHOWN_CHARS = 80;

/** A received value as the sender wrote it, JSON, cut past SHOWN_CHARS. */
export function shownValue(v: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}…` : text;
}

/** A type's name as a person says it. */
const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  bigint: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  object: 'an object ({…})',
  array: 'a list ([…])',
  record: 'an object ({…})',
  date: 'a date',
  null: 'null',
  literal: 'a fixed value',
};
const typeWords = (t: unknown) => TYPE_WORDS[String(t)] ?? String(t);

/** Bounds as a person says them: "at least 1", "5 characters at most". */
function bound(issue: { origin?: unknown; inclusive?: boolean }, limit: unknown, small: boolean): string {
  const exact = (issue as { exact?: boolean }).exact;
  const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'array' || issue.origin === 'set' ? ' items' : issue.origin === 'file' ? ' bytes' : '';
  const n = typeof limit === 'bigint' ? String(limit) : limit instanceof Date ? limit.toISOString() : String(limit);
  if (exact) return `exactly ${n}${unit}`;
  const what = issue.origin === 'string' || issue.origin === 'array' || issue.origin === 'set' ? (small ? 'at least' : 'at most') : small ? (issue.inclusive === false ? 'above' : 'at least') : issue.inclusive === false ? 'below' : 'at most';
  return `${what} ${n}${unit}`;
}

/** zod's own wording (as opposed to a schema's message written for people, kept as it is). */
const ZOD_WORDING = /^(Invalid input|Invalid option|Too small|Too big|Unrecognized key|Invalid string|Invalid ISO|Invalid (email|url|uuid|date|UUID|URL)|Invalid key|Invalid element|Invalid number)/;

/** What was wrong with one issue's value, as "expected …, got …" (or the schema's own words). */
function what(issue: InputIssue, received: unknown): string {
  const got = received === undefined ? '' : `, got ${shownValue(received)}`;
  if (!ZOD_WORDING.test(issue.message)) {
    // A message written for people: kept, with what came when it does not say so itself.
    return received === undefined || issue.message.includes(shownValue(received)) ? issue.message : `${issue.message} (got ${shownValue(received)})`;
  }
  switch (issue.code) {
    case 'invalid_type':
      return received === undefined ? `required: ${typeWords(issue.expected)}` : `expected ${typeWords(issue.expected)}${got}`;
    case 'invalid_value': {
      const values = issue.values.map((v) => (typeof v === 'string' ? v : shownValue(v)));
      const expected = values.length === 1 ? `expected ${values[0]}` : `expected one of ${values.join(', ')}`;
      if (received === undefined) return `required: ${expected.replace(/^expected /, '')}`;
      // A misspelt name (a role, a channel…): the nearest allowed one, so the sender need not compare the list (a
      // word that short is too near everything to be a misspelling of one).
      const near = typeof received === 'string' && received.length > 3 ? closeMatches(received, values)[0] : undefined;
      return `${expected}${got}${near ? `; did you mean ${near}?` : ''}`;
    }
    case 'too_small':
      return `expected ${bound(issue, issue.minimum, true)}${got}`;
    case 'too_big':
      return `expected ${bound(issue, issue.maximum, false)}${got}`;
    case 'invalid_format':
      return `expected ${issue.format === 'regex' ? `text matching ${String((issue as { pattern?: unknown }).pattern)}` : `a valid ${issue.format === 'datetime' ? 'ISO date and time (2026-03-01T12:00:00Z)' : issue.format}`}${got}`;
    case 'not_multiple_of':
      return `expected a multiple of ${String(issue.divisor)}${got}`;
    default:
      return `${issue.message}${got}`;
  }
}

/** The issues of a union's best-matching branch: the one with the fewest problems (the sender meant it). */
function closestBranch(errors: readonly (readonly InputIssue[])[]): readonly InputIssue[] | undefined {
  return [...errors].sort((a, b) => a.length - b.length)[0];
}

/** Where the fields named sit, in the sender's words. */
export interface InputIssueOptions {
  /** The path of the input under a larger document the sender wrote (e.g. `scenarios[1]`). */
  readonly prefix?: readonly PropertyKey[];
  /** Words before each field's path (e.g. `query parameter `). */
  readonly label?: string;
  /** The input itself, for a problem with it whole (default "the input"). */
  readonly whole?: string;
}

/**
 * Every problem, one line each, `field: expected …, got …`. `input` is what was sent (the values
 * shown are read from it, as sent, not as coerced).
 */
export function inputProblems(issues: readonly InputIssue[], input: unknown, options: InputIssueOptions = {}): string[] {
  const out: string[] = [];
  const name = (path: readonly PropertyKey[]) => {
    const field = fieldPath([...(options.prefix ?? []), ...path]);
    return field ? `${options.label ?? ''}${field}` : (options.whole ?? 'the input');
  };
  const walk = (list: readonly InputIssue[], base: readonly PropertyKey[]) => {
    for (const issue of list) {
      const path = [...base, ...issue.path];
      if (issue.code === 'invalid_union' && issue.errors.length > 0 && ZOD_WORDING.test(issue.message)) {
        const branch = closestBranch(issue.errors);
        if (branch && branch.length > 0) {
          walk(branch, path);
          continue;
        }
      }
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) out.push(`${name([...path, key])}: not a field here; leave it out (or check its spelling)`);
        continue;
      }
      out.push(`${name(path)}: ${what(issue, valueAt(input, path))}`);
    }
  };
  walk(issues, []);
  return [...new Set(out)];
}

/** The problems on one line, separated by "; ". */
export function describeInputIssues(issues: readonly InputIssue[], input: unknown, options?: InputIssueOptions): string {
  return inputProblems(issues, input, options).join('; ');
}
