import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import { describeInputIssues } from '../../domain/input-issues.js';

/**
 * How the rows of a CSV file become events: which column fills which event field (dotted
 * paths such as `data.dataMb`), with an optional type, plus constant fields.
 */
const fieldSpec = z.union([
  z.string().min(1),
  z.strictObject({ column: z.string().min(1), type: z.enum(['auto', 'string', 'number', 'integer', 'boolean', 'time']).default('auto') }),
]);
export const csvMappingSchema = z.strictObject({
  kind: z.string().min(1).optional(),
  fields: z.record(z.string(), fieldSpec),
  constants: z.record(z.string(), z.unknown()).default({}),
});
export type CsvMapping = z.infer<typeof csvMappingSchema>;

export function parseCsvMapping(json: unknown): CsvMapping {
  const parsed = csvMappingSchema.safeParse(json);
  if (!parsed.success) throw new TwinloopError('BAD_INPUT', `column mapping: ${describeInputIssues(parsed.error.issues, json, { whole: 'the mapping' })}`);
  return parsed.data;
}

const NUMBER = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;
const TRUE = new Set(['true', 'yes', 'y', 't', '1']);
const FALSE = new Set(['false', 'no', 'n', 'f', '0']);

function convert(value: string, type: string): unknown {
  const v = value.trim();
  switch (type) {
    case 'string':
      return value;
    case 'number':
    case 'integer':
      return v === '' ? undefined : Number(v);
    case 'boolean':
      return TRUE.has(v.toLowerCase()) ? true : FALSE.has(v.toLowerCase()) ? false : v;
    case 'time': {
      const ms = Date.parse(v);
      return Number.isNaN(ms) ? v : new Date(ms).toISOString();
    }
    default:
      if (v === '') return undefined;
      if (NUMBER.test(v)) return Number(v);
      if (v === 'true' || v === 'false') return v === 'true';
      return value;
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let at = target;
  for (let i = 0; i < keys.length - 1; i++) {
    const next = at[keys[i]];
    if (typeof next !== 'object' || next === null) at[keys[i]] = {};
    at = at[keys[i]] as Record<string, unknown>;
  }
  if (value !== undefined) at[keys[keys.length - 1]] = value;
}

/** Builds the event object of one CSV row; validation happens in the intake like any record. */
export function rowToEvent(row: Record<string, string>, mapping: CsvMapping): Record<string, unknown> {
  const event: Record<string, unknown> = { v: 1 };
  if (mapping.kind) event.kind = mapping.kind;
  for (const [path, value] of Object.entries(mapping.constants)) setPath(event, path, value);
  for (const [path, spec] of Object.entries(mapping.fields)) {
    const { column, type } = typeof spec === 'string' ? { column: spec, type: 'auto' } : spec;
    const raw = row[column];
    if (raw === undefined) continue;
    setPath(event, path, convert(raw, type));
  }
  return event;
}
