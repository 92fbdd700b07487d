import { TwinloopError, type ErrorCode } from '../../domain/errors.js';
import { resolveStoreOptions } from '../../store/store-options.js';
import { localApiKey } from '../auth/local-auth.js';
import { runningServer } from '../runtime/open-twins.js';
import type { GlobalOptions } from './cli-context.js';

/** A running server a command talks to, and the key it presents. */
export interface ServerTarget {
  readonly url: string;
  /** `TWINLOOP_API_KEY`, else the data dir's admin.key (written by the server's first start); none: the server answers 401 naming what to do. */
  readonly apiKey?: string;
}

/** The server running on the data dir (from its lock file) or at the URL given, with the key to present; undefined when none runs. */
export function serverTarget(global: GlobalOptions, explicit?: string): ServerTarget | undefined {
  const store = resolveStoreOptions({ dataDir: global.dataDir, databaseUrl: global.databaseUrl }, process.env);
  const dataDir = store.kind === 'sqlite' ? store.dataDir : undefined;
  const url = explicit ?? (dataDir === undefined ? undefined : runningServer(dataDir)?.url);
  if (!url) return undefined;
  const apiKey = localApiKey(dataDir, process.env);
  return apiKey ? { url, apiKey } : { url };
}

/** The Authorization header of a target, if it has a key. */
export function authorizationOf(target: ServerTarget): Record<string, string> {
  return target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {};
}

/** Calls the running server's API; its error answers become TwinloopErrors with the same code. */
export async function callServer(target: ServerTarget, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    const headers = { ...authorizationOf(target), ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    res = await fetch(new URL(path, target.url), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new TwinloopError('UNAVAILABLE', `cannot reach the Twinloop server at ${target.url} (${(err as Error).message}); is it running?`);
  }
  const answer = (await res.json().catch(() => ({}))) as { error?: { code?: ErrorCode; message?: string } };
  if (!res.ok) throw new TwinloopError(answer.error?.code ?? 'INTERNAL', answer.error?.message ?? `the server answered ${res.status}`);
  return answer;
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
