/**
 * An audit entry's outcome in words for the Audit page: its status first, then each other field
 * as "name value" (nested values as compact JSON), so an operator reads "executed · cost 0.05"
 * and not {"status":"executed","cost":0.05}. The raw entry stays readable at GET /audit.
 */
export function outcomeText(outcome: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  if (typeof outcome.status === 'string') parts.push(outcome.status);
  for (const [key, value] of Object.entries(outcome)) {
    if (key === 'status' || value === null || value === undefined) continue;
    const words = key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
    parts.push(`${words} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  }
  return parts.join(' · ');
}
