import type { Knex } from 'knex';
import type { Access } from '../access/access.js';
import { ownerScope, relatedScope } from '../access/policy.js';
import { whereWorkVisible } from './activityQueries.js';
import { CUSTOMER_FAMILY_SQL, whereAboutCustomer } from './customerFamily.js';
import { CUSTOMER_TIMELINE_TABLE } from './customerTimeline.js';
import { whereOwnerIn } from './ownerScope.js';

/**
 * A customer's interaction timeline, newest first: the customer-timeline projection's entries
 * (our own log: profile changes, the deals' stage changes, closes and orders, activities done,
 * tasks completed) about the customer, the profiles merged into it, their deals and the lead they
 * came from, each as the access policy lets the caller see it; and what other contexts told us,
 * kept by the Kafka inbound (service orders, contract activations' latest, synced profile
 * updates), which every reader of the account sees. One SQL UNION ALL, paged in the database.
 */
export const TIMELINE_KINDS = [
  'activity',
  'task_completion',
  'stage_change',
  'close',
  'order',
  'service_order',
  'contract_activation',
  'profile_change',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export interface TimelineEntry {
  readonly kind: TimelineKind;
  readonly occurred_at: Date;
  /** Who told us: crm (this service), service_orders, contracts, customer360. */
  readonly source: string;
  /** The record it is about: opportunity, activity, task, service order, contract or customer id. */
  readonly reference: string;
  /** Breaks ties of time, kind and reference: the entry's event (or activity / task) id. */
  readonly entry_id: string;
  readonly details: Record<string, unknown>;
}

/** Our own entries the caller may see: account facts to all readers, deals by their owner, work as the policy says. */
function ownEntries(db: Knex, access: Access, customerId: string): Knex.QueryBuilder {
  const t = CUSTOMER_TIMELINE_TABLE;
  const related = relatedScope(access, 'read');
  return db(`${t} as t`)
    .select(
      't.kind',
      't.occurred_at',
      db.raw(`'crm' as source`),
      't.record_id as reference',
      't.entry_id',
      db.raw(`case when t.owner_id is null then t.details else t.details || jsonb_build_object('ownerId', t.owner_id) end as details`),
    )
    .where('t.tenant_id', access.tenantId)
    .whereNotNull('t.occurred_at')
    .modify((q) => whereAboutCustomer(q, 't', access.tenantId, customerId))
    .where((w) => {
      w.where('t.record_type', 'customer')
        .orWhere((o) => whereOwnerIn(o.where('t.record_type', 'opportunity'), ownerScope(access, 'opportunity'), 't.owner_id'))
        .orWhere((o) => whereWorkVisible(o.where('t.record_type', 'activity'), { table: 't', owner: 'owner_id' }, ownerScope(access, 'activity'), related))
        .orWhere((o) => whereWorkVisible(o.where('t.record_type', 'task'), { table: 't', owner: 'owner_id' }, ownerScope(access, 'task'), related));
    });
}

/** What other contexts told us (the Kafka inbound's tables), keyed by the customer's family whether or not we held it then. */
function consumedEntries(db: Knex, tenantId: string, customerId: string): Knex.QueryBuilder[] {
  const inFamily = (q: Knex.QueryBuilder) => q.where('tenant_id', tenantId).whereRaw(`customer_id in (${CUSTOMER_FAMILY_SQL})`, [customerId, tenantId]);
  return [
    db('customer_service_history')
      .select(db.raw(`'service_order' as kind`), 'created_at as occurred_at', db.raw(`'service_orders' as source`), 'service_order_id as reference', db.raw('event_id::text as entry_id'))
      .select(db.raw(`jsonb_build_object('serviceOrderId', service_order_id, 'customerId', customer_id, 'description', description, 'eventId', event_id) as details`))
      .modify(inFamily),
    db('customer_entitlements')
      .select(db.raw(`'contract_activation' as kind`), 'activated_at as occurred_at', db.raw(`'contracts' as source`), 'contract_id as reference', db.raw('event_id::text as entry_id'))
      .select(
        db.raw(`jsonb_build_object('contractId', contract_id, 'customerId', customer_id, 'productId', product_id, 'entitlement', entitlement,
          'startDate', to_char(start_date, 'YYYY-MM-DD'), 'endDate', to_char(end_date, 'YYYY-MM-DD'), 'eventId', event_id) as details`),
      )
      .modify(inFamily),
    db('customer_account_updates')
      .select(db.raw(`'profile_change' as kind`), 'updated_at as occurred_at', db.raw(`'customer360' as source`), 'customer_id as reference', db.raw('event_id::text as entry_id'))
      .select(
        db.raw(`jsonb_build_object('eventType', 'CustomerProfileUpdatedEvent', 'eventId', event_id, 'changedFields', changed_fields, 'actor', updated_by,
          'name', name, 'status', status, 'segment', segment, 'primaryContactId', primary_contact_id) as details`),
      )
      .where({ tenant_id: tenantId, customer_id: customerId }),
  ];
}

export async function customerTimeline(
  db: Knex,
  access: Access,
  q: { customerId: string; kinds: ReadonlySet<TimelineKind> },
  page: { readonly limit: number; readonly offset: number },
): Promise<{ rows: TimelineEntry[]; total: number }> {
  const parts = [ownEntries(db, access, q.customerId), ...consumedEntries(db, access.tenantId, q.customerId)];
  const union = () =>
    db
      .from(parts[0]!.clone().unionAll(parts.slice(1), true).as('u'))
      .whereIn('u.kind', [...q.kinds]);
  const [rows, count] = await Promise.all([
    union()
      .select('*')
      .orderByRaw(`occurred_at desc, kind collate "C", reference collate "C", entry_id collate "C"`)
      .limit(page.limit)
      .offset(page.offset),
    union().count<{ count: string }[]>({ count: '*' }),
  ]);
  return { rows: (rows as TimelineEntry[]).map((r) => ({ ...r, occurred_at: new Date(r.occurred_at) })), total: Number(count[0]?.count ?? 0) };
}
