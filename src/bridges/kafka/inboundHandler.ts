import type { Knex } from 'knex';
import type { ConsumedRecords } from './records.js';
import type { ConsumedEventType } from './topics.js';

/** What a consumed event's handler is given besides the record. */
export interface InboundContext {
  readonly eventType: ConsumedEventType;
  readonly eventId: string;
  readonly tenantId: string;
  /** The event's own timestamp (the record's), not the Kafka message's. */
  readonly occurredAt: Date;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Runs inside the inbox transaction (`trx`); see inbox.ts. */
export type InboundHandler<R> = (trx: Knex.Transaction, record: R, ctx: InboundContext) => Promise<void>;

/** Handlers by event type. A type without a handler is not subscribed to: its messages wait in Kafka. */
export type InboundHandlers = { readonly [K in ConsumedEventType]?: InboundHandler<ConsumedRecords[K]> };

/** Thrown by a handler for a message that can never succeed (unknown opportunity, bad date...): it is dead-lettered. */
export class RejectedMessageError extends Error {
  override name = 'RejectedMessageError';
}
