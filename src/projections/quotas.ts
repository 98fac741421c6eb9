import { QUOTA_EVENT_TYPES, type QuotaEvent } from '../aggregates/quota/events.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import { requirePeriod } from '../shared/period.js';
import { rowProjection } from './projection.js';
import { type Row, type RowModel } from './rows.js';

export const QUOTAS_TABLE = 'quotas';

/**
 * The quotas read model: one row per quota with its period's dates and its last attainment.
 * Won amounts, pipeline and coverage are not stored: quotaQueries computes them from the
 * opportunities read model when asked, so they are never stale.
 */
export function reduceQuota(row: Row | undefined, stored: StoredEvent): Row | undefined {
  const e = stored as StoredEvent<QuotaEvent>;
  const event = { type: e.eventType, data: e.payload } as QuotaEvent;
  const touch = { revision: e.revision.toString(), updated_by: e.metadata.userId, updated_at: e.timestamp };
  if (event.type === 'QuotaSetEvent') {
    if (row) return undefined;
    const d = event.data;
    const period = requirePeriod(d.period);
    return {
      tenant_id: e.tenantId,
      quota_id: e.aggregateId,
      owner_id: d.ownerId,
      territory_id: d.territoryId,
      period: period.code,
      period_start: period.start,
      period_end: period.last,
      amount: d.amount,
      currency: d.currency,
      attained_at: null,
      attained_quota_amount: null,
      attained_won_amount: null,
      created_by: e.metadata.userId,
      created_at: e.timestamp,
      ...touch,
    };
  }
  if (!row) return undefined;
  switch (event.type) {
    case 'QuotaUpdatedEvent':
      return { ...row, amount: event.data.toAmount, currency: event.data.toCurrency, ...touch };
    case 'QuotaAttainedEvent':
      return { ...row, attained_at: e.timestamp, attained_quota_amount: event.data.quotaAmount, attained_won_amount: event.data.wonAmount, ...touch };
  }
}

const model: RowModel<Row> = {
  table: QUOTAS_TABLE,
  keyColumns: ['tenant_id', 'quota_id'],
  keyOf: (e) => ({ tenant_id: e.tenantId, quota_id: e.aggregateId }),
  reduce: reduceQuota,
};

export const quotasProjection = rowProjection({ name: 'quotas', version: 1, eventTypes: QUOTA_EVENT_TYPES, tables: [QUOTAS_TABLE] }, model);
