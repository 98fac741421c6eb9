import type { Knex } from 'knex';
import { CUSTOMER_MERGES_TABLE } from './customers.js';
import { LEADS_TABLE } from './leads.js';
import { OPPORTUNITIES_TABLE } from './opportunities.js';

/**
 * The ids whose records belong to a customer: itself and every profile merged into it,
 * transitively (A into B, then B into C: C holds A's deals too). Bindings: [customerId, tenantId].
 * UNION (not UNION ALL) ends the recursion even on a cycle, which the decider never allows.
 */
export const CUSTOMER_FAMILY_SQL = `with recursive family(id) as (
    select ?::text
    union
    select m.source_customer_id from ${CUSTOMER_MERGES_TABLE} m join family f on m.target_customer_id = f.id where m.tenant_id = ?
  ) select id from family`;

/**
 * Rows of `table` (with tenant_id, related_type, related_id) about a customer: about the customer
 * or a profile merged into it, about one of their deals, or about the lead they were converted
 * from (its LeadConvertedEvent named the customer). The one rule for "work related to a
 * customer", shared by the 360 view's activities and tasks and by the timeline.
 */
export function whereAboutCustomer(q: Knex.QueryBuilder, table: string, tenantId: string, customerId: string): Knex.QueryBuilder {
  const family = `(${CUSTOMER_FAMILY_SQL})`;
  const via = (t: string, id: string) =>
    `exists (select 1 from ${t} r where r.tenant_id = ${table}.tenant_id and r.${id} = ${table}.related_id and r.customer_id in ${family})`;
  return q.whereRaw(
    `((${table}.related_type = 'customer' and ${table}.related_id in ${family})
      or (${table}.related_type = 'opportunity' and ${via(OPPORTUNITIES_TABLE, 'opportunity_id')})
      or (${table}.related_type = 'lead' and ${via(LEADS_TABLE, 'lead_id')}))`,
    [customerId, tenantId, customerId, tenantId, customerId, tenantId],
  );
}
