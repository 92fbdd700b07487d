import { readFileSync } from 'node:fs';

/** User + system CPU seconds from a /proc stat file (Linux; clock ticks of 1/100 s). */
function statCpuSeconds(path: string): number {
  // The fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
  const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds a process has spent, all its threads. */
export function processCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/**
 * CPU seconds the calling thread has spent: a bench's one core, or a worker thread's own work, a
 * figure the machine's load barely moves where a rate halves (the thread pool's disk writes and
 * the GC's helpers are left out). Linux only: elsewhere it throws (`/proc` is missing).
 */
export function threadCpuSeconds(): number {
  return statCpuSeconds('/proc/thread-self/stat');
}

/** `threadCpuSeconds()` where the platform tells it, else undefined (a figure to report, never one to rely on). */
export function threadCpuSecondsIfKnown(): number | undefined {
  try {
    return threadCpuSeconds();
  } catch {
    return undefined;
  }
}
