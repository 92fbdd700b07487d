import { eventTime } from './format';

/** What a campaign's state is read from (`GET /campaigns`, `GET /campaigns/:id`). */
export interface CampaignState {
  readonly status: string;
  readonly hold?: { readonly held: boolean } | null;
  readonly ended?: string | null;
  readonly nextTickAt?: string | null;
  readonly audienceUsedUp?: boolean;
  readonly endAt?: string;
}

/**
 * The campaign's state in the API's words: a run between two ticks is "waiting" there, so not "running" here.
 * A tick whose time the event clock (`now`) has passed is due, not awaited: at 3,600x on a loaded machine the
 * server runs hours of the world's time behind, and "waiting for its next tick (yesterday 10:00)" read as a
 * campaign stuck in the past.
 */
export const campaignStateText = (c: CampaignState, now: string | null): string =>
  c.status === 'succeeded' || c.status === 'failed'
    ? c.ended?.startsWith('ended ')
      ? c.ended
      : `ended (${c.ended ?? c.status})`
    : c.hold?.held
      ? 'paused by a person'
      : c.status === 'waiting' && c.audienceUsedUp
        ? `its audience is used up: nobody left to contact and nobody new enters it; it moves no more budget and waits for its end${c.endAt ? ` (${eventTime(c.endAt)})` : ''} to hear the last answers`
        : c.status === 'waiting'
        ? c.nextTickAt && now !== null && Date.parse(c.nextTickAt) <= Date.parse(now)
          ? `its tick of ${eventTime(c.nextTickAt)} is due (the server, behind the world's clock, runs it next)`
          : `waiting for its next tick${c.nextTickAt ? ` (${eventTime(c.nextTickAt)})` : ''}`
        : 'running';
