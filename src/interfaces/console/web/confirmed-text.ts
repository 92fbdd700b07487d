import { compensatedWhen, spanText, type OutageSettings } from './outage-settings';

/** What `POST /service-operations/anomalies/:id/confirm` answered, as the review form reads it. */
export interface ConfirmAnswer {
  alarmId: string | null;
  alarmRaised: boolean;
  /** The cleared alarm whose incident the raised one goes on (its customers are told it is back, not paid twice), or null. */
  continues: string | null;
  /** Raised cleared at the suspicion's last signal: over by its evidence, nobody is told. */
  over: boolean;
}

/**
 * What a confirmation did, in words, for network operations: the alarm service operations acts on,
 * whether it was over already (nobody told, compensation by its length), or the incident it goes on
 * (its customers told it is back, nobody paid twice), as decision 0057 has them.
 */
export function confirmedText(id: string, r: ConfirmAnswer, settings: Pick<OutageSettings, 'quietSpellMs' | 'compensation' | 'compensateAfterMs'> | undefined): string {
  // The settings in force (GET /service-operations/incidents); before they are read, the words without the figures.
  const quiet = settings ? spanText(settings.quietSpellMs) : 'the quiet spell';
  if (!r.alarmRaised) return `${id} confirmed as part of ${r.alarmId ?? 'an alarm already in'}, which service operations acted on: nothing raised, nobody told twice`;
  const acts = `${id} confirmed: service operations acts on ${r.alarmId ?? 'its alarm'}`;
  if (r.over) return `${acts}, raised cleared at its last signal (over by its evidence, which stopped more than ${quiet} ago): nobody is told, its customers are compensated ${settings ? compensatedWhen(settings) : 'if it lasted past the threshold'}`;
  if (r.continues) return `${acts}, the incident of ${r.continues} back within ${quiet} of its clear: those it told are told the fault is back (anyone it did not reach, of an outage), then resolved at its clear, and not paid twice`;
  return `${acts} and tells the affected customers`;
}
