import type { Knex } from 'knex';
import { requireOwnerInScope } from '../access/policy.js';
import type { DomainEvent } from '../aggregates/decider.js';
import type { Aggregate } from '../commands/handler.js';
import { loadReadable } from '../commands/load.js';
import { type Moment, readModelAsOf } from '../compliance/asOf.js';
import { streamName } from '../eventstore/streams.js';
import type { Projection } from '../projections/projection.js';
import { notFound } from '../shared/errors.js';
import { readYourWrites } from './consistency.js';
import type { ApiDeps } from './deps.js';
import type { Call } from './endpoint.js';

/**
 * One record's read-model row for GET …/{id}: now (read-your-writes, then the policy on its
 * owner), or as of a moment (whoever may read the record today; the row its own projection
 * gives when replayed over its stream up to then). 404 when there is none.
 */
export async function readRow<C, E extends DomainEvent, S, R>(
  call: Call<unknown, unknown, ApiDeps>,
  spec: {
    readonly aggregate: Aggregate<C, E, S>;
    readonly projection: Projection;
    readonly label: string;
    readonly moment: Moment | undefined;
    readonly get: (db: Knex, tenantId: string, id: string) => Promise<R | undefined>;
    /** Read models besides its own that the answer or its access check reads: read-your-writes waits for them too. */
    readonly alsoReads?: readonly string[];
    /** For owned records: the row's owner, for the policy. */
    readonly ownerOf?: (row: R) => string | null;
  },
): Promise<R> {
  const id = call.params.id!;
  const { tenantId } = call.access;
  let row: R | undefined;
  if (spec.moment) {
    await loadReadable(call.deps.store, call.access, spec.aggregate, id, spec.label);
    const streamId = streamName({ category: spec.aggregate.category, tenantId, aggregateId: id });
    row = await readModelAsOf(call.deps, spec.projection, { streamId }, spec.moment, (trx) => spec.get(trx, tenantId, id));
    if (!row) throw notFound(`${spec.label} ${id} did not exist at that moment`, { id });
    return row;
  }
  await readYourWrites(call, spec.projection.name, ...(spec.alsoReads ?? []));
  row = await spec.get(call.deps.db, tenantId, id);
  if (!row) throw notFound(`${spec.label} ${id} not found`, { id });
  if (spec.ownerOf) requireOwnerInScope(call.access, spec.aggregate.guard.resource, 'read', spec.ownerOf(row));
  return row;
}
