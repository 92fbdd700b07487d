import type { TwinEvent } from './events.js';

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

/**
 * The first field (dotted path, `lines[2].amount` in arrays, fields in sorted order) in which two
 * events' content differs, or undefined when it is the same: every field either carries, so a
 * resend that differs in one optional field (a usage record's `cellId`) is another event. Key order,
 * spacing and the producer's receive stamp (`receivedAt`) are not content. Compared field by field
 * rather than by a hash (decision 0020): it runs only when an id comes again, exact, and it can say
 * what differs.
 */
export function eventContentDifference(a: TwinEvent, b: TwinEvent): string | undefined {
  const { receivedAt: _a, ...left } = a;
  const { receivedAt: _b, ...right } = b;
  return firstDifference(left, right, '');
}

/**
 * The first field (dotted path, fields in sorted order) in which two JSON values differ, or
 * undefined when they are the same content: what a repeated id's new content changed.
 */
export function valueDifference(a: unknown, b: unknown): string | undefined {
  return firstDifference(a, b, '');
}

function firstDifference(a: unknown, b: unknown, path: string): string | undefined {
  if (a === b) return undefined;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) return path || '(record)';
  if (Array.isArray(a)) {
    const other = b as unknown[];
    if (a.length !== other.length) return `${path} (${a.length} items against ${other.length})`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], other[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  for (const key of [...new Set([...Object.keys(left), ...Object.keys(right)])].sort()) {
    const d = firstDifference(left[key], right[key], path ? `${path}.${key}` : key);
    if (d) return d;
  }
  return undefined;
}
