import { carriedChannelOf, personOnTheLine } from '../../decisioning/action-contact.js';
import type { Actor } from '../../decisioning/policy/index.js';
import type { Channel } from '../../domain/events.js';

/**
 * A request as an earlier version kept it (an ask, an approval waiting in a stored database), read
 * in the shape today's builders give the same ask. A request id asked again after an upgrade (a
 * continuing alarm's notice, a care case's accept re-run after a restart) is compared with what was
 * kept, and an approval decided after it carries out what was kept: both must read the request as
 * today's code writes it, or a retry is CONFLICT and an approved yes is presented to be answered again.
 * What changed, each to its own mapping:
 * - the customer's yes was `params.customerAccepted`; it is the request's own field, set only for a
 *   person serving the customer on the line (`acceptedRequest`, `personOnTheLine`);
 * - a message was asked on a channel other than the one it goes by (a service notice on `app` sent by
 *   SMS); it is asked, compared and carried on the channel it goes by (`carriedChannelOf`).
 */

/** What a kept request's shape depends on: who asked, on which channel, with which params, and the customer's yes. */
export interface KeptAsked {
  readonly channel: Channel;
  readonly params: Readonly<Record<string, unknown>>;
  readonly customerAccepted?: true;
}

/** The channel, params and customer's yes of `asked` (kept by any version, asked by `actor`) as today's builders write them. Pure; idempotent. */
export function askedToday(asked: KeptAsked, actor: Pick<Actor, 'kind'>): { channel: Channel; params: Record<string, unknown>; customerAccepted?: true } {
  const { customerAccepted: keptYes, ...params } = asked.params;
  // Where an earlier version put it; today's builder sets it only for a person on the line.
  const yes = asked.customerAccepted === true || (keptYes === true && personOnTheLine({ actor, channel: asked.channel }));
  return { channel: carriedChannelOf({ actor, channel: asked.channel, params }), params, ...(yes ? { customerAccepted: true as const } : {}) };
}

/** A kept request (an approval's) as today's builders write it (askedToday); the rest as kept. */
export function keptRequestToday<R extends KeptAsked & { readonly actor: Pick<Actor, 'kind'> }>(request: R): R {
  const { customerAccepted: _yes, ...rest } = request;
  return { ...rest, ...askedToday(request, request.actor) } as R;
}

/**
 * A kept request's content (requestContent: what a repeated id is compared on), asked by an actor of
 * `actorKind`, as today's would be (askedToday). Content kept with a field it does not have is left as it is.
 */
export function keptContentToday(content: Record<string, unknown>, actorKind: Actor['kind']): Record<string, unknown> {
  const { channel, params } = content;
  if (typeof channel !== 'string' || !params || typeof params !== 'object') return content;
  const { customerAccepted: _yes, ...rest } = content;
  const kept: KeptAsked = { channel: channel as Channel, params: params as Record<string, unknown>, ...(content.customerAccepted === true ? { customerAccepted: true as const } : {}) };
  return { ...rest, ...askedToday(kept, { kind: actorKind }) };
}
