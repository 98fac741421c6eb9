import type { Knex } from 'knex';

/** The owner of the customer's most recently changed deal (opportunities read model), if it has any. */
export async function latestDealOwner(db: Knex, tenantId: string, customerId: string): Promise<string | undefined> {
  const row = (await db('opportunities').where({ tenant_id: tenantId, customer_id: customerId }).orderBy('updated_at', 'desc').first('owner_id')) as
    | { owner_id: string }
    | undefined;
  return row?.owner_id;
}
