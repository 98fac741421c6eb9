import type { Knex } from 'knex';

/**
 * Customers of a tenant whose credit limit is exceeded (Finance/AR's CreditLimitExceededEvent,
 * lifted by CreditLimitRestoredEvent; table customer_credit_blocks, kept by the Kafka inbound).
 * Few rows per tenant: the close commands carry the whole set, so the rule stays in the decider.
 */
export async function activeCreditHolds(db: Knex, tenantId: string): Promise<ReadonlySet<string>> {
  const rows: { customer_id: string }[] = await db('customer_credit_blocks').where({ tenant_id: tenantId, blocked: true }).select('customer_id');
  return new Set(rows.map((r) => r.customer_id));
}
