import { resolve } from 'node:path';
import { loadavg } from 'node:os';
import { TwinloopError } from '../../domain/errors.js';
import { intOption } from '../cli/cli-numbers.js';
import { inTempDir } from './bench-fixtures.js';
import { defineBench } from './bench-harness.js';
import { round, sampleStats } from './bench-stats.js';
import { rssMb, startServer } from './overload-bench.js';

/** The mix of the soak's load: each route's share of the requests (they sum to 1). */
const MIX = [
  { route: 'POST /events', share: 0.4 },
  { route: 'GET /twins/:id', share: 0.3 },
  { route: 'POST /decisions', share: 0.15 },
  { route: 'POST /actions', share: 0.05 },
  { route: 'POST /workflows/onboarding/start', share: 0.02 },
  { route: 'GET /health', share: 0.08 },
] as const;
type Route = (typeof MIX)[number]['route'];

/** Events in each `POST /events` body of the soak. */
const EVENTS_PER_BODY = 20;
/** Requests the load may have unanswered at once; a request due beyond it is counted as shed (the backlog grows), not sent. */
const MAX_IN_FLIGHT = 256;

/** One minute of the soak. */
export interface SoakMinute {
  minute: number;
  /** The server's resident set at the end of the minute. */
  rss_mb: number;
  /** The highest resident set sampled (once a second) within the minute: its level over the garbage collector's sawtooth. */
  rss_peak_mb: number;
  /** Per route: requests answered, p50/p99 latency (ms), errors (5xx, 4xx other than the policy's refusals, connection errors). */
  routes: Record<string, { n: number; p50_ms: number; p99_ms: number; errors: number }>;
  /** Requests unanswered at the minute's end, and the intake's queue (`/health` intakePending). */
  in_flight: number;
  intake_pending: number;
  /** Requests due that were not sent because MAX_IN_FLIGHT were unanswered. */
  shed: number;
  /** How late the server's event loop ran over the minute (`/health` eventLoopDelay read at its end): max is the longest hold. */
  event_loop: { p99_ms: number; max_ms: number };
}

/** What `bench soak` measures: the real server under a fixed-rate mix for minutes, memory and latency over time. */
export interface SoakBenchResult {
  minutes: number;
  rate_per_s: number;
  customers: number;
  /**
   * `after_minute_1` and `end` are the peaks of the first and the last minute (sampled once a
   * second), not one sample each: a single sample lands anywhere on the garbage collector's
   * sawtooth (222-293 MB within a run without trend, 2026-12-03), so two of them can differ by
   * 20 % with no growth at all, while peaks compare the level memory reaches.
   */
  rss_mb: { start: number; after_minute_1: number; end: number; max: number };
  /** The last minute's peak over the first minute's peak: bounded when at most 1.10. */
  end_vs_minute_1: number;
  bounded: boolean;
  requests: number;
  errors: number;
  /** Error answers seen, by status and a sample message (status 0: no answer). */
  error_samples: Record<string, string>;
  shed: number;
  /** Records of the `POST /events` bodies the intake accepted and rejected (a rejection is named in the answer). */
  events_accepted: number;
  events_rejected: number;
  per_minute: SoakMinute[];
  load_average: number[];
}

export const soakBench = defineBench<{ minutes: number; rate: number; customers: number; port: number; cpuProf?: string }, SoakBenchResult>({
  name: 'soak',
  description: 'The real server (the small sandbox world running live) under a mixed load at a fixed rate for minutes: resident memory over time, p50/p99 per route per minute, errors, backlog',
  options: [
    { flags: '--minutes <n>', description: 'how long the load runs', parse: intOption('--minutes', 1, 24 * 60), default: 10 },
    { flags: '--rate <n>', description: 'requests a second (open loop: sent on schedule whatever the answers)', parse: intOption('--rate', 1, 5_000), default: 50 },
    { flags: '--customers <n>', description: "the sandbox world's customers (small world; 3 months of history, so a churn model serves)", parse: intOption('--customers', 10, 100_000), default: 500 },
    { flags: '--port <n>', description: 'port of the server under test', parse: intOption('--port', 1, 65_535), default: 18153 },
    { flags: '--cpu-prof <dir>', description: "write the server's CPU profile (node --cpu-prof) into this directory when it stops: what held its event loop" },
  ],
  async run(o, { log }) {
    return inTempDir('soak-bench', async (dir) => {
      log(`starting the server: small world, ${o.customers} customers, 3 months of history (until its model serves)…`);
      // A world that moves live (an hour a minute) under the load: its own events, alarms and flows run too.
      const nodeArgs = o.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', resolve(o.cpuProf)] : [];
      const server = await startServer(dir, o.port, ['--world', 'small', '--customers', String(o.customers), '--months', '3', '--speed', '60'], /ready: \d+ twins/, nodeArgs);
      const base = `http://127.0.0.1:${o.port}`;
      const pid = server.pid!;
      try {
        const soakStart = Date.now();
        const post = (path: string, body: unknown, type = 'application/json') => fetch(base + path, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });
        const customerIds = ((await (await fetch(`${base}/twins?limit=${Math.min(o.customers, 1000)}`)).json()) as { items?: { customerId: string }[] }).items?.map((t) => t.customerId) ?? [];
        if (customerIds.length === 0) throw new TwinloopError('INTERNAL', 'the server listed no twins to load');
        let seq = 0;
        const pick = () => customerIds[seq++ % customerIds.length];
        const send: Record<Route, () => Promise<Response>> = {
          'POST /events': () => {
            // Dated at the server's clock would need a read: the sandbox's simulated time runs ahead of the wall,
            // and records a little in the past of it are in order; their ids are new, so each is one more usage record.
            const at = clockMs - 60_000;
            const lines = Array.from({ length: EVENTS_PER_BODY }, (_, k) => JSON.stringify({ id: `soak-${soakStart}-${seq}-${k}`, kind: 'usage', customerId: pick(), time: new Date(at + k).toISOString(), source: 'soak', v: 1, data: { subscriptionId: 'soak', dataMb: 1, voiceMin: 0, sms: 0, roaming: false } }));
            return post('/events', lines.join('\n'), 'application/x-ndjson');
          },
          'GET /twins/:id': () => fetch(`${base}/twins/${pick()}`),
          'POST /decisions': () => post('/decisions', { customerId: pick(), channel: 'app' }),
          'POST /actions': () => post('/actions', { id: `soak-${soakStart}-${seq++}`, actionClass: 'credit', channel: 'app', customerId: pick(), cost: 1, why: { summary: 'soak' } }),
          'POST /workflows/onboarding/start': async () => {
            const applicant = await post('/sandbox/applicants', {});
            if (applicant.status !== 201) return applicant;
            return post('/workflows/onboarding/start', { input: { applicant: await applicant.json() } });
          },
          'GET /health': () => fetch(`${base}/health`),
        };
        // The server's event clock (the sandbox's simulated time), followed every second for the events' dates.
        let clockMs = Date.now();
        let intakePending = 0;
        let loopDelay = { p99_ms: 0, max_ms: 0 };
        const follow = async () => {
          const h = (await (await fetch(`${base}/health`)).json()) as { eventClock: string | null; intakePending: number; eventLoopDelay: { p99Ms: number; maxMs: number } };
          if (h.eventClock) clockMs = Date.parse(h.eventClock);
          intakePending = h.intakePending;
          // Over the last minute, sliding: the reading nearest a minute's end is that minute's.
          loopDelay = { p99_ms: h.eventLoopDelay.p99Ms, max_ms: h.eventLoopDelay.maxMs };
        };
        await follow();

        const rssStart = rssMb(pid);
        let rssMax = rssStart;
        let rssAfterMinute1 = Number.NaN;
        let minutePeak = 0;
        // Every sample with its time, so the last minute's peak is read over the run's last 60 s whatever the windows.
        const samples: { at: number; mb: number }[] = [];
        const sample = (): number => {
          const mb = rssMb(pid);
          samples.push({ at: Date.now(), mb });
          return mb;
        };
        log(`server ready (${customerIds.length} customers loaded) at ${rssStart.toFixed(0)} MB; ${o.rate} requests/s for ${o.minutes} min`);
        const minutes: SoakMinute[] = [];
        const errorSamples: Record<string, string> = {};
        let window = newWindow();
        let inFlight = 0;
        let shed = 0;
        let requests = 0;
        let errors = 0;
        let eventsAccepted = 0;
        let eventsRejected = 0;
        const fire = (route: Route) => {
          if (inFlight >= MAX_IN_FLIGHT) {
            window.shed++;
            shed++;
            return;
          }
          inFlight++;
          const w = window;
          const t = performance.now();
          void send[route]()
            .then(async (res) => {
              const text = await res.text();
              // A refusal by the policy (403) or the rate limit (429) is an answer, not an error of the server.
              return { status: res.status, ok: res.status < 400 || res.status === 403 || res.status === 409 || res.status === 429, text };
            })
            .catch((err: Error) => ({ status: 0, ok: false, text: err.message }))
            .then((r) => {
              inFlight--;
              requests++;
              const stat = (w.routes[route] ??= { ms: [], errors: 0 });
              stat.ms.push(performance.now() - t);
              if (route === 'POST /events' && r.status === 200) {
                eventsAccepted += Number(/"accepted":(\d+)/.exec(r.text)?.[1] ?? 0);
                eventsRejected += Number(/"rejected":(\d+)/.exec(r.text)?.[1] ?? 0);
              }
              if (!r.ok) {
                stat.errors++;
                errors++;
                errorSamples[`${route} ${r.status}`] ??= r.text.slice(0, 200);
              }
            });
        };
        const cumulative = MIX.map((m, i) => ({ route: m.route, upTo: MIX.slice(0, i + 1).reduce((a, b) => a + b.share, 0) }));
        const intervalMs = 1000 / o.rate;
        const end = soakStart + o.minutes * 60_000;
        let next = performance.now();
        let n = 0;
        let lastFollow = Date.now();
        let minuteEnds = soakStart + 60_000;
        while (Date.now() < end) {
          // Open loop: requests go out on schedule (catching up after a stall), not when the last was answered.
          const now = performance.now();
          while (next <= now) {
            const x = ((n++ * 0.6180339887) % 1 + 1) % 1;
            fire(cumulative.find((c) => x < c.upTo)?.route ?? 'GET /health');
            next += intervalMs;
          }
          if (Date.now() - lastFollow >= 1_000) {
            lastFollow = Date.now();
            minutePeak = Math.max(minutePeak, sample());
            rssMax = Math.max(rssMax, minutePeak);
            void follow().catch(() => undefined);
          }
          if (Date.now() >= minuteEnds) {
            const rss = sample();
            minutePeak = Math.max(minutePeak, rss);
            rssMax = Math.max(rssMax, minutePeak);
            const m = closeWindow(window, minutes.length + 1, rss, minutePeak, inFlight, intakePending, loopDelay);
            minutes.push(m);
            if (minutes.length === 1) rssAfterMinute1 = minutePeak;
            minutePeak = rss;
            log(`minute ${m.minute}: ${rss.toFixed(0)} MB, ${Object.entries(m.routes).map(([r, s]) => `${r} p50 ${s.p50_ms} p99 ${s.p99_ms} ms${s.errors ? ` (${s.errors} errors)` : ''}`).join('; ')}; loop delay p99 ${loopDelay.p99_ms} max ${loopDelay.max_ms} ms; in flight ${inFlight}, intake ${intakePending}, shed ${m.shed}`);
            window = newWindow();
            minuteEnds += 60_000;
          }
          await new Promise((r) => setTimeout(r, Math.max(1, Math.min(20, next - performance.now()))));
        }
        // The last requests are answered (or time out) before the end is read.
        const drained = Date.now() + 30_000;
        while (inFlight > 0 && Date.now() < drained) await new Promise((r) => setTimeout(r, 100));
        await follow().catch(() => undefined);
        const rssLast = sample();
        minutePeak = Math.max(minutePeak, rssLast);
        rssMax = Math.max(rssMax, minutePeak);
        minutes.push(closeWindow(window, minutes.length + 1, rssLast, minutePeak, inFlight, intakePending, loopDelay));
        if (minutes.length === 1) rssAfterMinute1 = minutePeak;
        const lastMinute = samples[samples.length - 1].at - 60_000;
        const rssEnd = Math.max(...samples.filter((x) => x.at >= lastMinute).map((x) => x.mb));
        const endVs1 = round(rssEnd / rssAfterMinute1, 3);
        return {
          minutes: o.minutes,
          rate_per_s: o.rate,
          customers: o.customers,
          rss_mb: { start: Math.round(rssStart), after_minute_1: Math.round(rssAfterMinute1), end: Math.round(rssEnd), max: Math.round(rssMax) },
          end_vs_minute_1: endVs1,
          bounded: endVs1 <= 1.1,
          requests,
          errors,
          error_samples: errorSamples,
          shed,
          events_accepted: eventsAccepted,
          events_rejected: eventsRejected,
          per_minute: minutes,
          load_average: loadavg().map((l) => round(l, 1)),
        };
      } finally {
        server.kill('SIGTERM');
        await new Promise((r) => server.once('exit', r));
      }
    });
  },
  summary: (r) =>
    `soak ${r.minutes} min at ${r.rate_per_s} requests/s: resident ${r.rss_mb.start} MB at start, peak ${r.rss_mb.after_minute_1} in minute 1, ${r.rss_mb.end} in the last (×${r.end_vs_minute_1}: ${r.bounded ? 'bounded' : 'NOT within 10 %'}), ${r.rss_mb.max} at most; ${r.requests} requests, ${r.errors} errors, ${r.shed} shed; events ${r.events_accepted} accepted, ${r.events_rejected} rejected; load ${r.load_average.join(' ')}`,
});

interface Window {
  routes: Partial<Record<Route, { ms: number[]; errors: number }>>;
  shed: number;
}

function newWindow(): Window {
  return { routes: {}, shed: 0 };
}

function closeWindow(w: Window, minute: number, rss: number, rssPeak: number, inFlight: number, intakePending: number, loop: SoakMinute['event_loop']): SoakMinute {
  const routes: SoakMinute['routes'] = {};
  for (const [route, s] of Object.entries(w.routes)) {
    const st = sampleStats(s.ms, ['p50', 'p99'], 1);
    routes[route] = { n: s.ms.length, p50_ms: st.p50, p99_ms: st.p99, errors: s.errors };
  }
  return { minute, rss_mb: Math.round(rss), rss_peak_mb: Math.round(rssPeak), routes, in_flight: inFlight, intake_pending: intakePending, shed: w.shed, event_loop: loop };
}
