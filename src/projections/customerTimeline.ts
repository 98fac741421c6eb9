import type { Knex } from 'knex';
import type { OwnerScope } from '../access/policy.js';
import type { StoredEvent } from '../eventstore/envelope.js';
import { CUSTOMER_FAMILY_SQL } from './customerQueries.js';
import { OPPORTUNITIES_TABLE } from './opportunities.js';
import { STAGE_HISTORY_TABLE } from './salesAnalytics.js';

/**
 * A customer's interaction timeline, newest first, from what the service already keeps:
 * - stage_change: each stage an opportunity of the customer (or of a profile merged into it)
 *   entered, from the sales-analytics stage history; only the deals the caller may see;
 * - service_order: ServiceOrderCreatedEvent (Service Orders), customer_service_history;
 * - contract_activation: ContractActivatedEvent (Contracts), customer_entitlements (its latest activation);
 * - profile_change: the profile's own stream (created, updated, merged, consent), and the updates
 *   Customer 360 synced to us (customer_account_updates).
 * Read-model entries are paged in SQL; the profile's own events (a short stream) are merged in
 * memory, so a page is exact: the first offset + limit entries of each source suffice.
 */
export const TIMELINE_KINDS = ['stage_change', 'service_order', 'contract_activation', 'profile_change'] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export interface TimelineEntry {
  readonly kind: TimelineKind;
  readonly occurred_at: Date;
  /** Who told us: crm (this service), service_orders, contracts, customer360. */
  readonly source: string;
  /** The record it is about: opportunity, service order, contract or customer id. */
  readonly reference: string;
  readonly details: Record<string, unknown>;
}

interface Page {
  readonly limit: number;
  readonly offset: number;
}

/** Same order in SQL and in memory: newest first, then kind, then reference (byte order). */
export function compareEntries(a: TimelineEntry, b: TimelineEntry): number {
  const t = b.occurred_at.getTime() - a.occurred_at.getTime();
  if (t !== 0) return t;
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  return a.reference < b.reference ? -1 : a.reference > b.reference ? 1 : 0;
}

async function readModelEntries(
  db: Knex,
  tenantId: string,
  customerId: string,
  owners: OwnerScope,
  kinds: ReadonlySet<TimelineKind>,
  take: number,
): Promise<{ rows: TimelineEntry[]; total: number }> {
  const parts: string[] = [];
  const bindings: Knex.RawBinding[] = [];
  const family = () => {
    bindings.push(customerId, tenantId);
    return `(${CUSTOMER_FAMILY_SQL})`;
  };
  if (kinds.has('stage_change')) {
    let ownerClause = '';
    if (owners !== 'all') {
      ownerClause = owners.length ? ` and o.owner_id in (${owners.map(() => '?').join(', ')})` : ' and false';
    }
    bindings.push(tenantId);
    const fam = family();
    bindings.push(...(owners === 'all' ? [] : owners));
    parts.push(`select 'stage_change' as kind, h.entered_at as occurred_at, 'crm' as source, h.opportunity_id as reference,
        json_build_object('opportunity_id', h.opportunity_id, 'opportunity_name', o.name, 'owner_id', o.owner_id,
          'from_stage', lag(h.stage) over (partition by h.opportunity_id order by h.revision), 'to_stage', h.stage,
          'left_at', h.left_at) as details
      from ${STAGE_HISTORY_TABLE} h
      join ${OPPORTUNITIES_TABLE} o on o.tenant_id = h.tenant_id and o.opportunity_id = h.opportunity_id
      where h.tenant_id = ? and o.customer_id in ${fam}${ownerClause}`);
  }
  if (kinds.has('service_order')) {
    bindings.push(tenantId);
    parts.push(`select 'service_order' as kind, created_at as occurred_at, 'service_orders' as source, service_order_id as reference,
        json_build_object('service_order_id', service_order_id, 'customer_id', customer_id, 'description', description, 'event_id', event_id) as details
      from customer_service_history where tenant_id = ? and customer_id in ${family()}`);
  }
  if (kinds.has('contract_activation')) {
    bindings.push(tenantId);
    parts.push(`select 'contract_activation' as kind, activated_at as occurred_at, 'contracts' as source, contract_id as reference,
        json_build_object('contract_id', contract_id, 'customer_id', customer_id, 'product_id', product_id, 'entitlement', entitlement,
          'start_date', to_char(start_date, 'YYYY-MM-DD'), 'end_date', to_char(end_date, 'YYYY-MM-DD'), 'event_id', event_id) as details
      from customer_entitlements where tenant_id = ? and customer_id in ${family()}`);
  }
  if (kinds.has('profile_change')) {
    bindings.push(tenantId, customerId);
    parts.push(`select 'profile_change' as kind, updated_at as occurred_at, 'customer360' as source, customer_id as reference,
        json_build_object('event_type', 'CustomerProfileUpdatedEvent', 'event_id', event_id, 'changed_fields', changed_fields,
          'actor', updated_by, 'name', name, 'status', status, 'segment', segment, 'primary_contact_id', primary_contact_id) as details
      from customer_account_updates where tenant_id = ? and customer_id = ?`);
  }
  if (parts.length === 0) return { rows: [], total: 0 };
  const union = parts.join('\nunion all\n');
  const [rows, count] = await Promise.all([
    db.raw(`select * from (${union}) t order by occurred_at desc, kind collate "C", reference collate "C" limit ?`, [...bindings, take]),
    db.raw(`select count(*)::int as count from (${union}) t`, bindings),
  ]);
  const entries = (rows.rows as TimelineEntry[]).map((r) => ({ ...r, occurred_at: new Date(r.occurred_at) }));
  return { rows: entries, total: (count.rows as { count: number }[])[0]?.count ?? 0 };
}

/** The profile's own events as timeline entries; personal data values are never shown, only which fields changed. */
export function profileEntries(events: readonly StoredEvent[]): TimelineEntry[] {
  return events.map((e) => {
    const p = e.payload as Record<string, unknown>;
    const base = { event_type: e.eventType, event_id: e.eventId, revision: e.revision.toString(), actor: e.metadata.userId };
    let details: Record<string, unknown>;
    switch (e.eventType) {
      case 'CustomerProfileCreatedEvent':
        details = { ...base, name: p.name ?? null, status: p.status ?? null, segment: p.segment ?? null };
        break;
      case 'CustomerProfileUpdatedEvent': {
        const { personalData: _omit, customerId: _id, updatedBy: _by, ...values } = p;
        details = { ...base, ...values };
        break;
      }
      case 'ConsentUpdatedEvent':
        details = { ...base, consent_type: p.consentType ?? null, status: p.status ?? null };
        break;
      case 'CustomerMergedEvent':
        details = { ...base, source_customer_id: p.sourceCustomerId ?? null, merge_reason: p.mergeReason ?? null };
        break;
      case 'CustomerMergedIntoEvent':
        details = { ...base, target_customer_id: p.targetCustomerId ?? null };
        break;
      default:
        details = base;
    }
    return { kind: 'profile_change' as const, occurred_at: new Date(e.timestamp), source: 'crm', reference: e.aggregateId, details };
  });
}

export async function customerTimeline(
  db: Knex,
  q: { tenantId: string; customerId: string; owners: OwnerScope; kinds: ReadonlySet<TimelineKind>; profileEvents: readonly StoredEvent[] },
  page: Page,
): Promise<{ rows: TimelineEntry[]; total: number }> {
  const take = page.offset + page.limit;
  const fromReadModels = await readModelEntries(db, q.tenantId, q.customerId, q.owners, q.kinds, take);
  const own = q.kinds.has('profile_change') ? profileEntries(q.profileEvents) : [];
  const merged = [...fromReadModels.rows, ...own].sort(compareEntries);
  return { rows: merged.slice(page.offset, take), total: fromReadModels.total + own.length };
}
