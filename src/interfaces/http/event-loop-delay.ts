import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';

/**
 * How often the loop is sampled. A tick that comes late by d ms means every callback waiting in
 * that time waited up to d ms: 20 ms resolves what a person notices and costs nothing measurable.
 */
const SAMPLE_EVERY_MS = 20;
/** The window `GET /health` reports over is a minute, kept in 5 s buckets so it slides in small steps. */
const BUCKET_MS = 5_000;
const BUCKETS = 12;

/** How late the event loop ran over the last minute (or since start, when that is shorter). */
export interface EventLoopDelay {
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The longest the loop was held at once: a request arriving then waited about this long. */
  readonly maxMs: number;
  /** Seconds the figures cover (60 once the server has run a minute). */
  readonly windowS: number;
}

/** A running measure of the event loop's delay (`monitorEventLoop`). */
export interface EventLoopMonitor {
  read(): EventLoopDelay;
  close(): void;
}

/**
 * Measures how late the event loop runs, over a sliding minute: every piece of synchronous work
 * that holds the loop (a long scan, a big JSON body, a full re-score) shows as delay, whatever
 * route or timer did it. Sampled by a timer of our own (not `monitorEventLoopDelay`) so the
 * minute's buckets are histograms that can be added up exactly.
 */
export function monitorEventLoop(now: () => number = () => performance.now()): EventLoopMonitor {
  const started = now();
  const buckets: { start: number; histogram: RecordableHistogram }[] = [{ start: started, histogram: newHistogram() }];
  // The closed buckets added up, made again when one closes (every 5 s), so a read adds only two.
  let closed = newHistogram();
  let last = started;
  const timer = setInterval(() => {
    const t = now();
    const late = Math.max(0, t - last - SAMPLE_EVERY_MS);
    last = t;
    // A new bucket first, so a long stall counts in the minute after it ended, not one about to slide out.
    if (t - buckets[buckets.length - 1].start >= BUCKET_MS) {
      buckets.push({ start: t, histogram: newHistogram() });
      if (buckets.length > BUCKETS) buckets.shift();
      closed = newHistogram();
      for (const b of buckets.slice(0, -1)) closed.add(b.histogram);
    }
    buckets[buckets.length - 1].histogram.record(Math.min(HIGHEST_US, Math.max(1, Math.round(late * 1000))));
  }, SAMPLE_EVERY_MS);
  timer.unref();
  return {
    read() {
      const all = newHistogram();
      all.add(closed);
      all.add(buckets[buckets.length - 1].histogram);
      const ms = (us: number) => (all.count === 0 ? 0 : Math.round(us / 100) / 10);
      const t = now();
      // A stall still going on is not sampled yet; the time since the last tick is its delay so far.
      const ongoing = Math.max(0, t - last - SAMPLE_EVERY_MS);
      return {
        p50Ms: ms(all.percentile(50)),
        p99Ms: ms(all.percentile(99)),
        maxMs: Math.max(ms(all.max), Math.round(ongoing * 10) / 10),
        windowS: Math.round(Math.min(t - buckets[0].start, BUCKET_MS * BUCKETS) / 1000),
      };
    },
    close: () => clearInterval(timer),
  };
}

/** Delays are kept in microseconds up to 10 minutes, to 2 significant figures (1 %): a histogram that small adds up in microseconds. */
const HIGHEST_US = 600_000_000;
function newHistogram(): RecordableHistogram {
  return createHistogram({ lowest: 1, highest: HIGHEST_US, figures: 2 });
}
