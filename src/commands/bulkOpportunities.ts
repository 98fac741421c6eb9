import { isInvalidValue } from '../db/unavailable.js';
import { DomainError, validation } from '../shared/errors.js';
import type { Amount } from '../shared/money.js';
import type { AppContext, Caller } from './context.js';
import { type ItemPlan, planTakeover } from './bulkRecovery.js';
import { type OpportunityResult, changeStage, reassignOpportunity, updateOpportunity } from './opportunities.js';

/**
 * Seed 003's bulk operations: up to 1,000 changes to opportunities in one request, applied in
 * batches of 100. Each item is one use case with the caller's rights (the policy decides per
 * item) and, when given, its own expected revision; one item failing does not stop the others.
 * Items of one opportunity are applied in their order; different opportunities side by side.
 */
export type BulkItem =
  | { readonly op: 'change_stage'; readonly opportunityId: string; readonly expectedRevision?: bigint; readonly stage: string; readonly probability?: number; readonly nextStep?: string; readonly lostReason?: string }
  | { readonly op: 'update'; readonly opportunityId: string; readonly expectedRevision?: bigint; readonly amount?: Amount; readonly currency?: string; readonly expectedCloseDate?: string | null }
  | { readonly op: 'reassign'; readonly opportunityId: string; readonly expectedRevision?: bigint; readonly ownerId: string; readonly reason?: string };

export type BulkOutcome = { readonly index: number; readonly ok: true; readonly result: OpportunityResult } | { readonly index: number; readonly ok: false; readonly error: DomainError };

export const BULK_BATCH = 100;
export const BULK_MAX = 1000;
/** Opportunities worked on at once within a batch. */
const PARALLEL = 8;

function run(app: AppContext, caller: Caller, item: BulkItem): Promise<OpportunityResult> {
  const { expectedRevision, op: _op, ...input } = item;
  const who: Caller = { ...caller, ...(expectedRevision !== undefined ? { expectedRevision } : {}) };
  switch (item.op) {
    case 'change_stage':
      return changeStage(app, who, input as Parameters<typeof changeStage>[2]);
    case 'update':
      return updateOpportunity(app, who, input as Parameters<typeof updateOpportunity>[2]);
    case 'reassign':
      return reassignOpportunity(app, who, input as Parameters<typeof reassignOpportunity>[2]);
  }
}

export interface BulkOptions {
  /** The request's earlier execution died part way: items it applied are recovered, not redone. */
  readonly takeover?: boolean;
  /** Awaited after each batch with the number of items done: progress, and the caller's lease renewed. */
  readonly onBatch?: (done: number) => Promise<void> | void;
}

/**
 * The key an item's events carry: the request's key, a space (which no key holds: keys are
 * visible ASCII) and the item's index, so no key a client sends can name a bulk item.
 */
export const itemKey = (requestKey: string, index: number) => `${requestKey} ${index}`;

/**
 * Applies the items; an item given as a DomainError was refused before it ran (input that did
 * not parse). Domain errors, and values PostgreSQL refuses, become itemised outcomes; anything
 * else (the database gone) fails the request. Under an Idempotency-Key each item's events carry
 * its item key, so a retry that takes the request over finds what ran (bulkRecovery.ts).
 */
export async function bulkUpdateOpportunities(
  app: AppContext,
  caller: Caller,
  items: readonly (BulkItem | DomainError)[],
  options: BulkOptions = {},
): Promise<BulkOutcome[]> {
  const outcomes: BulkOutcome[] = new Array(items.length);
  const { expectedRevision: _all, idempotencyKey: requestKey, ...base } = caller;
  const plans = options.takeover && requestKey !== undefined ? await takeoverPlans(app, caller, items, requestKey) : new Map<number, ItemPlan>();
  const apply = async (i: number) => {
    const plan = plans.get(i) ?? { kind: 'run' };
    const who: Caller = requestKey === undefined ? base : { ...base, idempotencyKey: itemKey(requestKey, i) };
    try {
      const result = plan.kind === 'recovered' ? plan.result : await run(plan.kind === 'redecide' ? plan.app : app, who, items[i] as BulkItem);
      outcomes[i] = { index: i, ok: true, result };
    } catch (err) {
      if (isInvalidValue(err)) outcomes[i] = { index: i, ok: false, error: validation('The item holds a value that cannot be stored') };
      else if (err instanceof DomainError) outcomes[i] = { index: i, ok: false, error: err };
      else throw err;
    }
  };
  for (let start = 0; start < items.length; start += BULK_BATCH) {
    const byOpportunity = new Map<string, number[]>();
    for (let i = start; i < Math.min(items.length, start + BULK_BATCH); i++) {
      const item = items[i]!;
      if (item instanceof DomainError) outcomes[i] = { index: i, ok: false, error: item };
      else byOpportunity.set(item.opportunityId, [...(byOpportunity.get(item.opportunityId) ?? []), i]);
    }
    const queue = [...byOpportunity.values()];
    // The first failure that is not the item's own ends the request: the other workers stop
    // taking items, so nothing is applied after the client was told the request failed.
    let fatal: { error: unknown } | undefined;
    await Promise.all(
      Array.from({ length: Math.min(PARALLEL, queue.length) }, async () => {
        for (let group = queue.shift(); group && !fatal; group = queue.shift()) {
          for (const i of group) {
            if (fatal) break;
            await apply(i).catch((error: unknown) => void (fatal ??= { error }));
          }
        }
      }),
    );
    if (fatal) throw fatal.error;
    await options.onBatch?.(Math.min(items.length, start + BULK_BATCH));
  }
  return outcomes;
}

/** Each item's plan on takeover, per opportunity over the whole request (its items span batches). */
async function takeoverPlans(app: AppContext, caller: Caller, items: readonly (BulkItem | DomainError)[], requestKey: string): Promise<Map<number, ItemPlan>> {
  const byOpportunity = new Map<string, number[]>();
  items.forEach((item, i) => {
    if (!(item instanceof DomainError)) byOpportunity.set(item.opportunityId, [...(byOpportunity.get(item.opportunityId) ?? []), i]);
  });
  const plans = new Map<number, ItemPlan>();
  const queue = [...byOpportunity.entries()];
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL, queue.length) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [opportunityId, indexes] = next;
        const found = await planTakeover(app, caller, opportunityId, indexes.map((i) => itemKey(requestKey, i)));
        indexes.forEach((i, at) => plans.set(i, found[at]!));
      }
    }),
  );
  return plans;
}
