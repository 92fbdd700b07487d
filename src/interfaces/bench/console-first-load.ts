import type { Browser, Page } from 'playwright-core';

/** What shows that a console page has its data on screen: an element, and optionally its text. */
export interface ReadySign {
  readonly selector: string;
  /** Text the element must contain (a string) or match (a pattern). */
  readonly text?: string | RegExp;
}

/** A console page to open, and the sign that it shows its data. */
export interface ConsolePage {
  readonly name: string;
  readonly path: string;
  readonly ready: ReadySign;
}

/** What the browser saw while a page loaded: when it showed its data, and what it waited for. */
export interface FirstLoad {
  /** Navigation start → the ready sign on screen (the animation frame after it appeared), by the browser's clock. */
  readonly ms: number;
  /** Navigation start → the document's last byte. */
  readonly documentMs: number;
  /** Navigation start → the last script or style sheet's last byte. */
  readonly assetsMs: number;
  /** The API reads the page made before it was ready: path, when each started and ended (ms from navigation start), bytes. */
  readonly reads: readonly { path: string; startMs: number; endMs: number; bytes: number }[];
}

/**
 * Installed before any of the page's scripts run (a script text: it runs in the browser, not
 * here): watches the document for the ready sign and notes `performance.now()` in the animation
 * frame after it appears (the frame that paints it) as `window.__twinloopReady`, so the figure is
 * the browser's own, not the moment a test's poll noticed it.
 */
function watchForReady(arg: { path: string; selector: string; text: string | null; pattern: { source: string; flags: string } | null }): string {
  return `(() => {
  const arg = ${JSON.stringify(arg)};
  if (location.pathname + location.search !== arg.path) return;
  const pattern = arg.pattern ? new RegExp(arg.pattern.source, arg.pattern.flags) : null;
  const shows = (el) => {
    if (el.getClientRects().length === 0) return false;
    const text = el.textContent || '';
    return pattern ? pattern.test(text) : arg.text === null || text.includes(arg.text);
  };
  const observer = new MutationObserver(() => {
    if (![...document.querySelectorAll(arg.selector)].some(shows)) return;
    observer.disconnect();
    requestAnimationFrame(() => (window.__twinloopReady = performance.now()));
  });
  observer.observe(document, { childList: true, subtree: true, characterData: true });
})();`;
}

/** The parts of a Resource or Navigation Timing entry read below (this file is compiled without the DOM's types). */
interface TimingEntry {
  readonly name: string;
  readonly initiatorType?: string;
  readonly startTime: number;
  readonly responseEnd: number;
  readonly encodedBodySize?: number;
}

/** Runs in the browser once the page is ready: the ready time and what the page loaded before it. */
function readTimings(): FirstLoad {
  const ready = (globalThis as { __twinloopReady?: number }).__twinloopReady ?? NaN;
  const entries = (type: 'navigation' | 'resource') => (performance as unknown as { getEntriesByType(t: string): TimingEntry[] }).getEntriesByType(type);
  const nav = entries('navigation')[0];
  const resources = entries('resource');
  const isAsset = (r: TimingEntry) => r.name.includes('/console/assets/');
  const reads = resources
    .filter((r) => !isAsset(r) && r.startTime < ready && ['fetch', 'xmlhttprequest', 'other'].includes(r.initiatorType ?? ''))
    .map((r) => {
      const u = new URL(r.name);
      return { path: u.pathname + u.search, startMs: Math.round(r.startTime), endMs: Math.round(r.responseEnd), bytes: r.encodedBodySize ?? 0 };
    });
  return { ms: Math.round(ready), documentMs: Math.round(nav ? nav.responseEnd : 0), assetsMs: Math.round(Math.max(0, ...resources.filter(isAsset).map((a) => a.responseEnd))), reads };
}

/**
 * Opens `page.path` in a fresh browser context signed in with `key` (the sign-in page exchanges it
 * for a session cookie, then goes to the page: nothing cached) and measures, in the browser, how
 * long the page takes to show its data (`onPage` sees the page first, e.g. to collect its script
 * errors). Returns the figures and the page, still open (the caller
 * may go on with it and closes its context).
 */
export async function openAndMeasure(browser: Browser, base: string, key: string, target: ConsolePage, options: { timeoutMs?: number; onPage?: (page: Page) => void } = {}): Promise<{ page: Page; load: FirstLoad }> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  options.onPage?.(page);
  const text = target.ready.text;
  await page.addInitScript({
    content: watchForReady({ path: target.path, selector: target.ready.selector, text: typeof text === 'string' ? text : null, pattern: text instanceof RegExp ? { source: text.source, flags: text.flags } : null }),
  });
  await page.goto(`${base}/sign-in?next=${encodeURIComponent(target.path)}#key=${key}`);
  await page.waitForURL(`${base}${target.path}`, { timeout: timeoutMs });
  // Functions, not strings: the console's content security policy forbids evaluating strings.
  await page.waitForFunction(() => (globalThis as { __twinloopReady?: number }).__twinloopReady !== undefined, null, { timeout: timeoutMs, polling: 50 });
  const load = await page.evaluate(readTimings);
  return { page, load };
}
