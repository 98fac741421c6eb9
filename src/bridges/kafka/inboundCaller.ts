import { systemAccess } from '../../access/access.js';
import { isUserId } from '../../access/roles.js';
import type { Caller } from '../../commands/context.js';
import { AGGREGATE_ID_PATTERN } from '../../eventstore/streams.js';
import { DomainError } from '../../shared/errors.js';
import { type Amount, isCurrency, parseAmount } from '../../shared/money.js';
import { type InboundContext, RejectedMessageError } from './inboundHandler.js';

/**
 * How a consumed event acts on our aggregates: as the system actor `system:kafka-inbound`
 * (bound by the domain rules only), caused by the consumed event's id, in the producer's
 * correlation when it sent one.
 */
export const INBOUND_ACTOR = 'system:kafka-inbound';

export function inboundCaller(ctx: InboundContext): Caller {
  return {
    access: systemAccess(ctx.tenantId, INBOUND_ACTOR),
    correlationId: ctx.headers.correlationId || ctx.eventId,
    causationId: ctx.eventId,
  };
}

/** An id that names one of our streams; anything else can never succeed. */
export function requireId(id: string): string {
  if (!AGGREGATE_ID_PATTERN.test(id)) throw new RejectedMessageError(`"${id}" is not a valid id`);
  return id;
}

/** A user another context names (a sales rep): who will be an assignee must be a user id. */
export function requireUserId(id: string): string {
  if (!isUserId(id)) throw new RejectedMessageError(`"${id}" is not a user id (1-128 visible ASCII characters, not system:/apikey:)`);
  return id;
}

/** An amount and currency as another context sent them, or a rejection saying which is wrong. */
export function requireMoney(field: string, amount: string, currency: string): { amount: Amount; currency: string } {
  const parsed = parseAmount(amount);
  if (parsed === undefined) throw new RejectedMessageError(`${field} "${amount}" is not a valid amount`);
  if (!isCurrency(currency)) throw new RejectedMessageError(`currency "${currency}" is not ISO 4217`);
  return { amount: parsed, currency };
}

/**
 * Runs a command; one the domain refuses (unknown deal, closed deal, forbidden move) is a
 * rejected message with the domain's reason (dead-letter topic), never a retry loop. Other
 * failures (database down) are thrown as they are and retried in place.
 */
export async function refusedAsRejected(run: () => Promise<unknown>, alreadyDone?: (e: DomainError) => boolean): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    if (alreadyDone?.(err)) return;
    throw new RejectedMessageError(`${err.code}: ${err.message}${detailsText(err)}`);
  }
}

/** The domain's details (current and allowed stages, ...) belong in the dead letter's reason. */
const detailsText = (err: DomainError): string => (Object.keys(err.details).length ? ` ${JSON.stringify(err.details)}` : '');
