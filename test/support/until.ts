/**
 * Polls `fn` every 250 ms until it answers something other than undefined (errors count as not
 * yet), or fails after `ms`. The failure names what was waited for (`what`, or a function that
 * says it with what was seen so far, e.g. a server's last output) and the last error `fn` threw.
 */
export async function until<T>(fn: () => Promise<T | undefined>, ms: number, what?: string | (() => string)): Promise<T> {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  for (;;) {
    const value = await fn().catch((err: unknown) => {
      lastError = err;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const waitedFor = typeof what === 'function' ? what() : what;
      const failure = lastError === undefined ? '' : `; the last try threw: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
      throw new Error(`timed out after ${Math.round(ms / 1000)} s waiting${waitedFor ? ` for ${waitedFor}` : ''}${failure}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
