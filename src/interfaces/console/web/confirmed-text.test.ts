import { describe, expect, it } from 'vitest';
import { confirmedText } from './confirmed-text';
import type { OutageSettings } from './outage-settings';

const HOUR = 3_600_000;
const settings: Pick<OutageSettings, 'quietSpellMs' | 'compensation' | 'compensateAfterMs'> = { quietSpellMs: 6 * HOUR, compensateAfterMs: 4 * HOUR, compensation: [{ severity: 'critical', amount: 10 }, { severity: 'major', amount: 5 }] };

/**
 * The review form says what a confirmation did (decision 0057): a suspicion over by its evidence is
 * confirmed as over and nobody is told, one back within the quiet spell after an alarm's clear goes
 * on that incident; the form said "tells the affected customers" for both.
 */
describe('confirmedText', () => {
  it('says an outage over by its evidence is told to nobody, and one that goes on an incident tells nobody twice', () => {
    expect(confirmedText('anomaly-12', { alarmId: 'alarm-9', alarmRaised: true, continues: null, over: false }, settings)).toBe('anomaly-12 confirmed: service operations acts on alarm-9 and tells the affected customers');
    expect(confirmedText('anomaly-12', { alarmId: 'alarm-9', alarmRaised: true, continues: null, over: true }, settings)).toBe(
      'anomaly-12 confirmed: service operations acts on alarm-9, raised cleared at its last signal (over by its evidence, which stopped more than 6 h ago): nobody is told, its customers are compensated if it lasted past 4 h (critical 10, major 5 each)',
    );
    expect(confirmedText('anomaly-12', { alarmId: 'alarm-9', alarmRaised: true, continues: 'alarm-5', over: false }, settings)).toBe('anomaly-12 confirmed: service operations acts on alarm-9, the incident of alarm-5 back within 6 h of its clear: those it told are told the fault is back (anyone it did not reach, of an outage), then resolved at its clear, and not paid twice');
    expect(confirmedText('anomaly-12', { alarmId: 'alarm-5', alarmRaised: false, continues: null, over: false }, settings)).toBe('anomaly-12 confirmed as part of alarm-5, which service operations acted on: nothing raised, nobody told twice');
  });

  it('says the settings in force, not figures of its own: another quiet spell and threshold read as they are', () => {
    const other = { quietSpellMs: 3 * HOUR, compensateAfterMs: 90 * 60_000, compensation: [{ severity: 'critical', amount: 25 }] };
    expect(confirmedText('anomaly-3', { alarmId: 'alarm-4', alarmRaised: true, continues: null, over: true }, other)).toBe(
      'anomaly-3 confirmed: service operations acts on alarm-4, raised cleared at its last signal (over by its evidence, which stopped more than 3 h ago): nobody is told, its customers are compensated if it lasted past 1 h 30 min (critical 25 each)',
    );
    expect(confirmedText('anomaly-3', { alarmId: 'alarm-4', alarmRaised: true, continues: 'alarm-2', over: false }, other)).toContain('back within 3 h of its clear');
    // Before the settings are read: no figure at all rather than a wrong one.
    expect(confirmedText('anomaly-3', { alarmId: 'alarm-4', alarmRaised: true, continues: null, over: true }, undefined)).not.toMatch(/\d+ h/);
  });
});
