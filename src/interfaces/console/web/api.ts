/**
 * The console's one way to the server: JSON over the same origin with the session cookie. Every
 * error answer of the API is `{"error": {"code", "message"}}`; it becomes an `ApiError` carrying
 * the message, which pages show as it is (it names what is wrong and what to do).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function answer<T>(res: Response): Promise<T> {
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  if (res.status === 401) {
    // Signed out (or the session ran out): the sign-in page brings the person back here.
    location.assign('/sign-in?next=' + encodeURIComponent(location.pathname + location.search));
  }
  if (!res.ok) throw new ApiError(res.status, body?.error?.code ?? 'HTTP_' + res.status, body?.error?.message ?? `the server answered ${res.status}`);
  return body as T;
}

/** GET a JSON route. */
export async function getJson<T>(path: string): Promise<T> {
  return answer<T>(await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } }));
}

/** POST a JSON body to a route. */
export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return answer<T>(await fetch(path, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) }));
}

/** PUT a JSON body to a route (a document replaced whole, e.g. the action policy). */
export async function putJson<T>(path: string, body: unknown): Promise<T> {
  return answer<T>(await fetch(path, { method: 'PUT', credentials: 'same-origin', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) }));
}

/** A path segment, escaped. */
export const seg = (value: string) => encodeURIComponent(value);
