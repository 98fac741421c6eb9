import type { Knex } from 'knex';
import type { InboundContext, InboundHandler } from './inboundHandler.js';
import type { EnvelopeRecord } from './records.js';

/**
 * Exactly-once effect of a consumed event: the inbox row (event id primary key) is inserted in
 * the same database transaction as the handler's writes, so a redelivered event finds its id
 * and changes nothing.
 */
export async function applyOnce<R extends EnvelopeRecord>(
  db: Knex,
  handler: InboundHandler<R>,
  record: R,
  ctx: InboundContext,
): Promise<'applied' | 'duplicate'> {
  return db.transaction(async (trx) => {
    const inserted: unknown[] = await trx('kafka_inbox')
      .insert({
        event_id: record.eventId,
        event_type: ctx.eventType,
        topic: ctx.topic,
        partition: ctx.partition,
        offset: ctx.offset,
        tenant_id: record.tenantId,
      })
      .onConflict(['tenant_id', 'event_id'])
      .ignore()
      .returning('event_id');
    if (inserted.length === 0) return 'duplicate' as const;
    await handler(trx, record, ctx);
    return 'applied' as const;
  });
}

/** PostgreSQL data (22) and integrity (23) errors will fail the same way every time. */
export function isPermanentDbError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23)/.test(code);
}
