import { useEffect, useState } from 'preact/hooks';

/**
 * The console's pages live under `/console/…` (the server answers the same page for all of them):
 * the address bar names the page, links are ordinary `<a href>`, and a click on one changes the
 * page without reloading. `/` is the overview.
 */
const listeners = new Set<() => void>();

/** Goes to a path of the console, adding it to the history. */
export function navigate(path: string): void {
  if (path === location.pathname + location.search) return;
  history.pushState(null, '', path);
  listeners.forEach((l) => l());
  window.scrollTo(0, 0);
}

/** The current path and query, re-rendering on every change. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const update = () => setTick((t) => t + 1);
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

/** Sends clicks on same-origin console links through `navigate` (a new tab, modifiers and other paths load normally). */
export function interceptLinks(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const a = (event.target as Element | null)?.closest('a');
  if (!a || a.target || a.origin !== location.origin) return;
  if (a.pathname !== '/' && !a.pathname.startsWith('/console')) return;
  event.preventDefault();
  navigate(a.pathname + a.search);
}
