import { describe, expect, it } from 'vitest';
import { confirmedText } from './confirmed-text';

/**
 * The review form says what a confirmation did (decision 0057): a suspicion over by its evidence is
 * confirmed as over and nobody is told, one back within the quiet spell after an alarm's clear goes
 * on that incident; the form said "tells the affected customers" for both.
 */
describe('confirmedText', () => {
  it('says an outage over by its evidence is told to nobody, and one that goes on an incident tells nobody twice', () => {
    expect(confirmedText('anomaly-12', { alarmId: 'alarm-9', alarmRaised: true, continues: null, over: false })).toBe('anomaly-12 confirmed: service operations acts on alarm-9 and tells the affected customers');
    expect(confirmedText('anomaly-12', { alarmId: 'alarm-9', alarmRaised: true, continues: null, over: true })).toBe(
      'anomaly-12 confirmed: service operations acts on alarm-9, raised cleared at its last signal (over by its evidence, which stopped more than 6 h ago): nobody is told, its customers are compensated if it lasted past 4 h (major or critical)',
    );
    expect(confirmedText('anomaly-12', { alarmId: 'alarm-9', alarmRaised: true, continues: 'alarm-5', over: false })).toBe('anomaly-12 confirmed: service operations acts on alarm-9, the incident of alarm-5 back within 6 h of its clear: those it told are told the fault is back (anyone it did not reach, of an outage), then resolved at its clear, and not paid twice');
    expect(confirmedText('anomaly-12', { alarmId: 'alarm-5', alarmRaised: false, continues: null, over: false })).toBe('anomaly-12 confirmed as part of alarm-5, which service operations acted on: nothing raised, nobody told twice');
  });
});
