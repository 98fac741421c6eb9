import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { GENESIS, eventHash } from '../../src/eventstore/chain.js';
import { type EventToAppend, type RecordedEvent, WrongExpectedRevisionError } from '../../src/eventstore/port.js';
import type { SuiteContext } from './edgeCases.js';

/** The hash chain per stream (DESIGN §13), held against both stores. */
const ev = (data: Record<string, unknown> = {}): EventToAppend => ({
  eventId: randomUUID(),
  eventType: 'Chained',
  data: data as EventToAppend['data'],
  metadata: { userId: 'tester', nested: { b: 1, a: [1, 'x', null] } },
});

/** Every stored hash recomputed from genesis: the index of the first link that does not hold, or -1. */
function firstBrokenLink(events: readonly RecordedEvent[]): number {
  let prev = GENESIS;
  for (const [i, e] of events.entries()) {
    if (e.revision !== BigInt(i)) return i;
    const expected = eventHash(prev, e);
    if (e.hash !== expected) return i;
    prev = expected;
  }
  return -1;
}

export function chainCases(ctx: SuiteContext): void {
  describe('hash chain per stream', () => {
    it('every append, of one event or many, with any expectation, extends one chain from genesis', async () => {
      const { store, stream } = ctx;
      await store.append(stream(1), [ev({ i: 0, amount: '120000.00', big: 1e21, small: 1.5e-7, text: 'é "q" \n' })], 'no_stream');
      await store.append(stream(1), [ev({ i: 1 }), ev({ i: 2, z: { y: [{ b: 2, a: 1 }] } })], 0n);
      await store.append(stream(1), [ev({ i: 3 })], 'any');
      await store.append(stream(1), [ev({ i: 4 }), ev({ i: 5 })], 'stream_exists');
      const events = await store.readStream(stream(1));
      expect(events).to.have.length(6);
      expect(events.every((e) => /^[0-9a-f]{64}$/.test(e.hash ?? ''))).to.equal(true);
      expect(firstBrokenLink(events)).to.equal(-1);
      // Streams chain independently: the same content elsewhere is another chain.
      await store.append(stream(2), [ev({ i: 0 })], 'no_stream');
      const [other] = await store.readStream(stream(2));
      expect(other!.hash).to.equal(eventHash(GENESIS, other!));
      expect(events[0]!.hash).to.not.equal(other!.hash);
    });

    it('a retried write and a refused one leave the chain as it was', async () => {
      const { store, stream } = ctx;
      const write = [ev({ i: 0 }), ev({ i: 1 })];
      await store.append(stream(1), write, 'no_stream');
      await store.append(stream(1), write, 'no_stream');
      try {
        await store.append(stream(1), [ev()], 0n);
        expect.fail('a stale revision must be refused');
      } catch (err) {
        expect(err).to.be.instanceOf(WrongExpectedRevisionError);
      }
      await store.append(stream(1), [ev({ i: 2 })], 1n);
      const events = await store.readStream(stream(1));
      expect(events).to.have.length(3);
      expect(firstBrokenLink(events)).to.equal(-1);
    });

    it('concurrent appends to one stream never fork its chain', async () => {
      const { store, stream } = ctx;
      await Promise.all(Array.from({ length: 40 }, (_, i) => store.append(stream('fork'), [ev({ i }), ev({ i, second: true })], 'any')));
      const events = await store.readStream(stream('fork'));
      expect(events).to.have.length(80);
      expect(firstBrokenLink(events)).to.equal(-1);
    });
  });
}
