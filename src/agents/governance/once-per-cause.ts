/**
 * Writes a recurring trouble once per cause (its error code and message with the numbers left out:
 * a customer id or a percentage written changes nothing), then counts it; when it clears or another
 * cause comes, says how many more times it came. The outcome watch's and the offers' sweeps, every
 * few seconds, logged the same refusal for every offer open while a default world's first history
 * was written and sealed: 720 lines in its first minutes (one a reservation a sweep).
 */
export function oncePerCause(log: ((line: string) => void) | undefined) {
  let cause: string | undefined;
  let what = '';
  let repeats = 0;
  /** Whether the attempt under way met a trouble. */
  let troubled = false;
  const settle = () => {
    if (cause !== undefined && repeats > 0) log?.(`${what}: the same ${repeats} more time${repeats === 1 ? '' : 's'} since, until now`);
    cause = undefined;
    repeats = 0;
  };
  return {
    /** A failure: written when its cause is new, counted when it is the one written last. */
    note(err: unknown, prefix: string, subject?: string): void {
      troubled = true;
      const message = err instanceof Error ? err.message : String(err);
      const key = `${prefix}|${(err as { code?: string }).code ?? ''}|${message.replace(/\d+(\.\d+)?/g, '#')}`;
      if (key === cause) {
        repeats++;
        return;
      }
      settle();
      cause = key;
      what = prefix;
      log?.(`${prefix}${subject ? ` (${subject} first)` : ''}: ${message}`);
    },
    /** An attempt ended: when it met no trouble, the last one cleared. */
    done(): void {
      if (!troubled) settle();
      troubled = false;
    },
  };
}
