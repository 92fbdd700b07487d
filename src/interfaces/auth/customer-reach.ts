import { parseActionRequest } from '../../agents/governance/guarded-executor.js';
import { TwinloopError } from '../../domain/errors.js';
import type { TwinEngine } from '../../twin/twin-engine.js';
import { FEATURE_NAMES } from '../../twin/twin-features.js';
import type { ExtraFields } from '../../twin/twin-query.js';
import type { Identity } from './identity.js';

/**
 * Which customers a caller reaches. A key scoped to segments (`twinloop keys create --segments
 * high_value`) reaches only the customers those segments hold now, any one of them: a segment is
 * one of the action policy's named segments (filters in the one vocabulary, docs/filters.md),
 * read from the policy in force and matched on the customer's twin features and live scores, as
 * the policy matches an action request. A key without segments reaches every customer.
 */

/** A segment's test over a customer's named fields (features, `churn`, `clv`); a missing field fails. */
export type SegmentTest = (fields: Readonly<Record<string, number>>) => boolean;

/** What the reach is judged on. */
export interface CustomerReachOptions {
  /** The segments of the policy in force, by name. */
  segments(): ReadonlyMap<string, SegmentTest>;
  /** A customer's twin features and live scores by name, now; null when there is no twin. */
  fieldsOf(customerId: string): Readonly<Record<string, number>> | null;
}

/** The check every edge makes before it reads or acts on one customer, and the filter of lists. */
export interface CustomerReach {
  /** FORBIDDEN naming the customer and the key's segments when the caller does not reach the customer. */
  check(identity: Identity, customerId: string): void;
  /** The customers the caller reaches, as a predicate; null when it reaches every one. */
  within(identity: Identity): ((customerId: string) => boolean) | null;
}

/** Builds the reach over the policy's segments and the live twins. */
export function customerReach(o: CustomerReachOptions): CustomerReach {
  const within = (identity: Identity) => {
    const names = identity.scope.segments;
    if (!names) return null;
    const segments = o.segments();
    const tests = names.map((n) => segments.get(n)).filter((t): t is SegmentTest => t !== undefined);
    return (customerId: string) => {
      const fields = o.fieldsOf(customerId);
      return fields !== null && tests.some((t) => t(fields));
    };
  };
  return {
    within,
    check(identity, customerId) {
      const test = within(identity);
      if (test === null || test(customerId)) return;
      refuseCustomer(identity, customerId, o.segments());
    },
  };
}

/** FORBIDDEN: the customer is outside the caller's segments (naming those the policy no longer has). */
export function refuseCustomer(identity: Identity, customerId: string, segments: ReadonlyMap<string, unknown> = new Map()): never {
  const names = identity.scope.segments ?? [];
  const gone = names.filter((n) => !segments.has(n));
  throw new TwinloopError(
    'FORBIDDEN',
    `${identity.subject}'s credential is scoped to the segments ${names.join(', ')}; customer ${customerId} is in none of them now${gone.length ? ` (${gone.join(', ')}: no such segment in the policy in force)` : ''}`,
    { context: { customerId, segments: names } },
  );
}

/**
 * FORBIDDEN for a segment-scoped caller on a route or tool that answers many customers' records
 * without filtering them by segment (approvals, the audit trail, workflows, dead letters…).
 */
export function refuseSpanning(identity: Identity, what: string): void {
  const names = identity.scope.segments;
  if (!names) return;
  throw new TwinloopError('FORBIDDEN', `${identity.subject}'s credential is scoped to the segments ${names.join(', ')}; ${what} reaches customers outside them, so it needs a key without segments`, {
    context: { segments: names },
  });
}

/** FORBIDDEN when the caller's credential is scoped to channels that do not hold `channel`. */
export function checkChannel(identity: Identity, channel: string): void {
  const allowed = identity.scope.channels;
  if (allowed && !allowed.includes(channel as (typeof allowed)[number])) {
    throw new TwinloopError('FORBIDDEN', `${identity.subject}'s credential is scoped to the channels ${allowed.join(', ')}; it may not act on ${channel}`, { context: { channel, scope: allowed } });
  }
}

/**
 * FORBIDDEN when the caller's credential is scoped to channels and an action request (as an edge
 * hands it to the guarded executor) would reach the customer outside them: checked on the channel
 * the request says and on the one the customer receives it by, which the executor carries
 * (`carriedChannelOf`: an SMS asked on a call is a `web` contact unless the person on the line
 * sends it), both named when they differ. A request the executor would refuse as malformed is
 * BAD_INPUT here, as there.
 */
export function checkActionChannel(identity: Identity, input: { readonly channel: string }): void {
  const allowed = identity.scope.channels;
  if (!allowed) return;
  checkChannel(identity, input.channel);
  const carried = parseActionRequest(input);
  if (allowed.includes(carried.channel)) return;
  const by = carried.params.notificationChannel;
  throw new TwinloopError(
    'FORBIDDEN',
    `${identity.subject}'s credential is scoped to the channels ${allowed.join(', ')}; the request says ${input.channel}, but the customer receives it by ${String(by)} (params.notificationChannel), a ${carried.channel} contact: it may not act on ${carried.channel}`,
    { context: { channel: carried.channel, asked: input.channel, notificationChannel: by, scope: allowed } },
  );
}

/**
 * A customer's fields as segments read them: the twin's features now and, when given, the live
 * scores (unknown while no model serves: a segment on `churn` or `clv` then holds no one).
 */
export function twinFields(engine: TwinEngine, scores?: ExtraFields): CustomerReachOptions['fieldsOf'] {
  const out = new Float64Array(scores?.names.length ?? 0);
  return (customerId) => {
    const features = engine.features(customerId);
    if (!features) return null;
    const fields: Record<string, number> = {};
    FEATURE_NAMES.forEach((n, i) => (fields[n] = features[i]));
    if (scores) {
      out.fill(Number.NaN);
      try {
        scores.reader()(customerId, out, 0);
      } catch {
        // No model serves: the scores stay unknown.
      }
      scores.names.forEach((n, i) => (fields[n] = out[i]));
    }
    return fields;
  };
}
