import { TwinloopError, type ErrorCode } from '../../domain/errors.js';
import { resolveStoreOptions } from '../../store/store-options.js';
import { localApiKey } from '../auth/local-auth.js';
import { runningServer } from '../runtime/open-twins.js';
import type { Command } from 'commander';
import { globalOptions, parseDuration, type GlobalOptions } from './cli-context.js';

/** A running server a command talks to, and the key it presents. */
export interface ServerTarget {
  readonly url: string;
  /** `TWINLOOP_API_KEY`, else the data dir's admin.key (written by the server's first start); none: the server answers 401 naming what to do. */
  readonly apiKey?: string;
  /** How long to wait for an answer (`TWINLOOP_TIMEOUT`, default `DEFAULT_ANSWER_TIMEOUT_MS`). */
  readonly timeoutMs?: number;
}

/**
 * How long a command waits for the server's answer before it says the server is busy. A loaded
 * server answers in seconds; while it retrains a model or backfills the default world, requests
 * have waited tens of seconds, so two minutes leaves room for that and still tells a person well
 * before the HTTP client's own 5-minute limit. `TWINLOOP_TIMEOUT` (e.g. 30s, 10m) changes it.
 */
export const DEFAULT_ANSWER_TIMEOUT_MS = 120_000;

/** The server running on the data dir (from its lock file) or at the URL given, with the key to present; undefined when none runs. */
export function serverTarget(global: GlobalOptions, explicit?: string): ServerTarget | undefined {
  const store = resolveStoreOptions({ dataDir: global.dataDir, databaseUrl: global.databaseUrl }, process.env);
  const dataDir = store.kind === 'sqlite' ? store.dataDir : undefined;
  // A subcommand's --url is taken by its parent when the parent has one too (commander reads the
  // parent's options anywhere on the line): `twinloop intent plans ID --url U` ignored U. Read here,
  // every command that finds its server gets it, not only those through requireServer.
  const given = (global as GlobalOptions & { url?: unknown }).url;
  const url = explicit ?? (typeof given === 'string' ? given : undefined) ?? (dataDir === undefined ? undefined : runningServer(dataDir)?.url);
  if (!url) return undefined;
  const apiKey = localApiKey(dataDir, process.env);
  const timeout = process.env.TWINLOOP_TIMEOUT;
  return { url, ...(apiKey ? { apiKey } : {}), ...(timeout ? { timeoutMs: parseDuration(timeout, 'TWINLOOP_TIMEOUT') } : {}) };
}

/**
 * The server a command that only talks to one acts through (`--url`, else the one running on the
 * data dir); UNAVAILABLE saying how to start one when none runs. `runs` says what of the command the
 * server runs, for the refusal (e.g. "its tools are served at /mcp").
 */
export function requireServer(command: Command, url?: string, runs?: string): ServerTarget {
  const target = serverTarget(globalOptions(command), url);
  if (!target) throw new TwinloopError('UNAVAILABLE', `no Twinloop server runs on this data dir; start one with \`npm start\`${runs ? ` (${runs})` : ''} or pass --url`);
  return target;
}

/** The Authorization header of a target, if it has a key. */
export function authorizationOf(target: ServerTarget): Record<string, string> {
  return target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {};
}

/**
 * Calls the running server's API; its error answers become TwinloopErrors with the same code. A
 * server that takes the connection and does not answer in time is OVERLOADED ("did not answer
 * within N s; it may be busy"), one that refuses it UNAVAILABLE ("nothing listens at URL"): a
 * slow server and a stopped one call for different things.
 */
export async function callServer(target: ServerTarget, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
  const timeoutMs = target.timeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  const started = Date.now();
  let res: Response;
  let text: string;
  try {
    const headers = { ...authorizationOf(target), ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    res = await fetch(new URL(path, target.url), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
    text = await res.text();
  } catch (err) {
    throw unansweredError(err, target.url, method, Math.max(timeoutMs, Date.now() - started));
  }
  const answer = parseAnswer(text) as { error?: { code?: ErrorCode; message?: string } };
  if (!res.ok) throw new TwinloopError(answer.error?.code ?? 'INTERNAL', answer.error?.message ?? `the server answered ${res.status}`);
  return answer;
}

function parseAnswer(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}

/** Node's fetch codes for a connection that was taken and then left without an answer (undici's own limits). */
const UNANSWERED_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * Why a request to the server at `url` got no answer, as the error a person can act on: the
 * server is slow (our wait, or the HTTP client's, ran out), nothing listens there, or the
 * connection failed otherwise (named by the system's message).
 */
export function unansweredError(err: unknown, url: string, method: string, waitedMs: number): TwinloopError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const name = (err as Error).name;
  if (name === 'TimeoutError' || name === 'AbortError' || UNANSWERED_CODES.has(cause?.code ?? '')) {
    const health = new URL('/health', url).href;
    const maybeDone = method === 'GET' ? '' : `; the ${method} may still be carried out: look before sending it again`;
    return new TwinloopError(
      'OVERLOADED',
      `the server at ${url} did not answer within ${Math.round(waitedMs / 1000)} s; it may be busy: GET ${health} shows how long its event loop is held (eventLoopDelay) and its queue (intakePending)${maybeDone}; set TWINLOOP_TIMEOUT (e.g. 10m) to wait longer`,
      { cause: err, context: { url, waitedMs } },
    );
  }
  if (cause?.code === 'ECONNREFUSED') {
    return new TwinloopError('UNAVAILABLE', `nothing listens at ${url}; start the server with \`npm start\` (or \`twinloop start\`), or pass --url to the one that runs`, { cause: err, context: { url } });
  }
  const why = cause?.message ?? (err as Error).message;
  return new TwinloopError('UNAVAILABLE', `cannot reach the Twinloop server at ${url} (${why}); is it running?`, { cause: err, context: { url } });
}

/**
 * Opens what a command acts through (the running server's API, or the store itself), uses it and
 * closes it whatever happens: the shape of `keys …` and `policy show|set|history`.
 */
export async function usingAccess<A extends { close(): Promise<void> }, T>(open: () => Promise<A>, use: (access: A) => Promise<T>): Promise<T> {
  const access = await open();
  try {
    return await use(access);
  } finally {
    await access.close();
  }
}
