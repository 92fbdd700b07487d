import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { getJson } from './api';

/** What a page knows of one route's answer. */
export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  readonly loading: boolean;
  /** Reads the route again (after an action changed what it answers). */
  reload(): void;
  /**
   * Shows `data` now, the route's answer as an action returned it (an approval answers the intent
   * executing), and reads the route again; a read under way since before is dropped, so an answer
   * from before the action never overwrites it. Waiting for the read alone, a page showed "awaiting
   * approval" for seconds after the approval had answered "acting".
   */
  replace(data: T): void;
}

/**
 * Reads a JSON route when `path` changes (null: nothing to read yet), and again every `refreshMs`
 * when given (the numbers of a live population move). The last good answer stays on screen while
 * a refresh runs or fails.
 */
export function useJson<T>(path: string | null, refreshMs?: number): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const current = useRef(path);
  current.current = path;

  useEffect(() => {
    if (path === null) return;
    let live = true;
    setLoading(true);
    getJson<T>(path).then(
      (d) => {
        if (!live || current.current !== path) return;
        setData(d);
        setError(undefined);
        setLoading(false);
      },
      (err: Error) => {
        if (!live) return;
        setError(err.message);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [path, tick]);

  useEffect(() => {
    if (!refreshMs || path === null) return;
    const timer = setInterval(() => setTick((t) => t + 1), refreshMs);
    return () => clearInterval(timer);
  }, [path, refreshMs]);

  useEffect(() => setData(undefined), [path]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const replace = useCallback((d: T) => {
    setData(d);
    setError(undefined);
    setTick((t) => t + 1);
  }, []);
  return { data, error, loading, reload, replace };
}
