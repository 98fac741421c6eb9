import type { Knex } from 'knex';
import type { OwnerScope } from '../access/policy.js';

/** Applies the access policy's owner scope to a read-model query, in SQL. */
export function whereOwnerIn(q: Knex.QueryBuilder, scope: OwnerScope, column = 'owner_id'): Knex.QueryBuilder {
  return scope === 'all' ? q : q.whereIn(column, [...scope]);
}
