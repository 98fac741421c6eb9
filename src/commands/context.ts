import type { Knex } from 'knex';
import type { StageSet } from '../aggregates/pipelineStage/stages.js';
import type { EventStore } from '../eventstore/port.js';
import type { SubjectVault } from '../privacy/subjects.js';
import type { CommandEnvelope, ExecuteCommand } from './handler.js';

/**
 * What the use cases (src/commands/<area>/) work with: the event store, the read models' database,
 * the one command handler and the tenant's stage set. Front doors (REST, GraphQL) pass it in.
 */
export interface AppContext {
  readonly store: EventStore;
  readonly db: Knex;
  readonly execute: ExecuteCommand;
  readonly stageSetFor: (tenantId: string) => Promise<StageSet>;
  /** The log as stored, personal data sealed: for integrity checks (the chain hashes this). */
  readonly storedLog: EventStore;
  /** Data subjects' keys: erasure and subject access. */
  readonly vault: SubjectVault;
}

/**
 * Who asks and how: the caller's access, its correlation and causation ids, an Idempotency-Key
 * and an expected revision (If-Match) when the front door has them. A use case adds the aggregate.
 */
export type Caller = Omit<CommandEnvelope, 'aggregateId'>;

export const on = (caller: Caller, aggregateId: string): CommandEnvelope => ({ ...caller, aggregateId });

/** The caller without its expected revision: for the steps of a saga the revision is not about. */
export function unconditional(caller: Caller): Caller {
  const { expectedRevision: _revision, ...rest } = caller;
  return rest;
}
