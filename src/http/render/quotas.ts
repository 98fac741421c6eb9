import type { z } from 'zod';
import type { QuotaState } from '../../aggregates/quota/index.js';
import type { CommandResult } from '../../commands/handler.js';
import type { QuotaFigures, QuotaRow } from '../../projections/quotaQueries.js';
import type { Unwritten } from '../responses/common.js';
import type { forecastQuotaBody, quotaBody, quotaFiguresBody, quotaResult } from '../responses/quotas.js';

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export const figuresDto = (f: QuotaFigures): z.input<typeof quotaFiguresBody> => ({
  won_count: f.wonCount,
  won_amount: f.wonAmount,
  open_pipeline: f.openPipeline,
  remaining: f.remaining,
  attainment: f.attainment,
  quota_coverage: f.quotaCoverage,
});

export function quotaDto(row: QuotaRow, figures?: QuotaFigures): z.input<typeof quotaBody> {
  return {
    id: row.quota_id,
    owner_id: row.owner_id,
    territory_id: row.territory_id,
    period: row.period,
    period_start: row.period_start,
    period_end: row.period_end,
    amount: row.amount,
    currency: row.currency.trim(),
    attained_at: iso(row.attained_at),
    attained_quota_amount: row.attained_quota_amount,
    revision: row.revision,
    created_by: row.created_by,
    updated_by: row.updated_by,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
    ...(figures ? figuresDto(figures) : {}),
  };
}

/** A command's outcome, from the aggregate's own state (the read model may lag). */
export function renderQuota(result: CommandResult<QuotaState>): Unwritten<typeof quotaResult> {
  const s = result.state;
  if (!s.exists) return { id: result.aggregateId };
  return { id: s.quotaId, owner_id: s.ownerId, territory_id: s.territoryId, period: s.period, amount: s.amount, currency: s.currency };
}

/** A forecast's quota (quotaOfForecast), or null. */
export const forecastQuotaDto = (q: { row: QuotaRow; figures: QuotaFigures } | undefined): z.input<typeof forecastQuotaBody> =>
  q ? { id: q.row.quota_id, amount: q.row.amount, currency: q.row.currency.trim(), ...figuresDto(q.figures) } : null;
