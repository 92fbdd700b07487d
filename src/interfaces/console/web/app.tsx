import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ROLE_NAMES, ROLE_PERMISSIONS, type Permission } from '../../auth/roles';
import { EventClockContext } from './event-clock';
import { aRole, anyOfRoles, eventTime, setCurrency } from './format';
import { operatorCurrency, type CatalogueUnits } from './operator-currency';
import { IdentityContext, may, useIdentitySource, type Identity } from './identity';
import { AgentDesktop } from './pages/agent-desktop';
import { ApprovalPage, Approvals } from './pages/approvals';
import { Audit } from './pages/audit';
import { Customer } from './pages/customer';
import { Customers } from './pages/customers';
import { IntentPage, Intents } from './pages/intents';
import { CampaignPage, Campaigns } from './pages/campaigns';
import { Models } from './pages/models';
import { Overview } from './pages/overview';
import { Policy } from './pages/policy';
import { ServiceAlarm } from './pages/service-alarm';
import { ServiceOperations } from './pages/service-operations';
import { SimulationLab } from './pages/simulation-lab';
import { SimulationRunPage } from './pages/simulation-run';
import { interceptLinks, useLocation } from './router';
import { useJson } from './use-json';
import { getJson } from './api';
import { headerClock, type HealthClocks } from './header-clock';

interface Health extends HealthClocks {
  readonly twins: number;
}

/**
 * The pages of the console, by path under `/console/` (the overview is also `/`), and the
 * permission (or any of the permissions) a person needs for the page to be shown: the one its work takes (deciding
 * approvals, training models), not merely reading what it shows, so a care agent's header holds
 * the pages of a care agent's work.
 */
const NAV: readonly { path: string; label: string; needs: string | readonly string[] }[] = [
  { path: '/console/overview', label: 'Overview', needs: 'twins:read' },
  { path: '/console/customers', label: 'Customers', needs: 'twins:read' },
  { path: '/console/assist', label: 'Agent desktop', needs: 'assist:use' },
  { path: '/console/approvals', label: 'Approvals', needs: 'approvals:decide' },
  { path: '/console/simulations', label: 'Simulation lab', needs: 'simulations:run' },
  { path: '/console/intents', label: 'Intents', needs: 'intents:read' },
  { path: '/console/campaigns', label: 'Campaigns', needs: ['intents:write', 'campaigns:manage'] },
  { path: '/console/service-operations', label: 'Service operations', needs: 'alarms:write' },
  { path: '/console/models', label: 'Models', needs: 'models:train' },
  { path: '/console/policy', label: 'Policy', needs: ['policy:write', 'audit:read'] },
  { path: '/console/audit', label: 'Audit', needs: 'audit:read' },
];

/**
 * The pages whose reads a role may lack (every role reads twins, scores, models, simulations,
 * intents, workflows, alarms and the policy): by path and sub-paths, the permission its requests need.
 * Opened by URL by a role without it, the page says who may use it and asks the server nothing: mounted, the agent
 * desktop's stream answered a data scientist 403 and the page said "reconnecting…" for ever.
 */
const GUARDED: readonly { path: string; permission: Permission }[] = [
  { path: '/console/assist', permission: 'assist:use' },
  { path: '/console/approvals', permission: 'approvals:read' },
  { path: '/console/audit', permission: 'audit:read' },
];

/** What a page opened by a role that may not use it says instead: which roles may, and what the server would answer. */
function NoAccess({ title, permission, role }: { title: string; permission: Permission; role: string | null }) {
  const may = ROLE_NAMES.filter((r) => ROLE_PERMISSIONS[r].has(permission));
  return (
    <section class="panel" data-testid="no-access">
      <p>
        {title} is for {anyOfRoles(may)} (permission <code>{permission}</code>): {role ? aRole(role) : 'your role'} may not use it, so this page asks the server nothing (it would answer 403). Ask an admin for a key of one of those roles if your work needs it.
      </p>
    </section>
  );
}

function page(path: string, search: string): { title: string; body: ComponentChildren } {
  if (path === '/' || path === '/console' || path === '/console/' || path === '/console/overview') return { title: 'Overview', body: <Overview /> };
  if (path === '/console/assist') return { title: 'Agent desktop', body: <AgentDesktop /> };
  if (path === '/console/customers') return { title: 'Customers', body: <Customers key={search} /> };
  const customer = /^\/console\/customers\/([^/]+)$/.exec(path);
  if (customer) {
    const id = decodeURIComponent(customer[1]);
    return { title: `Customer ${id}`, body: <Customer key={id + search} id={id} /> };
  }
  if (path === '/console/approvals') return { title: 'Approvals', body: <Approvals /> };
  const approval = /^\/console\/approvals\/([^/]+)$/.exec(path);
  if (approval) return { title: 'Approval', body: <ApprovalPage key={approval[1]} id={decodeURIComponent(approval[1])} /> };
  if (path === '/console/intents') return { title: 'Intents', body: <Intents /> };
  const intent = /^\/console\/intents\/([^/]+)$/.exec(path);
  if (intent) return { title: 'Intent', body: <IntentPage key={intent[1]} id={decodeURIComponent(intent[1])} /> };
  if (path === '/console/campaigns') return { title: 'Campaigns', body: <Campaigns /> };
  const campaign = /^\/console\/campaigns\/([^/]+)$/.exec(path);
  if (campaign) return { title: 'Campaign', body: <CampaignPage key={campaign[1]} id={decodeURIComponent(campaign[1])} /> };
  if (path === '/console/simulations') return { title: 'Simulation lab', body: <SimulationLab key={search} /> };
  const run = /^\/console\/simulations\/([^/]+)$/.exec(path);
  if (run) return { title: 'Simulation run', body: <SimulationRunPage key={run[1]} id={decodeURIComponent(run[1])} /> };
  if (path === '/console/service-operations') return { title: 'Service operations', body: <ServiceOperations /> };
  const alarm = /^\/console\/service-operations\/([^/]+)$/.exec(path);
  if (alarm) return { title: 'Network alarm', body: <ServiceAlarm key={alarm[1]} id={decodeURIComponent(alarm[1])} /> };
  if (path === '/console/models') return { title: 'Models', body: <Models /> };
  if (path === '/console/policy') return { title: 'Action policy', body: <Policy /> };
  if (path === '/console/audit') return { title: 'Audit trail', body: <Audit /> };
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

/** Who the console acts as: the signed-in person, or on an open server the name typed here. */
function Who({ who }: { who: Identity }) {
  if (who.signedIn)
    return (
      <span class="who">
        {who.name} ({who.role}) <a href="/sign-in">switch</a>
      </span>
    );
  return (
    <label class="who">
      Acting as <input value={who.name} size={12} onChange={(e) => who.setName((e.target as HTMLInputElement).value.trim() || 'operator-1')} />
    </label>
  );
}

/**
 * How often the header's clock reads `GET /health`: while the sandbox runs live a second of real time
 * is an hour of its time (3,600×), and read with the pages' numbers every 5 s the header stood up to
 * 5 h behind the world. Read every second (the next read a second after the last answer, so a slow
 * server is not asked twice at once), it is at most an hour and the answer's way behind, never ahead.
 */
const CLOCK_READ_MS = 1_000;

/**
 * The header's time: the world's (or the latest event's) as `GET /health` last answered it, read every
 * CLOCK_READ_MS, and how far the twins' latest event trails it, from the same answer. Said from the
 * page's 5-second read beside a time read every second, the lag was seconds older than the time: while
 * the history is backfilled a world's day passes in about a second, and "1 d behind" stood beside a
 * clock 6 days past the twins' latest event.
 */
function LiveClock({ initial }: { initial: HealthClocks | undefined }) {
  const [read, setRead] = useState<HealthClocks>();
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const next = () => {
      if (live) timer = setTimeout(ask, CLOCK_READ_MS);
    };
    const ask = () => getJson<HealthClocks>('/health').then((h) => live && setRead(h), () => undefined).finally(next);
    next();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, []);
  const shown = headerClock(read ?? initial);
  return (
    <>
      <strong data-testid="event-clock">{eventTime(shown.now)}</strong>
      {shown.behind && (
        <span class="behind" data-testid="clock-behind">
          {' '}
          ({shown.behind})
        </span>
      )}
    </>
  );
}

/** The console: a header with the pages and the event clock, and the page the address names. */
export function App() {
  const { path, query } = useLocation();
  const health = useJson<Health>('/health', 5_000);
  const who = useIdentitySource();
  // The operator's currency, read once: every amount on every page is written in it (format.ts's money),
  // set here, before the pages below render.
  const catalogue = useJson<CatalogueUnits>(who.known && may(who, 'catalogue:read') ? '/catalogue' : null);
  setCurrency(operatorCurrency(catalogue.data));
  const clockText = headerClock(health.data);
  const clock = clockText.now;
  const shown = page(path, query.toString());
  const { title } = shown;
  const guard = GUARDED.find((g) => path === g.path || path.startsWith(`${g.path}/`));
  const body = guard && !may(who, guard.permission) ? <NoAccess title={title} permission={guard.permission} role={who.role} /> : shown.body;
  useEffect(() => {
    document.title = `${title} · Twinloop`;
  }, [title]);
  const active = path === '/' || path === '/console' ? '/console/overview' : path;

  return (
    <EventClockContext.Provider value={clock}>
      <IdentityContext.Provider value={who}>
      <div onClick={interceptLinks}>
        <header class="top">
          <a class="brand" href="/console/overview">
            Twinloop
          </a>
          <nav aria-label="Pages">
            {NAV.filter((n) => (typeof n.needs === 'string' ? [n.needs] : n.needs).some((p) => may(who, p))).map((n) => (
              <a key={n.path} href={n.path} aria-current={active === n.path || active.startsWith(n.path + '/') ? 'page' : undefined}>
                {n.label}
              </a>
            ))}
          </nav>
          <span class="clock" title={clockText.title}>
            <span data-testid="clock-label">{clockText.label}</span> <LiveClock initial={health.data} />
          </span>
          {who.known && <Who who={who} />}
        </header>
        <main id="main">
          <h1>{title}</h1>
          {who.known ? body : <p class="muted" data-testid="identity-pending">Reading who you are…</p>}
        </main>
      </div>
      </IdentityContext.Provider>
    </EventClockContext.Provider>
  );
}
