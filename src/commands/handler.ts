import type { Access } from '../access/access.js';
import { type Guard, authorizeCommand } from '../access/policy.js';
import { type Decider, type DomainEvent, fold } from '../aggregates/decider.js';
import { type StoredEvent, SCHEMA_VERSION, fromRecorded, toDomainEvent, toEventToAppend } from '../eventstore/envelope.js';
import { newEventId as nextEventId } from '../eventstore/eventId.js';
import { type EventStore, type Position, START, type UnchangedStream, WrongExpectedRevisionError } from '../eventstore/port.js';
import { streamName } from '../eventstore/streams.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { type CommandOutcome, type Metrics } from '../observability/metrics.js';
import { injectTraceHeaders, withSpan } from '../observability/tracing.js';
import { DomainError, conflict } from '../shared/errors.js';
import { carriesPersonalData } from '../privacy/units.js';
import { relatedRecordOf } from './load.js';
import { type CachedState, createStateCache } from './stateCache.js';

/**
 * What the generic handler needs to know of an aggregate: where its streams live, its decider,
 * and what the access policy asks of it (its resource and who owns it).
 */
export interface Aggregate<C, E extends DomainEvent, S> {
  readonly category: string;
  readonly decider: Decider<C, E, S>;
  readonly guard: Guard<C, S>;
}

export interface CommandEnvelope {
  /** Who acts: tenant, actor (recorded as the events' userId), roles and reach. */
  readonly access: Access;
  readonly aggregateId: string;
  readonly correlationId: string;
  readonly causationId?: string | null;
  readonly idempotencyKey?: string;
  /**
   * The revision the client last saw (If-Match). When it is stale the command fails with
   * CONFLICT instead of being retried: the client decided on old information.
   */
  readonly expectedRevision?: bigint;
}

export interface CommandResult<S> {
  readonly streamId: string;
  readonly aggregateId: string;
  readonly events: readonly StoredEvent[];
  /** The stream's revision after the command; -1 when the stream does not exist. */
  readonly revision: bigint;
  /** Where the command's last event landed (or the stream's last event when nothing changed). */
  readonly position: Position | undefined;
  readonly state: S;
}

export interface CommandHandlerDeps {
  readonly store: EventStore;
  readonly clock?: () => Date;
  readonly newEventId?: () => string;
  /** Attempts after a concurrent write moved the stream under an internal caller. */
  readonly maxRetries?: number;
  /** command_duration_seconds; unmeasured without. */
  readonly metrics?: Metrics;
  /** Streams whose state is kept between commands (stateCache.ts); default 5,000, 0 keeps none. */
  readonly cachedStates?: number;
}

export type ExecuteCommand = <C, E extends DomainEvent, S>(
  aggregate: Aggregate<C, E, S>,
  envelope: CommandEnvelope,
  command: C | Deferred<C>,
) => Promise<CommandResult<S>>;

/**
 * A command built from what it is decided against (the tenant's stage set): built while the
 * aggregate's stream is read, so that both reads go to the store together (issue 14), and built
 * again on a retry, against what is current then.
 */
export interface Deferred<C> {
  readonly type: string;
  readonly build: (reads: DecisionReads) => Promise<C>;
}

/**
 * Other aggregates of the caller's tenant that a command is decided against. The handler gives
 * a state it remembers (stateCache.ts) or reads it, and appends the command's events only if
 * those streams are still where they were (port.ts, UnchangedStream): a stage set changed by
 * another instance refuses the append, and the command is decided again on a fresh read.
 */
export interface DecisionReads {
  state<C, E extends DomainEvent, S>(aggregate: Aggregate<C, E, S>, aggregateId: string): Promise<S>;
}

export const deferred = <C extends { readonly type: string }>(type: C['type'], build: (reads: DecisionReads) => Promise<C>): Deferred<C> => ({
  type,
  build,
});

const isDeferred = <C>(command: C | Deferred<C>): command is Deferred<C> =>
  typeof command === 'object' && command !== null && typeof (command as Partial<Deferred<C>>).build === 'function';

/** One handler for every aggregate: load, fold, decide, append with the expected revision. */
export function createCommandHandler(deps: CommandHandlerDeps): ExecuteCommand {
  const clock = deps.clock ?? (() => new Date());
  const newEventId = deps.newEventId ?? nextEventId;
  const maxRetries = deps.maxRetries ?? 5;
  const states = deps.cachedStates === 0 ? undefined : createStateCache(deps.cachedStates ?? 5_000);

  /** Each command in a span and timed by aggregate, command type and outcome. */
  return function measured<C, E extends DomainEvent, S>(aggregate: Aggregate<C, E, S>, env: CommandEnvelope, command: C | Deferred<C>) {
    const type = typeof (command as { type?: unknown }).type === 'string' ? (command as { type: string }).type : 'unknown';
    const labels = { aggregate: aggregate.category, command: type };
    return withSpan(`command ${type}`, { 'crm.aggregate': aggregate.category, 'crm.command': type }, async () => {
      const end = deps.metrics?.commandDuration.startTimer(labels);
      try {
        const result = await execute(aggregate, env, command);
        end?.({ outcome: 'ok' });
        return result;
      } catch (err) {
        end?.({ outcome: outcomeOf(err) });
        throw err;
      }
    });
  };

  /** A stream's head, folded from a read. */
  async function readHead<E extends DomainEvent, S>(decider: Decider<unknown, E, S>, streamId: string): Promise<Head<S>> {
    const history = (await deps.store.readStream(streamId)).map((r) => fromRecorded<E>(r));
    const last = history.at(-1);
    const keep = !history.some((e) => carriesPersonalData(e.eventType));
    return { state: fold(decider, history.map(toDomainEvent)), revision: last?.revision ?? -1n, position: last?.position, cached: false, keep };
  }

  function remember(streamId: string, head: Head<unknown>): void {
    if (states && head.keep && head.position) states.put(streamId, { state: head.state, revision: head.revision, position: head.position });
  }

  /** The reads of one attempt's build: remembered states when `guess`, and where each stream stood. */
  function decisionReads(tenantId: string, guess: boolean): DecisionReads & { guessed: boolean; readonly unchanged: UnchangedStream[] } {
    const reads = {
      guessed: false,
      unchanged: [] as UnchangedStream[],
      async state<C, E extends DomainEvent, S>(aggregate: Aggregate<C, E, S>, aggregateId: string): Promise<S> {
        const streamId = streamName({ category: aggregate.category, tenantId, aggregateId });
        const hit = guess ? cachedHead<S>(states?.get(streamId)) : undefined;
        if (hit) reads.guessed = true;
        const head = hit ?? (await readHead(aggregate.decider as Decider<unknown, E, S>, streamId));
        // Remembered even when absent (a tenant on the default stages): its append is then checked at -1.
        if (!hit) remember(streamId, { ...head, position: head.position ?? START });
        reads.unchanged.push({ streamId, revision: head.revision });
        return head.state;
      },
    };
    return reads;
  }

  async function execute<C, E extends DomainEvent, S>(
    aggregate: Aggregate<C, E, S>,
    env: CommandEnvelope,
    input: C | Deferred<C>,
  ): Promise<CommandResult<S>> {
    const { tenantId, actorId } = env.access;
    const streamId = streamName({ category: aggregate.category, tenantId, aggregateId: env.aggregateId });
    const build = async (guess: boolean) => {
      const reads = decisionReads(tenantId, guess);
      return { command: isDeferred(input) ? await input.build(reads) : input, reads };
    };
    // A cached head or remembered read is a guess (stateCache.ts): whatever it does not end in an append is decided again on fresh reads.
    let guess = true;
    let built: Awaited<ReturnType<typeof build>> | undefined;
    for (let attempt = 0; ; attempt++) {
      const cached = guess ? cachedHead<S>(states?.get(streamId)) : undefined;
      const [head, { command, reads }] = await Promise.all([cached ?? readHead(aggregate.decider as Decider<unknown, E, S>, streamId), built ?? build(guess)]);
      const onGuess = head.cached || reads.guessed;
      // Kept only for the fresh attempt right after a guess, when built on fresh reads (checked again at the append); a race lost builds it again.
      const keepBuilt = reads.guessed ? undefined : { command, reads };
      guess = false;
      built = undefined;
      let decided: readonly E[];
      const now = clock();
      try {
        // The access policy decides on the state as loaded, before anything about the record is
        // told (even its revision) and before the decider runs (DESIGN §10).
        const related = await relatedRecordOf(deps.store, env.access, aggregate.guard, head.state, aggregate.guard.actionOf?.(command) ?? 'write');
        authorizeCommand(env.access, aggregate.guard, command, head.state, related);
        if (env.expectedRevision !== undefined && env.expectedRevision !== head.revision) {
          throw staleRevision(env.expectedRevision, head.revision);
        }
        decided = aggregate.decider.decide(command, head.state, { now, actorId });
      } catch (err) {
        if (!onGuess) throw err;
        built = keepBuilt;
        attempt--;
        continue;
      }
      if (decided.length === 0) {
        if (!onGuess) {
          remember(streamId, head);
          return { streamId, aggregateId: env.aggregateId, events: [], revision: head.revision, position: head.position, state: head.state };
        }
        built = keepBuilt;
        attempt--;
        continue;
      }

      // Inside the command's span: what reads these events later continues this trace.
      const { traceparent } = injectTraceHeaders({});
      const toAppend = decided.map((event) =>
        toEventToAppend(event, {
          eventId: newEventId(),
          timestamp: now,
          aggregateId: env.aggregateId,
          tenantId,
          metadata: {
            correlationId: env.correlationId,
            causationId: env.causationId ?? null,
            userId: actorId,
            ...(env.access.apiKeyId !== undefined ? { apiKeyId: env.access.apiKeyId } : {}),
            schemaVersion: SCHEMA_VERSION,
            ...(env.idempotencyKey !== undefined ? { idempotencyKey: env.idempotencyKey } : {}),
            ...(traceparent !== undefined ? { traceparent } : {}),
          },
        }),
      );
      try {
        const expected = head.revision >= 0n ? head.revision : 'no_stream';
        const appended = await deps.store.append(streamId, toAppend, expected, reads.unchanged.length > 0 ? { unchanged: reads.unchanged } : undefined);
        const firstRevision = appended.nextExpectedRevision - BigInt(toAppend.length) + 1n;
        const events: StoredEvent[] = toAppend.map((e, i) =>
          fromRecorded({
            streamId,
            revision: firstRevision + BigInt(i),
            // Only the last event's position is known without a read; earlier ones precede it.
            position: appended.position,
            eventId: e.eventId,
            eventType: e.eventType,
            data: e.data,
            metadata: e.metadata,
            created: now,
          }),
        );
        const state = decided.reduce(aggregate.decider.evolve, head.state);
        if (states && head.keep && !toAppend.some((e) => carriesPersonalData(e.eventType))) {
          // Folded from the events as a read would return them (JSON), so that it is the state a read gives.
          const asRead = toAppend.map((e) => ({ type: e.eventType, data: JSON.parse(JSON.stringify(e.data)) as unknown }) as E);
          states.put(streamId, { state: asRead.reduce(aggregate.decider.evolve, head.state), revision: appended.nextExpectedRevision, position: appended.position });
        } else states?.delete(streamId);
        return { streamId, aggregateId: env.aggregateId, events, revision: appended.nextExpectedRevision, position: appended.position, state };
      } catch (err) {
        states?.delete(streamId);
        if (!(err instanceof WrongExpectedRevisionError)) throw err;
        const ownStream = err.streamId === streamId;
        if (!ownStream) states?.delete(err.streamId); // a stream it was decided against moved
        if (onGuess) {
          // Not a race lost: the guess was old. Decided again on a read (the policy first, then If-Match).
          attempt--;
          continue;
        }
        if (ownStream && env.expectedRevision !== undefined) throw staleRevision(env.expectedRevision, err.actual ?? -1n);
        if (attempt >= maxRetries) {
          const moved = ownStream ? { stream_revision: String(err.actual) } : { changed_stream: err.streamId };
          throw conflict('The resource kept changing under this command; try again', moved);
        }
        // Another writer got there first: decide again on the new state, after a short jitter.
        await new Promise((r) => setTimeout(r, Math.random() * 10 * (attempt + 1)));
      }
    }
  }
}

/** The stream's head as a command decides on it: folded from a read, or a cached guess. */
interface Head<S> {
  readonly state: S;
  readonly revision: bigint;
  readonly position: Position | undefined;
  readonly cached: boolean;
  /** Its history holds no personal data, so the state after the command may be cached. */
  readonly keep: boolean;
}

const cachedHead = <S>(hit: CachedState | undefined): Head<S> | undefined =>
  hit && { state: hit.state as S, revision: hit.revision, position: hit.position, cached: true, keep: true };

function outcomeOf(err: unknown): CommandOutcome {
  if (!(err instanceof DomainError)) return isDatabaseUnavailable(err) ? 'unavailable' : 'error';
  switch (err.code) {
    case 'CONFLICT':
      return 'conflict';
    case 'FORBIDDEN':
      return 'forbidden';
    case 'NOT_FOUND':
      return 'not_found';
    case 'VALIDATION_ERROR':
      return 'rejected';
    case 'SERVICE_UNAVAILABLE':
      return 'unavailable';
    default:
      return 'error';
  }
}

function staleRevision(expected: bigint, actual: bigint) {
  return conflict('The resource was changed by someone else; reload it and try again', {
    expected_revision: expected.toString(),
    current_revision: actual.toString(),
  });
}
