import type { Knex } from 'knex';
import type { OpportunityEvent } from '../aggregates/opportunity/events.js';
import { OPPORTUNITY_EVENT_TYPES } from '../aggregates/opportunity/events.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import type { Projection } from './projection.js';
import { rowCountHint, rowWrites } from './rows.js';
import { type Write, named, runWrites } from './writes.js';

export const STAGE_HISTORY_TABLE = 'opportunity_stage_history';
export const CLOSE_DATE_CHANGES_TABLE = 'opportunity_close_date_changes';

/**
 * What sales metrics need beyond the current row of each opportunity: every stage visit with
 * when it began and ended (time in stage, conversion), and every move of the expected close
 * date (slipped deals). Its own tables and checkpoint: it never reads another projection's.
 */
/** What one event adds: a stage visit and/or a close-date move. */
function facts(e: StoredEvent<OpportunityEvent>): { stage?: string; closeDate?: string | null } {
  const event = { type: e.eventType, data: e.payload } as OpportunityEvent;
  switch (event.type) {
    case 'OpportunityCreatedEvent':
      return { stage: event.data.stage, closeDate: event.data.expectedCloseDate };
    case 'OpportunityStageChangedEvent':
    case 'OpportunityClosedWonEvent':
    case 'OpportunityClosedLostEvent':
      return { stage: event.data.toStage };
    case 'OpportunityUpdatedEvent':
      return event.data.expectedCloseDate !== undefined ? { closeDate: event.data.expectedCloseDate } : {};
    case 'OpportunityPricingSnapshotAttachedEvent':
    case 'OpportunityOfferRejectedEvent':
    case 'OpportunityReassignedEvent':
    case 'OpportunityTerritoryAssignedEvent':
    case 'OpportunityCommercialTermsSetEvent':
    case 'OpportunityContactsErasedEvent':
      return {};
  }
}

const CHUNK = 1000;

type Visit = { tenant_id: string; opportunity_id: string; revision: string; stage: string; entered_at: string; left_at: string | null };
type Move = { tenant_id: string; opportunity_id: string; revision: string; from_date: string | null | undefined; to_date: string | null; changed_at: string };

/**
 * A batch at once (rebuilds replay millions of events): visits and close-date moves are
 * chained in memory per opportunity, and the database is touched by one lookup (the last close
 * date of earlier batches), then written by one update (closing the visits left open by
 * earlier batches) and two multi-row inserts: in a transaction, or live as one statement with
 * the checkpoint (writes.ts). The update's rows are earlier batches' and the inserts' are new.
 */
async function planBatch(q: Knex, events: readonly StoredEvent[]): Promise<Write[]> {
  const writes: Write[] = [];
  const visits: Visit[] = [];
  const moves: Move[] = [];
  const firstVisit = new Map<string, { tenant_id: string; opportunity_id: string; at: string; revision: string }>();
  const openVisit = new Map<string, Visit>();
  const lastDate = new Map<string, string | null>();
  for (const stored of events) {
    const e = stored as StoredEvent<OpportunityEvent>;
    const f = facts(e);
    if (f.stage === undefined && f.closeDate === undefined) continue;
    const key = `${e.tenantId}\u0000${e.aggregateId}`;
    // Literals of one shape (not spreads): the rows are built and serialised 300,000 times a rebuild.
    const tenant_id = e.tenantId;
    const opportunity_id = e.aggregateId;
    const revision = e.revision.toString();
    const at = e.timestamp;
    if (f.stage !== undefined) {
      const open = openVisit.get(key);
      if (open) open.left_at = at;
      else if (!firstVisit.has(key)) firstVisit.set(key, { tenant_id, opportunity_id, at, revision });
      const visit: Visit = { tenant_id, opportunity_id, revision, stage: f.stage, entered_at: at, left_at: null };
      visits.push(visit);
      openVisit.set(key, visit);
    }
    if (f.closeDate !== undefined) {
      // from_date of a deal's first move in this batch comes from earlier batches, looked up below.
      const move: Move = { tenant_id, opportunity_id, revision, from_date: lastDate.has(key) ? lastDate.get(key)! : undefined, to_date: f.closeDate, changed_at: at };
      moves.push(move);
      lastDate.set(key, f.closeDate);
    }
  }

  const first = [...firstVisit.values()];
  for (let i = 0; i < first.length; i += CHUNK) {
    const part = first.slice(i, i + CHUNK);
    // A jsonb set with a bounded text (named, planned once); the limit is the planner's row count.
    // Each visit closes the one before it, so the open visit is the deal's latest: one backward
    // primary-key probe per deal, not a scan of all its visits. The row is then updated by its
    // ctid: joined on its key instead, the planner hashed the whole table's open visits (a
    // sequential scan per batch, 1.2-1.5 ms on W2's 11,000 rows, growing with the table).
    writes.push({
      sql: (guard) => `update ${STAGE_HISTORY_TABLE} h set left_at = o.at::timestamptz
         from (select v.at, latest.ctid as row
                 from (select * from jsonb_to_recordset(?::jsonb) as x(tenant_id text, opportunity_id text, at text, revision bigint) limit ${rowCountHint(part.length)}) v
                 cross join lateral (select l.ctid, l.left_at from ${STAGE_HISTORY_TABLE} l
                                      where l.tenant_id = v.tenant_id and l.opportunity_id = v.opportunity_id and l.revision < v.revision
                                      order by l.revision desc limit 1) latest
                where latest.left_at is null) o
        where h.ctid = o.row and ${guard}`,
      bindings: [JSON.stringify(part)],
    });
  }
  // A creation has no earlier date; a later move's is the last one earlier batches recorded.
  const unknownFrom = moves.filter((m) => m.from_date === undefined);
  const earlier = unknownFrom.filter((m) => m.revision !== '0');
  const previous = new Map<string, string | null>();
  for (let i = 0; i < earlier.length; i += CHUNK) {
    const part = earlier.slice(i, i + CHUNK).map(({ tenant_id, opportunity_id }) => ({ tenant_id, opportunity_id }));
    // One primary-key probe per deal (lateral, limit 1): a distinct-on over an IN list let the
    // planner sort the whole table, which made rebuilds quadratic.
    const { rows } = await named<{ rows: { tenant_id: string; opportunity_id: string; to_date: string | null }[] }>(
      q,
      `select v.tenant_id, v.opportunity_id, c.to_date
         from (select * from jsonb_to_recordset(?::jsonb) as x(tenant_id text, opportunity_id text) limit ${rowCountHint(part.length)}) v
         cross join lateral (select to_date from ${CLOSE_DATE_CHANGES_TABLE} c
                              where c.tenant_id = v.tenant_id and c.opportunity_id = v.opportunity_id order by c.revision desc limit 1) c`,
      [JSON.stringify(part)],
    );
    for (const r of rows) previous.set(`${r.tenant_id}\u0000${r.opportunity_id}`, r.to_date);
  }
  for (const m of unknownFrom) m.from_date = previous.get(`${m.tenant_id}\u0000${m.opportunity_id}`) ?? null;

  // Replays of already-applied events are ignored by key.
  const key = ['tenant_id', 'opportunity_id', 'revision'];
  return [...writes, ...rowWrites(q, STAGE_HISTORY_TABLE, key, visits, 'ignore'), ...rowWrites(q, CLOSE_DATE_CHANGES_TABLE, key, moves, 'ignore')];
}

const applyBatch = async (trx: Knex.Transaction, events: readonly StoredEvent[]) => runWrites(trx, await planBatch(trx, events));

export const salesAnalyticsProjection: Projection = {
  name: 'sales-analytics',
  version: 1,
  eventTypes: OPPORTUNITY_EVENT_TYPES,
  tables: [STAGE_HISTORY_TABLE, CLOSE_DATE_CHANGES_TABLE],
  readsBy: [], // by primary key (a deal's visits and moves)
  handle: (trx, e) => applyBatch(trx, [e]),
  handleBatch: applyBatch,
  plan: planBatch,
};
