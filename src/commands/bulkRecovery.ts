import { type OpportunityEvent, type OpportunityState, opportunityAggregate } from '../aggregates/opportunity/index.js';
import { fromRecorded } from '../eventstore/envelope.js';
import type { EventStore } from '../eventstore/port.js';
import { streamName } from '../eventstore/streams.js';
import { conflict } from '../shared/errors.js';
import type { AppContext, Caller } from './context.js';
import { type CommandResult, createCommandHandler } from './handler.js';
import { recoverFrom } from './recoverResult.js';

/**
 * How a bulk request that died part way is taken over without a second effect. Items of one
 * opportunity run in order (across batches too), each tagged with its own key, so in the stream:
 * - an item whose events are there ran: its outcome is rebuilt from them;
 * - an item without events that precedes one with events also ran, and changed nothing (a
 *   no-op or a refusal): running it now, on the moved-on state, could change something, so it
 *   is decided again on the state just before the next item's events, where it first ran;
 * - the items after the last one with events did not run: they run now.
 */
export type ItemPlan =
  | { readonly kind: 'recovered'; readonly result: CommandResult<OpportunityState> }
  | { readonly kind: 'redecide'; readonly app: AppContext }
  | { readonly kind: 'run' };

/** The plan of each of one opportunity's items, in their order, by the keys that tag them; one read of its stream. */
export async function planTakeover(app: AppContext, caller: Caller, opportunityId: string, keys: readonly string[]): Promise<ItemPlan[]> {
  const { tenantId, actorId } = caller.access;
  const streamId = streamName({ category: opportunityAggregate.category, tenantId, aggregateId: opportunityId });
  const history = (await app.store.readStream(streamId)).map((r) => fromRecorded<OpportunityEvent>(r));
  const found = keys.map((key) => recoverFrom(history, opportunityAggregate, { streamId, aggregateId: opportunityId }, key, actorId));
  return found.map((result, at): ItemPlan => {
    if (result) return { kind: 'recovered', result };
    const next = found.slice(at + 1).find((r) => r !== undefined);
    return next ? { kind: 'redecide', app: { ...app, execute: createCommandHandler({ store: asBefore(app.store, streamId, next.events[0]!.revision) }) } } : { kind: 'run' };
  });
}

/**
 * The store with `streamId` as it was before `revision`; an item decided on it must not append.
 * Other streams (the stage set, a related record) read as they are: their revisions say nothing of this one's.
 */
function asBefore(store: EventStore, streamId: string, revision: bigint): EventStore {
  return new Proxy(store, {
    get(target, name, receiver) {
      if (name === 'readStream') {
        return async (...args: Parameters<EventStore['readStream']>) => {
          const events = await target.readStream(...args);
          return args[0] === streamId ? events.filter((r) => r.revision < revision) : events;
        };
      }
      if (name === 'append') {
        return async () => {
          throw conflict('This item ran before the request was interrupted and its outcome cannot be rebuilt; read the opportunity and send it again');
        };
      }
      const value: unknown = Reflect.get(target, name, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
