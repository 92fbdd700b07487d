import { eventTime, money } from './format';

/**
 * An audit entry's outcome in words for the Audit page: its status first, then each other field
 * as "name value", so an operator reads "executed · cost 0.05" and not {"status":"executed","cost":0.05}.
 * A nested value reads the same way, its fields after a colon ("detail: notification id NTF-1826,
 * channel sms"): it was shown as compact JSON. The raw entry stays readable at GET /audit.
 */
export function outcomeText(outcome: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  if (typeof outcome.status === 'string') parts.push(outcome.status);
  for (const [key, value] of Object.entries(outcome)) {
    if (key === 'status' || value === null || value === undefined) continue;
    parts.push(field(key, value));
  }
  return parts.join(' · ');
}

/** A camelCase key as words: `notificationId` → "notification id". */
const words = (key: string): string => key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();

/**
 * A time kept as milliseconds since the epoch (a key ending in `At`: `expiresAt`) as a time people
 * read, "2026-12-07 16:33 UTC": an approval's outcome read "expires at 1796661193519".
 */
const scalarText = (key: string, value: unknown): string =>
  /At$/.test(key) && typeof value === 'number' && Number.isFinite(value) && value > 1e11 ? eventTime(new Date(value).toISOString()) : String(value);

function field(key: string, value: unknown): string {
  return typeof value === 'object' && value !== null ? `${words(key)}: ${valueText(value)}` : `${words(key)} ${scalarText(key, value)}`;
}

/** A value in words: a list's items by commas, an object's fields as "name value" (nested in parentheses). */
function valueText(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.map((v) => (typeof v === 'object' && v !== null ? `(${valueText(v)})` : String(v))).join(', ');
  if (typeof value === 'object' && value !== null) {
    const fields = Object.entries(value).filter(([, v]) => v !== null && v !== undefined);
    if (fields.length === 0) return 'none';
    return fields.map(([k, v]) => (typeof v === 'object' && v !== null ? `${words(k)} (${valueText(v)})` : `${words(k)} ${scalarText(k, v)}`)).join(', ');
  }
  return String(value);
}

/**
 * An audit row's cost beside its action: what was charged when the outcome says it, else the cost
 * asked ("asked"). A message asked at 0 (the executor prices its channel) and charged 0.05 read
 * "communication C017070 · 0" beside "executed · cost 0.05".
 */
export function actionCostText(action: { readonly cost?: number } | undefined, outcome: Readonly<Record<string, unknown>> | undefined): string {
  if (typeof outcome?.cost === 'number') return `cost ${money(outcome.cost)}`;
  return typeof action?.cost === 'number' ? `cost ${money(action.cost)} asked` : '';
}
