import { TwinloopError, type ErrorCode } from '../../domain/errors.js';
import { resolveStoreOptions } from '../../store/store-options.js';
import { runningServer } from '../runtime/open-twins.js';
import type { GlobalOptions } from './cli-context.js';

/** The URL of the server running on the data dir (from its lock file), if any. */
export function serverUrl(global: GlobalOptions, explicit?: string): string | undefined {
  if (explicit) return explicit;
  const store = resolveStoreOptions({ dataDir: global.dataDir, databaseUrl: global.databaseUrl }, process.env);
  return store.kind === 'sqlite' ? runningServer(store.dataDir)?.url : undefined;
}

/** Calls the running server's API; its error answers become TwinloopErrors with the same code. */
export async function callServer(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(new URL(path, base), { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new TwinloopError('UNAVAILABLE', `cannot reach the Twinloop server at ${base} (${(err as Error).message}); is it running?`);
  }
  const answer = (await res.json().catch(() => ({}))) as { error?: { code?: ErrorCode; message?: string } };
  if (!res.ok) throw new TwinloopError(answer.error?.code ?? 'INTERNAL', answer.error?.message ?? `the server answered ${res.status}`);
  return answer;
}
