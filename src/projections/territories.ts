import type { Knex } from 'knex';
import type { LeadEvent } from '../aggregates/lead/events.js';
import type { OpportunityEvent } from '../aggregates/opportunity/events.js';
import { TERRITORY_EVENT_TYPES, type TerritoryEvent } from '../aggregates/territory/events.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import type { Projection } from './projection.js';
import type { KnownRows } from './knownRows.js';
import { type Row, type RowEffect, applyRows, keyedRows, writeRows } from './rows.js';

export const TERRITORIES_TABLE = 'territories';
export const TERRITORY_ASSIGNMENTS_TABLE = 'territory_assignments';

/** The events that put a lead or a deal in a territory. */
const ASSIGNING = ['LeadCreatedEvent', 'LeadAssignedEvent', 'OpportunityCreatedEvent', 'OpportunityTerritoryAssignedEvent'] as const;

type Handled = TerritoryEvent | Extract<LeadEvent | OpportunityEvent, { type: (typeof ASSIGNING)[number] }>;

/** The assignment an event makes, if any. */
function assignment(event: Handled): { recordType: string; recordId: string; to: string; from: string | null; reason: string | null } | undefined {
  switch (event.type) {
    case 'LeadCreatedEvent':
      return event.data.territoryId ? { recordType: 'lead', recordId: event.data.leadId, to: event.data.territoryId, from: null, reason: null } : undefined;
    case 'LeadAssignedEvent':
      return event.data.territoryId === event.data.previousTerritoryId
        ? undefined
        : { recordType: 'lead', recordId: event.data.leadId, to: event.data.territoryId, from: event.data.previousTerritoryId, reason: event.data.reason };
    case 'OpportunityCreatedEvent':
      return event.data.territoryId ? { recordType: 'opportunity', recordId: event.data.opportunityId, to: event.data.territoryId, from: null, reason: null } : undefined;
    case 'OpportunityTerritoryAssignedEvent':
      return { recordType: 'opportunity', recordId: event.data.opportunityId, to: event.data.toTerritoryId, from: event.data.fromTerritoryId, reason: event.data.reason };
    default:
      return undefined;
  }
}

const ASSIGNMENT_KEY = ['tenant_id', 'event_id'];

/** The territory_assignments row an event adds, if it assigns something. */
function assignmentRow(e: StoredEvent): Row | undefined {
  const a = assignment({ type: e.eventType, data: e.payload } as Handled);
  if (!a) return undefined;
  return {
    tenant_id: e.tenantId,
    event_id: e.eventId,
    territory_id: a.to,
    record_type: a.recordType,
    record_id: a.recordId,
    from_territory_id: a.from,
    reason: a.reason,
    assigned_by: e.metadata.userId,
    assigned_at: e.timestamp,
  };
}

/** One row per territory. */
const territoryRows = keyedRows({
  table: TERRITORIES_TABLE,
  keyColumns: ['tenant_id', 'territory_id'],
  keyOf: (e) => ({ tenant_id: e.tenantId, territory_id: e.aggregateId }),
  effect(e): RowEffect {
    const touch = { revision: e.revision.toString(), updated_by: e.metadata.userId, updated_at: e.timestamp };
    const event = { type: e.eventType, data: e.payload } as Handled;
    switch (event.type) {
      case 'TerritoryCreatedEvent': {
        const d = event.data;
        // Replays are harmless: the row already holds this event's effect.
        return { create: { name: d.name, owner_id: d.ownerId, region: d.region, rule: d.rule, active: true, created_by: e.metadata.userId, created_at: e.timestamp, ...touch } };
      }
      case 'TerritoryUpdatedEvent': {
        const d = event.data;
        const changes = Object.fromEntries(
          (['name', 'ownerId', 'region', 'rule'] as const).filter((f) => d[f] !== undefined).map((f) => [f === 'ownerId' ? 'owner_id' : f, d[f]]),
        );
        return { change: { ...changes, ...touch } };
      }
      case 'TerritoryDeactivatedEvent':
        return { change: { active: false, ...touch } };
      case 'TerritoryReactivatedEvent':
        return { change: { active: true, ...touch } };
      default:
        return undefined;
    }
  },
});

const TERRITORY_TYPES = new Set<string>(TERRITORY_EVENT_TYPES);

/**
 * The two tables are written apart and neither is read by the other's rule: a batch is the
 * territories' events folded (rows.ts) and the assignments inserted at once.
 */
async function applyBatch(trx: Knex.Transaction, events: readonly StoredEvent[], known?: KnownRows): Promise<void> {
  const rows: Row[] = [];
  for (const e of events) {
    const row = assignmentRow(e);
    if (row) rows.push(row);
  }
  await applyRows(trx, territoryRows, events.filter((e) => TERRITORY_TYPES.has(e.eventType)), known);
  await writeRows(trx, TERRITORY_ASSIGNMENTS_TABLE, ASSIGNMENT_KEY, rows, 'ignore');
}

/**
 * Territories (seed 004) and the history of what was assigned to them. Row models and
 * inserts keyed by event id: a replayed event is harmless.
 */
export const territoriesProjection: Projection = {
  name: 'territories',
  version: 1,
  eventTypes: [...TERRITORY_EVENT_TYPES, ...ASSIGNING],
  tables: [TERRITORIES_TABLE, TERRITORY_ASSIGNMENTS_TABLE],
  handle: (trx, e) => applyBatch(trx, [e]),
  handleBatch: applyBatch,
};
