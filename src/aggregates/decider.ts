/**
 * An aggregate is a decider: pure functions, no I/O, no clock, no id generation. The command
 * handler supplies everything from outside through the context.
 */
export interface DecisionContext {
  /** The instant of the decision; events take their timestamp from the handler, not here. */
  readonly now: Date;
  readonly actorId: string;
}

export interface DomainEvent<T extends string = string, D = unknown> {
  readonly type: T;
  readonly data: D;
}

export interface Decider<C, E extends DomainEvent, S> {
  readonly initialState: S;
  evolve(state: S, event: E): S;
  /** Events that the command causes, or throws a DomainError. An empty array changes nothing. */
  decide(command: C, state: S, context: DecisionContext): readonly E[];
}

export function fold<E extends DomainEvent, S>(decider: Pick<Decider<never, E, S>, 'evolve' | 'initialState'>, events: readonly E[]): S {
  return events.reduce(decider.evolve, decider.initialState);
}
