import type { ReadyReport } from '../runtime/operator.js';

/**
 * Events below which the history's CPU is not given per event: a few events divide the thread's
 * CPU into a figure of nothing. A first start's history is millions; a small world's months tens
 * of thousands. (A restart delivers its last days again, a few dozen to tens of thousands of
 * events, beside its world's rebuild: "1939032.26 µs an event" for 31; it gives totals.)
 */
export const PER_EVENT_MIN_EVENTS = 10_000;

/**
 * The history's intake-thread CPU: per event when there were enough events for it to mean
 * something and it was theirs, else the totals (a restart's is mostly its world's rebuild).
 */
function intakeThread(seconds: number, events: number, rebuilt: boolean): string {
  if (rebuilt) return `intake thread ${seconds.toFixed(1)} s, the world's rebuild with ${events} events`;
  if (events >= PER_EVENT_MIN_EVENTS) return `intake thread ${seconds.toFixed(1)} s, ${((seconds * 1e6) / events).toFixed(2)} µs an event`;
  return `intake thread ${seconds.toFixed(1)} s for ${events} events`;
}

/** `twinloop start`'s line once every twin is present and scored: how long each phase took and what it cost. */
export function readyLine(r: ReadyReport, loadAverage: number): string {
  if (r.noModel) return `ready: ${r.twins} twins in ${r.seconds.toFixed(1)} s, not scored: ${r.noModel}`;
  const written = r.writtenBehind ? ` (written behind: ${Math.floor(r.writtenBehind.atHistoryEnd * 100)} % at its end; the model waited ${r.writtenBehind.waitedSeconds.toFixed(1)} s for the rest)` : '';
  const thread = r.historyThreadCpuSeconds === undefined ? '' : ` (${intakeThread(r.historyThreadCpuSeconds, r.historyEvents, r.rebuiltWorld === true)})`;
  const training = r.trainingCpuSeconds === undefined ? '' : ` (training thread ${r.trainingCpuSeconds.toFixed(1)} s${r.firstModel ? ', first model' : ''})`;
  return `ready: ${r.scored} twins scored in ${r.seconds.toFixed(1)} s (store opened ${r.openSeconds.toFixed(1)} s, history ${r.historySeconds.toFixed(1)} s${written}, model ${r.modelSeconds.toFixed(1)} s; CPU: history ${r.historyCpuSeconds.toFixed(1)} s${thread}, model ${r.modelCpuSeconds.toFixed(1)} s${training}; load average ${loadAverage.toFixed(1)})`;
}
