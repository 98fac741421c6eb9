import { expect } from 'chai';
import { type Decider, type DecisionContext, type DomainEvent, fold } from '../../src/aggregates/decider.js';
import { DomainError } from '../../src/shared/errors.js';

/**
 * Given events, when a command, then events or an error: a decider needs nothing else.
 * `const given = givenWhenThen(decider, ctx)`, then
 * `given([created]).when(command).then([event])` or `.thenFails('CONFLICT', /closed/)`.
 */
export function givenWhenThen<C, E extends DomainEvent, S>(decider: Decider<C, E, S>, ctx: DecisionContext) {
  return (events: readonly E[]) => {
    const state = fold(decider, events);
    return {
      state,
      when: (command: C) => ({
        /** The decided events, for assertions of their own. */
        events: () => decider.decide(command, state, ctx),
        then: (expected: readonly E[]) => expect(decider.decide(command, state, ctx)).to.deep.equal(expected),
        thenFails: (code: string, match?: RegExp): DomainError => {
          try {
            decider.decide(command, state, ctx);
          } catch (err) {
            expect(err).to.be.instanceOf(DomainError);
            expect((err as DomainError).code).to.equal(code);
            if (match) expect((err as DomainError).message).to.match(match);
            return err as DomainError;
          }
          return expect.fail(`expected ${code}`);
        },
      }),
    };
  };
}
