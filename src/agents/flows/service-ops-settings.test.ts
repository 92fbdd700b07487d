import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVICE_OPS_POLICY } from './service-ops-policy.js';
import { serviceOpsSettings } from './service-ops-settings.js';

const HOUR = 3_600_000;

describe('the outage settings in force', () => {
  it('are the values the flow runs on: the severities that start a flow, who is paid how much and after how long, the quiet spell', () => {
    expect(serviceOpsSettings(DEFAULT_SERVICE_OPS_POLICY, { quietSpellMs: 6 * HOUR, chainReachMs: 24 * HOUR })).toMatchObject({
      actingSeverities: ['critical', 'major', 'minor'],
      compensation: [
        { severity: 'critical', amount: 10 },
        { severity: 'major', amount: 5 },
      ],
      compensateAfterMs: 4 * HOUR,
      quietSpellMs: 6 * HOUR,
      chainReachMs: 24 * HOUR,
      confirmSeverities: ['critical', 'major', 'minor'],
      notificationChannel: 'sms',
    });
  });

  it('follow a changed policy: another threshold, and a severity with no amount is not listed as compensated', () => {
    const s = serviceOpsSettings({ ...DEFAULT_SERVICE_OPS_POLICY, compensateAfterMs: 2 * HOUR, compensation: { critical: 20, major: 0, minor: 2 } }, { quietSpellMs: 3 * HOUR, chainReachMs: HOUR });
    expect(s.compensation).toEqual([
      { severity: 'critical', amount: 20 },
      { severity: 'minor', amount: 2 },
    ]);
    expect(s).toMatchObject({ compensateAfterMs: 2 * HOUR, quietSpellMs: 3 * HOUR, chainReachMs: HOUR });
  });
});
