import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import {
  DuplicateEventIdError,
  type EventStore,
  type EventToAppend,
  type Position,
  type RecordedEvent,
  type SubscriptionBatch,
  START,
  WrongExpectedRevisionError,
  comparePositions,
} from '../../src/eventstore/port.js';
import type { Harness } from './conformance.js';

/**
 * The conformance cases where an adapter is most likely to differ from the port without any
 * other test noticing (issue 16): checkpoints of idle filtered subscriptions, a truthful
 * caughtUp, odd checkpoints, empty appends and filters, repeated event ids, dropped
 * connections, bounded reads. Each runs on every store; a case that a store cannot make
 * meaningful says so in its skip (see Harness).
 */
export interface SuiteContext {
  readonly store: EventStore;
  readonly harness: Harness;
  stream(n: string | number): string;
  prefix(): string;
}

const ev = (eventType = 'Tested', data: Record<string, string | number> = {}): EventToAppend => ({
  eventId: randomUUID(),
  eventType,
  data,
  metadata: { userId: 'tester' },
});

async function rejected(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  return expect.fail('the append should have been refused');
}

/** Batches of one subscription, pulled one at a time, with a bound on each wait. */
function pull(store: EventStore, opts: { after?: Position; filter: { eventTypes?: string[]; streamPrefixes?: string[] }; batchSize?: number }) {
  const controller = new AbortController();
  const it = store.subscribeToAll({ ...opts, signal: controller.signal })[Symbol.asyncIterator]();
  return {
    async until(done: (b: SubscriptionBatch) => boolean, timeoutMs = 10_000): Promise<SubscriptionBatch> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) return expect.fail('no such batch in time');
        const next = await Promise.race([it.next(), new Promise<'late'>((r) => setTimeout(() => r('late'), left))]);
        if (next === 'late' || next.done) return expect.fail('no such batch in time');
        if (done(next.value)) return next.value;
      }
    },
    stop: () => {
      controller.abort();
      void it.return?.();
    },
  };
}

export function edgeCases(ctx: SuiteContext): void {
  describe('edges (issue 16)', () => {
    it('appending no events checks the expectation, writes nothing, and answers the last event', async () => {
      const { store, stream } = ctx;
      const none = await store.append(stream(1), [], 'no_stream');
      expect(none).to.deep.equal({ nextExpectedRevision: -1n, position: START });
      expect(await rejected(store.append(stream(1), [], 0n))).to.be.instanceOf(WrongExpectedRevisionError);
      const written = await store.append(stream(1), [ev(), ev()], 'no_stream');
      const again = await store.append(stream(1), [], 1n);
      expect(again.nextExpectedRevision).to.equal(1n);
      expect(comparePositions(again.position, written.position)).to.equal(0);
      expect(await rejected(store.append(stream(1), [], 'no_stream'))).to.be.instanceOf(WrongExpectedRevisionError);
      expect(await store.readStream(stream(1))).to.have.length(2);
    });

    it('the same write again returns its first result and writes nothing', async () => {
      const { store, stream } = ctx;
      await store.append(stream(1), [ev()], 'no_stream');
      const write = [ev('R', { i: 1 }), ev('R', { i: 2 })];
      const first = await store.append(stream(1), write, 0n);
      for (const expected of [0n, 'any'] as const) {
        const repeat = await store.append(stream(1), write, expected);
        expect(repeat.nextExpectedRevision).to.equal(first.nextExpectedRevision);
        expect(comparePositions(repeat.position, first.position)).to.equal(0);
      }
      expect(await store.readStream(stream(1))).to.have.length(3);
    });

    it('a stored event id in another write of the stream is refused as a duplicate', async function () {
      if (!ctx.harness.refusesReusedIds) this.skip(); // EventStoreDB checks no ids on a write at the current revision
      const { store, stream } = ctx;
      const e = ev();
      await store.append(stream(1), [e, ev()], 'no_stream');
      const err = await rejected(store.append(stream(1), [ev(), e], 1n));
      expect(err).to.be.instanceOf(DuplicateEventIdError);
      expect((err as DuplicateEventIdError).eventIds).to.deep.equal([e.eventId]);
      expect(await rejected(store.append(stream(2), [ev(), ev()].map((x, i) => (i === 1 ? x : { ...x, eventId: e.eventId })), 'any'))).to.be.instanceOf(Error);
      expect(await store.readStream(stream(1))).to.have.length(2);
    });

    it('an event id reused in another stream is refused', async function () {
      if (!ctx.harness.refusesReusedIds) this.skip(); // EventStoreDB keeps no index of ids across streams
      const { store, stream } = ctx;
      const e = ev();
      await store.append(stream(1), [e], 'no_stream');
      expect(await rejected(store.append(stream(2), [{ ...ev(), eventId: e.eventId }], 'any'))).to.be.instanceOf(DuplicateEventIdError);
      expect(await store.readStream(stream(2))).to.deep.equal([]);
    });

    it('an empty filter list matches nothing; an absent one matches everything', async () => {
      const { store, stream, prefix } = ctx;
      await store.append(stream(1), [ev('A'), ev('B')], 'no_stream');
      expect(await store.readAll({ filter: { streamPrefixes: [prefix()], eventTypes: [] } })).to.deep.equal([]);
      expect(await store.readAll({ filter: { streamPrefixes: [] } })).to.deep.equal([]);
      expect((await store.readAll({ filter: { streamPrefixes: [prefix()] } })).map((e) => e.eventType)).to.deep.equal(['A', 'B']);
      const sub = pull(store, { after: await store.headPosition(), filter: { eventTypes: [] } });
      try {
        await store.append(stream(2), [ev('C')], 'no_stream');
        const head = await store.headPosition();
        let delivered = 0;
        await sub.until((b) => {
          delivered += b.events.length;
          return b.caughtUp && comparePositions(b.checkpoint, head) >= 0;
        });
        expect(delivered).to.equal(0);
      } finally {
        sub.stop();
      }
    });

    it('the checkpoint of a live filtered subscription reaches the head when nothing matches', async () => {
      const { store, stream } = ctx;
      const sub = pull(store, { after: await store.headPosition(), filter: { eventTypes: [`Never${randomUUID()}`] } });
      try {
        await sub.until((b) => b.caughtUp);
        let last: Position = START;
        for (let i = 0; i < 5; i++) last = (await store.append(stream(i), [ev('Unwanted')], 'no_stream')).position;
        const reached = await sub.until((b) => comparePositions(b.checkpoint, last) >= 0);
        expect(reached.events).to.deep.equal([]);
      } finally {
        sub.stop();
      }
    });

    it('caughtUp is false while behind and true once caught up, again after falling behind', async () => {
      const { store, stream, prefix } = ctx;
      const filter = { streamPrefixes: [prefix()] };
      await store.append(stream(1), Array.from({ length: 30 }, (_, i) => ev('E', { i })), 'no_stream');
      const sub = pull(store, { filter, batchSize: 7 });
      try {
        const first = await sub.until((b) => b.events.length > 0);
        expect(first.caughtUp, 'a first page of 7 of 30').to.equal(false);
        await sub.until((b) => b.caughtUp);
        await store.append(stream(1), Array.from({ length: 30 }, (_, i) => ev('E', { i: 30 + i })), 29n);
        const behind = await sub.until((b) => b.events.length > 0);
        expect(behind.caughtUp, 'a page of a backlog of 30').to.equal(false);
        const caught = await sub.until((b) => b.caughtUp);
        expect(comparePositions(caught.checkpoint, await store.headPosition())).to.be.at.least(0);
      } finally {
        sub.stop();
      }
    });

    it('resuming from a checkpoint that is no event position delivers exactly what follows it', async () => {
      const { store, stream, prefix } = ctx;
      await store.append(stream(1), [ev('E', { i: 0 })], 'no_stream');
      await store.append(stream('other'), [ev('Unwanted')], 'no_stream');
      const sub = pull(store, { filter: { streamPrefixes: [`${prefix()}-1`] } });
      let checkpoint: Position;
      try {
        checkpoint = (await sub.until((b) => b.caughtUp)).checkpoint;
      } finally {
        sub.stop();
      }
      await store.append(stream(1), [ev('E', { i: 1 })], 0n);
      const rest = pull(store, { after: checkpoint, filter: { streamPrefixes: [`${prefix()}-1`] } });
      try {
        const next = await rest.until((b) => b.events.length > 0);
        expect(next.events.map((e) => e.data.i)).to.deep.equal([1]);
      } finally {
        rest.stop();
      }
    });

    it('a consumer whose connections drop resumes from its checkpoint and misses nothing', async function () {
      const drop = ctx.harness.dropConnections;
      if (!drop) this.skip(); // EventStoreDB: the harness cannot cut a server's connections
      const { store, stream, prefix } = ctx;
      const seen: RecordedEvent[] = [];
      let checkpoint: Position = START;
      const writer = (async () => {
        for (let i = 0; i < 40; i++) {
          // The same event until it is in: a cut connection may have taken the append with it or
          // not, and a repeated write is answered, not stored twice.
          const e = ev('E', { i });
          for (let attempt = 1; ; attempt++) {
            try {
              await store.append(stream(i % 4), [e], 'any');
              break;
            } catch (err) {
              if (attempt >= 20) throw err;
            }
          }
          if (i === 20) await drop!();
        }
      })();
      const deadline = Date.now() + 30_000;
      while (seen.length < 40 && Date.now() < deadline) {
        const sub = pull(store, { after: checkpoint, filter: { streamPrefixes: [prefix()] } });
        try {
          for (;;) {
            const b = await sub.until(() => true, Math.max(1, deadline - Date.now()));
            seen.push(...b.events);
            checkpoint = b.checkpoint;
            if (seen.length >= 40) break;
          }
        } catch {
          // dropped: go on from the checkpoint, as a consumer does
        } finally {
          sub.stop();
        }
      }
      await writer;
      expect(new Set(seen.map((e) => e.eventId)).size).to.equal(seen.length);
      expect(seen.map((e) => Number(e.data.i)).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i));
    });

    it('readPage always moves on and ends; readAll pages at 1,000 by default', async () => {
      const { store, stream, prefix } = ctx;
      const start = await store.headPosition();
      await store.append(stream('bulk'), Array.from({ length: 1001 }, (_, i) => ev('Bulk', { i })), 'no_stream');
      await store.append(stream('rare'), [ev('Rare')], 'no_stream');
      expect(await store.readAll({ after: start, filter: { streamPrefixes: [prefix()] } })).to.have.length(1000);
      let after: Position = start;
      const found: RecordedEvent[] = [];
      for (let pages = 0; ; pages++) {
        expect(pages, 'pages end').to.be.below(2000);
        const page = await store.readPage({ after, maxScan: 50, filter: { streamPrefixes: [prefix()], eventTypes: ['Rare'] } });
        found.push(...page.events);
        if (page.end) break;
        expect(comparePositions(page.next, after), 'a page moves on').to.equal(1);
        after = page.next;
      }
      expect(found.map((e) => e.eventType)).to.deep.equal(['Rare']);
    });
  });
}
