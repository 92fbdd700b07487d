/**
 * Things the world has scheduled for a later simulated day (a payment, a ticket's resolution,
 * an incident's clearance). Items are few next to usage, so plain objects are fine here.
 */

/** What an agenda item does when its time comes. */
export const AGENDA = {
  PAY_PAID: 1,
  PAY_FAILED: 2,
  TICKET_OPEN: 3,
  TICKET_RESOLVE: 4,
  INTERACTION: 5,
  PLAN_CHANGE: 6,
  INCIDENT_START: 7,
  INCIDENT_CLEAR: 8,
  INCIDENT_ALARM: 9,
  EXPERIENCE_RECORD: 10,
} as const;
export type AgendaKind = (typeof AGENDA)[keyof typeof AGENDA];

/** One scheduled action; the meaning of x, y, s, t depends on the kind (see the engine). */
export interface AgendaItem {
  /** Second of the day it happens at. */
  at: number;
  k: AgendaKind;
  /** Customer slot, or -1. */
  c: number;
  x: number;
  y: number;
  s: string;
  t: string;
}

/** Items per simulated day, in insertion order; the engine sorts a day stably by `at`. */
export class Agenda {
  private days = new Map<number, AgendaItem[]>();

  add(day: number, at: number, k: AgendaKind, c: number, x = 0, y = 0, s = '', t = ''): void {
    let list = this.days.get(day);
    if (!list) this.days.set(day, (list = []));
    list.push({ at, k, c, x, y, s, t });
  }

  /** Removes and returns a day's items, sorted by time (stable, so insertion order breaks ties). */
  take(day: number): AgendaItem[] {
    const list = this.days.get(day) ?? [];
    this.days.delete(day);
    return list.sort((a, b) => a.at - b.at);
  }
}
