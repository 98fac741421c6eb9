import type { Knex } from 'knex';
import { forecastAggregate } from '../aggregates/forecast/index.js';
import { type OpportunityState, opportunityAggregate } from '../aggregates/opportunity/index.js';
import { forecastPipeline, snapshotCommand } from '../commands/forecasts.js';
import { loadAggregate } from '../commands/load.js';
import { type StoredEvent, toDomainEvent } from '../eventstore/envelope.js';
import { fold } from '../aggregates/decider.js';
import { FORECASTS_TABLE, forecastsProjection } from '../projections/forecasts.js';
import { opportunitiesProjection } from '../projections/opportunities.js';
import { namedSelect } from '../projections/writes.js';
import { type Workflow, type WorkflowCommand, command } from './workflow.js';

/**
 * Seed 004's real-time forecast path ("opportunity.stage_changed → recalculate affected
 * forecasts → forecast.updated"): changes that move deals' pipeline figures snapshot every open
 * forecast whose period, territory and currency a deal falls in, before or after its change:
 * once per forecast and batch of changes, the last of them its trigger. The snapshot is computed
 * as the forecast endpoint computes it, from the pipeline read model once it shows the batch, and
 * is published on the finance feed like any snapshot. Idempotent: the snapshot carries its
 * trigger, and the forecast takes one per trigger (a replay cut into other batches may add one
 * of the figures then).
 */
export const FORECAST_REFRESH = 'forecast-refresh';

/** Fields of OpportunityUpdatedEvent that do not move the pipeline. */
const NOT_PIPELINE = new Set(['nextStep', 'notes']);

interface Place {
  readonly date: string;
  readonly territoryId: string | null;
  readonly currency: string;
}

const placeOf = (s: OpportunityState): Place[] =>
  s.exists && s.expectedCloseDate ? [{ date: s.expectedCloseDate, territoryId: s.territoryId, currency: s.currency }] : [];

function movesPipeline(event: StoredEvent): boolean {
  if (event.eventType !== 'OpportunityUpdatedEvent') return true;
  const changed = (event.payload as { changedFields?: string[] }).changedFields ?? [];
  return changed.some((f) => !NOT_PIPELINE.has(f));
}

interface ForecastLine {
  forecast_id: string;
  owner_id: string;
  deal_scope: string | null;
  period: string;
  /** 'YYYY-MM-DD', inclusive. */
  period_start: string;
  period_end: string;
  territory_id: string | null;
  currency: string;
}

/** Whether a deal in this place counts in the forecast's measure: its period, currency and territory (none: every territory). */
export function counts(f: Pick<ForecastLine, 'period_start' | 'period_end' | 'territory_id' | 'currency'>, p: Place): boolean {
  const day = p.date.slice(0, 10); // ISO dates compare as text
  return f.period_start <= day && day <= f.period_end && f.currency === p.currency && (f.territory_id === null || f.territory_id === (p.territoryId ?? ''));
}

/**
 * A tenant's open forecasts, in id order: asked once per batch with a deal event, so a named
 * statement, whose generic plan PostgreSQL reuses (planning cost 15-35 times its execution).
 */
const OPEN_FORECASTS =
  'select forecast_id, owner_id, deal_scope, period, territory_id, trim(currency) as currency, ' +
  `period_start::text as period_start, period_end::text as period_end from ${FORECASTS_TABLE} ` +
  "where tenant_id = ? and status = 'open' order by forecast_id";

async function openForecasts(db: Knex, tenantId: string): Promise<ForecastLine[]> {
  return namedSelect<ForecastLine>(db, OPEN_FORECASTS, [tenantId]);
}

export const forecastRefresh: Workflow = {
  name: FORECAST_REFRESH,
  version: 1,
  eventTypes: [
    'OpportunityCreatedEvent',
    'OpportunityStageChangedEvent',
    'OpportunityUpdatedEvent',
    'OpportunityClosedWonEvent',
    'OpportunityClosedLostEvent',
    'OpportunityTerritoryAssignedEvent',
    'OpportunityOfferRejectedEvent',
  ],
  history: 'skip',
  async react(event, reads) {
    if (!movesPipeline(event)) return [];
    // The forecasts read model must hold every forecast opened before the trigger (one opened
    // just before the deal moved): read once per tenant and batch, once it has reached the
    // batch's last event. Asked first: a tenant without open forecasts needs no deal read.
    const open = await reads.batchRead(`open forecasts of ${event.tenantId}`, async (last) =>
      (await reads.projectionReached(forecastsProjection.name, last)) ? openForecasts(reads.db, event.tenantId) : undefined,
    );
    if (open?.length === 0) return [];
    const { events, state: after } = await loadAggregate(reads.store, opportunityAggregate, event.tenantId, event.aggregateId, { upToRevision: event.revision });
    const before = event.revision > 0n ? fold(opportunityAggregate.decider, events.slice(0, -1).map(toDomainEvent)) : undefined;
    const places = [...(before ? placeOf(before) : []), ...placeOf(after)];
    if (places.length === 0) return [];
    if (!open) throw new Error(`the ${forecastsProjection.name} read model has not reached ${event.eventId}'s batch yet`);
    const forecasts = open.filter((f) => places.some((p) => counts(f, p)));
    const commands: WorkflowCommand[] = [];
    for (const f of forecasts) {
      // A forecast's figures once per batch, from the pipeline read model once it holds the
      // batch's last event: its snapshots in one batch agree, and a later batch's are never older
      // (reactions run ahead of each other, subscriber.ts). One query at a time per reaction.
      const figures = await reads.batchRead(`pipeline of ${event.tenantId}\u0000${f.forecast_id}`, async (last) => {
        if (!(await reads.projectionReached(opportunitiesProjection.name, last))) {
          throw new Error(`the ${opportunitiesProjection.name} read model has not reached ${event.eventId}'s batch yet`);
        }
        return forecastPipeline(reads, {
          tenantId: event.tenantId,
          ownerId: f.owner_id,
          dealScope: f.deal_scope === 'own' || f.deal_scope === 'team' ? f.deal_scope : 'all',
          period: f.period,
          territoryId: f.territory_id,
          currency: f.currency,
        });
      });
      // One snapshot per forecast and batch, its trigger the batch's last change it counts: the
      // figures are the batch's anyway, and one per change fell behind a busy pipeline.
      commands.push(command(forecastAggregate, f.forecast_id, snapshotCommand(figures, event.eventId), { latestOnly: true }));
    }
    return commands;
  },
};
