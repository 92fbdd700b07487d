import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { EventClockContext } from './event-clock';
import { eventTime } from './format';
import { AgentDesktop } from './pages/agent-desktop';
import { Overview } from './pages/overview';
import { interceptLinks, useLocation } from './router';
import { useJson } from './use-json';

interface Health {
  readonly twins: number;
  readonly eventClock: string | null;
}

/** The pages of the console, by path under `/console/` (the overview is also `/`). */
const NAV: readonly { path: string; label: string }[] = [
  { path: '/console/overview', label: 'Overview' },
  { path: '/console/assist', label: 'Agent desktop' },
];

function page(path: string): { title: string; body: ComponentChildren } {
  if (path === '/' || path === '/console' || path === '/console/' || path === '/console/overview') return { title: 'Overview', body: <Overview /> };
  if (path === '/console/assist') return { title: 'Agent desktop', body: <AgentDesktop /> };
  return {
    title: 'Not found',
    body: (
      <section class="panel">
        <p>
          No page of the console at <code>{path}</code>. <a href="/console/overview">Go to the overview</a>.
        </p>
      </section>
    ),
  };
}

/** The console: a header with the pages and the event clock, and the page the address names. */
export function App() {
  const { path } = useLocation();
  const health = useJson<Health>('/health', 5_000);
  const clock = health.data?.eventClock ?? null;
  const { title, body } = page(path);
  useEffect(() => {
    document.title = `${title} · Twinloop`;
  }, [title]);
  const active = path === '/' || path === '/console' ? '/console/overview' : path;

  return (
    <EventClockContext.Provider value={clock}>
      <div onClick={interceptLinks}>
        <header class="top">
          <a class="brand" href="/console/overview">
            Twinloop
          </a>
          <nav aria-label="Pages">
            {NAV.map((n) => (
              <a key={n.path} href={n.path} aria-current={active === n.path || active.startsWith(n.path + '/') ? 'page' : undefined}>
                {n.label}
              </a>
            ))}
          </nav>
          <span class="clock" title="The time of the latest event the twins applied (simulated time while the sandbox runs). Every time in the console is on this clock.">
            Event clock <strong data-testid="event-clock">{eventTime(clock)}</strong>
          </span>
        </header>
        <main id="main">
          <h1>{title}</h1>
          {body}
        </main>
      </div>
    </EventClockContext.Provider>
  );
}
