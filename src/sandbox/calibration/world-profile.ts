import type { TwinEvent } from '../../domain/events.js';
import type { EventOutput } from '../event-output.js';
import { createSandboxWorld } from '../sandbox-world.js';
import type { WorldConfig } from '../world-config.js';
import { summarise, type CalibrationSide, type ProfileRecord } from './calibration-profile.js';
import { MONTH_MS } from '../../domain/time.js';


/**
 * The world's side of the calibration, measured from its own events (what a twin would see):
 * attributes and tenure at the start of the window (joiners: at joining), churn as terminations
 * per month of exposure over `months` of backfill.
 */
export function worldProfile(config: WorldConfig, seed: number, months: number): CalibrationSide {
  const world = createSandboxWorld(config, seed, { latencyScale: 0 });
  const byCustomer = new Map<string, ProfileRecord & { fromMs: number; toMs?: number }>();
  const startMs = Date.parse(config.start + 'T00:00:00Z');
  const plans = new Map(config.plans.map((p) => [p.id, p]));
  const out: EventOutput = {
    usage() {},
    event(e: TwinEvent) {
      // A customer's first event names their attributes; a later one (a contract's end: renewed or
      // rolled on month to month) changes none of those the window is profiled by.
      if (e.kind === 'customer' && !byCustomer.has(e.customerId)) {
        const t = Date.parse(e.time);
        byCustomer.set(e.customerId, {
          contractMonths: e.data.contractMonths,
          paymentMethod: e.data.paymentMethod,
          family: 'none',
          phone: false,
          tenureMonths: Math.max(0, (t - Date.parse(e.data.since)) / MONTH_MS),
          monthlyCharge: 0,
          churned: false,
          exposureMonths: 0,
          fromMs: t,
          inBase: t <= startMs,
        });
      } else if (e.kind === 'subscription') {
        const r = byCustomer.get(e.customerId);
        if (!r) return;
        if (e.data.action === 'activated') {
          const plan = plans.get(e.data.productId ?? '');
          if (plan) Object.assign(r, { family: plan.family, phone: plan.voiceAllowanceMin > 0, monthlyCharge: e.data.monthlyPrice ?? plan.monthlyPrice });
        } else if (e.data.action === 'terminated') {
          r.churned = true;
          r.toMs = Date.parse(e.time);
        }
      }
    },
  };
  world.generate(out, { months });
  const endMs = world.clock.now();
  const records: ProfileRecord[] = [];
  for (const r of byCustomer.values()) {
    r.exposureMonths = ((r.toMs ?? endMs) - Math.max(r.fromMs, startMs)) / MONTH_MS;
    records.push(r);
  }
  return summarise(records);
}
