import type { z } from 'zod';
import { rejected, transient, type ConnectorResult } from '../../domain/connectors/connector-result.js';
import { TwinloopError } from '../../domain/errors.js';
import { IDEMPOTENCY_HEADER } from './bss-wire.js';

/** How the HTTP connectors reach a BSS; the defaults are documented on each field. */
export interface BssClientOptions {
  /** The BSS's base URL (the sandbox's `twinloop sandbox serve` prints it), e.g. http://127.0.0.1:8090. */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer …` when given. */
  readonly token?: string;
  /** One attempt's limit; default 5,000 ms (the sandbox's slowest back ends answer within 2 s). */
  readonly timeoutMs?: number;
  /** Attempts per call, the first included, for timeouts, lost connections and 5xx; default 3. 4xx are never retried. */
  readonly attempts?: number;
  /** Wait before the second attempt, doubling after; default 200 ms (a `Retry-After` up to 2 s is honoured instead). */
  readonly backoffMs?: number;
}

/** Longest `Retry-After` honoured between attempts: a call never waits longer than this for one retry. */
const MAX_RETRY_AFTER_MS = 2_000;

/** One call to the BSS, answered as a connector result. */
export interface BssCall<T> {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  body?: unknown;
  /** Carried as the `Idempotency-Key` header on every attempt: a retried call acts once. */
  idempotencyKey?: string;
  /** The answer's schema: an answer that does not match is a rejection naming what is wrong. */
  answer: z.ZodType<T>;
}

/** The client every HTTP connector calls through. */
export interface BssClient {
  readonly baseUrl: string;
  call<T>(c: BssCall<T>): Promise<ConnectorResult<T>>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Why a 4xx answer was refused: the TMF Error body's `code` (the back end's reason), else the status. */
async function reasonOf(res: Response): Promise<string> {
  const body = (await res.json().catch(() => undefined)) as { code?: unknown; message?: unknown } | undefined;
  return typeof body?.code === 'string' && body.code !== '' ? body.code : `http_${res.status}`;
}

/**
 * Builds the client: each call is tried up to `attempts` times with the same idempotency key while
 * the BSS times out, cannot be reached or answers 5xx (transient: the last failure is answered as
 * `transient`, for the caller's own retry policy); a 4xx is a permanent `rejected` with the BSS's
 * reason, at once. Options are checked once, here.
 */
export function createBssClient(o: BssClientOptions): BssClient {
  let base: URL;
  try {
    base = new URL(o.baseUrl);
  } catch {
    throw new TwinloopError('BAD_INPUT', `the connector URL ${JSON.stringify(o.baseUrl)} is not a URL; give the BSS's base URL, e.g. http://127.0.0.1:8090`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TwinloopError('BAD_INPUT', `the connector URL must be http(s); got ${base.protocol}`);
  const timeoutMs = o.timeoutMs ?? 5_000;
  const attempts = o.attempts ?? 3;
  const backoffMs = o.backoffMs ?? 200;
  if (!(timeoutMs > 0) || !Number.isInteger(attempts) || attempts < 1 || !(backoffMs >= 0)) throw new TwinloopError('BAD_INPUT', `connector timeout must be > 0, attempts an integer ≥ 1, backoff ≥ 0; got ${timeoutMs}, ${attempts}, ${backoffMs}`);
  const baseUrl = base.href.replace(/\/$/, '');

  async function call<T>(c: BssCall<T>): Promise<ConnectorResult<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (c.body !== undefined) headers['content-type'] = 'application/json';
    if (c.idempotencyKey !== undefined) headers[IDEMPOTENCY_HEADER] = c.idempotencyKey;
    const body = c.body === undefined ? undefined : JSON.stringify(c.body);
    let last = 'unavailable';
    let wait = backoffMs;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(wait);
      wait *= 2;
      let res: Response;
      try {
        res = await fetch(baseUrl + c.path, { method: c.method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        last = (err as Error).name === 'TimeoutError' ? 'timeout' : `unreachable: ${(err as Error).message}`;
        continue;
      }
      if (res.status >= 500) {
        last = await reasonOf(res);
        const after = Number(res.headers.get('retry-after'));
        if (after > 0) wait = Math.min(MAX_RETRY_AFTER_MS, after * 1000);
        continue;
      }
      if (res.status >= 400) return rejected(await reasonOf(res));
      const parsed = c.answer.safeParse(await res.json().catch(() => undefined));
      if (!parsed.success) return rejected(`bad_answer: ${c.method} ${c.path} answered ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`);
      return { status: 'ok', value: parsed.data };
    }
    return transient(last);
  }

  return { baseUrl, call };
}
