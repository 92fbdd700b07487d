/** A reason this long, said already, is pointed to rather than written out again (a short detail reads fine twice). */
const LONG = 60;

/**
 * The details of an intent's history as its page lists them: a long reason already on the page
 * (the stage line, `shown`, or an earlier event) is pointed to, not repeated. A failed plan wrote
 * the same reason three times: on the stage line, at plan-failed and at failed ("no plan: …").
 */
export function historyDetails(events: readonly { readonly detail: string }[], shown: readonly string[]): string[] {
  const said = shown.filter((t) => t.length >= LONG);
  return events.map(({ detail }) => {
    const before = detail.length >= LONG ? said.find((t) => t.includes(detail)) : undefined;
    const repeated = before === undefined ? said.find((t) => detail.includes(t)) : undefined;
    if (detail.length >= LONG) said.push(detail);
    if (before !== undefined) return shown.includes(before) ? 'the reason on the stage line above' : 'the reason above';
    return repeated === undefined ? detail : detail.replace(repeated, shown.includes(repeated) ? '(the reason on the stage line above)' : '(the reason above)');
  });
}
