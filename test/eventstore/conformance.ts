import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { GENESIS, eventHash } from '../../src/eventstore/chain.js';
import { chainCases } from './chainCases.js';
import { edgeCases } from './edgeCases.js';
import {
  type EventStore,
  type EventToAppend,
  type Position,
  type RecordedEvent,
  START,
  WrongExpectedRevisionError,
  comparePositions,
} from '../../src/eventstore/port.js';

/**
 * The one conformance suite every EventStore adapter must pass. Streams are named with a
 * fresh prefix per test so the suite also runs against a shared, non-empty server.
 */
export interface Harness {
  readonly store: EventStore;
  /**
   * Appends inside a transaction that stays open `delayMs` after its insert before it commits
   * (where the adapter has such a thing): how slow concurrent writers look to a reader.
   */
  appendWithSlowCommit(streamId: string, events: EventToAppend[], delayMs: number): Promise<void>;
  /** appendWithSlowCommit really holds a transaction open (PostgreSQL; EventStoreDB has none). */
  readonly realSlowCommit: boolean;
  /** The store refuses any reuse of a stored id but a repeated write (PostgreSQL; EventStoreDB checks none). */
  readonly refusesReusedIds: boolean;
  /** Cuts the store's connections to its server, where the harness can (PostgreSQL). */
  readonly dropConnections?: () => Promise<void>;
  cleanup(): Promise<void>;
}

const ev = (eventType = 'Tested', data: Record<string, string | number> = {}): EventToAppend => ({
  eventId: randomUUID(),
  eventType,
  data,
  metadata: { userId: 'tester' },
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function expectWrongRevision(p: Promise<unknown>, actual: bigint | undefined): Promise<void> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(WrongExpectedRevisionError);
    expect((err as WrongExpectedRevisionError).actual).to.equal(actual);
    return;
  }
  expect.fail('append should have failed with a wrong expected revision');
}

/** Collects subscription events until `until` holds or the time runs out. */
async function collect(
  store: EventStore,
  opts: { after?: Position; prefix: string; until: (seen: RecordedEvent[]) => boolean; timeoutMs?: number },
): Promise<{ events: RecordedEvent[]; lastCheckpoint: Position }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs ?? 15_000);
  const events: RecordedEvent[] = [];
  let lastCheckpoint = opts.after ?? START;
  try {
    for await (const batch of store.subscribeToAll({
      after: opts.after,
      filter: { streamPrefixes: [opts.prefix] },
      batchSize: 7, // small pages exercise paging
      signal: controller.signal,
    })) {
      expect(comparePositions(batch.checkpoint, lastCheckpoint)).to.be.at.least(0, 'checkpoints never go back');
      events.push(...batch.events);
      lastCheckpoint = batch.checkpoint;
      if (opts.until(events)) break;
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return { events, lastCheckpoint };
}

function expectStreamOrder(events: RecordedEvent[]): void {
  const last = new Map<string, bigint>();
  for (const e of events) {
    const prev = last.get(e.streamId);
    expect(e.revision, `${e.streamId} in revision order`).to.equal(prev === undefined ? 0n : prev + 1n);
    last.set(e.streamId, e.revision);
  }
}

export function eventStoreConformance(name: string, makeHarness: () => Promise<Harness>): void {
  describe(`EventStore conformance: ${name}`, function () {
    this.timeout(60_000);
    let h: Harness;
    let store: EventStore;
    let prefix: string;
    const stream = (n: string | number) => `${prefix}-${n}`;

    before(async () => {
      h = await makeHarness();
      store = h.store;
    });
    after(async () => h?.cleanup());
    beforeEach(() => {
      prefix = `t${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    });
    const ctx = {
      get store() {
        return store;
      },
      get harness() {
        return h;
      },
      stream,
      prefix: () => prefix,
    };
    edgeCases(ctx);
    chainCases(ctx);

    describe('append with expected revision', () => {
      it('no_stream creates a stream and then refuses an existing one', async () => {
        const r = await store.append(stream(1), [ev(), ev()], 'no_stream');
        expect(r.nextExpectedRevision).to.equal(1n);
        await expectWrongRevision(store.append(stream(1), [ev()], 'no_stream'), 1n);
      });

      it('an exact revision must match; on a missing stream it fails', async () => {
        await expectWrongRevision(store.append(stream(1), [ev()], 0n), undefined);
        await store.append(stream(1), [ev()], 'no_stream');
        await expectWrongRevision(store.append(stream(1), [ev()], 5n), 0n);
        const r = await store.append(stream(1), [ev(), ev(), ev()], 0n);
        expect(r.nextExpectedRevision).to.equal(3n);
      });

      it('any appends whatever the stream holds; stream_exists needs a stream', async () => {
        await expectWrongRevision(store.append(stream(1), [ev()], 'stream_exists'), undefined);
        expect((await store.append(stream(1), [ev()], 'any')).nextExpectedRevision).to.equal(0n);
        expect((await store.append(stream(1), [ev()], 'any')).nextExpectedRevision).to.equal(1n);
        expect((await store.append(stream(1), [ev()], 'stream_exists')).nextExpectedRevision).to.equal(2n);
      });

      it('a failed append writes nothing', async () => {
        await store.append(stream(1), [ev()], 'no_stream');
        await expectWrongRevision(store.append(stream(1), [ev(), ev()], 7n), 0n);
        expect(await store.readStream(stream(1))).to.have.length(1);
      });

      it('unchanged streams: appended while each is where it was read, refused naming the one that moved', async () => {
        await store.append(stream('set'), [ev(), ev()], 'no_stream'); // revision 1
        const ok = await store.append(stream(1), [ev()], 'no_stream', { unchanged: [{ streamId: stream('set'), revision: 1n }, { streamId: stream('absent'), revision: -1n }] });
        expect(ok.nextExpectedRevision).to.equal(0n);
        await store.append(stream('set'), [ev()], 1n); // it moves on to 2
        for (const events of [[ev()], [ev(), ev()], []]) {
          try {
            await store.append(stream(1), events, 0n, { unchanged: [{ streamId: stream('absent'), revision: -1n }, { streamId: stream('set'), revision: 1n }] });
            expect.fail(`an append of ${events.length} should have been refused`);
          } catch (err) {
            expect(err).to.be.instanceOf(WrongExpectedRevisionError);
            expect(err).to.include({ streamId: stream('set'), expected: 1n, actual: 2n });
          }
        }
        await expectWrongRevision(store.append(stream(1), [ev()], 0n, { unchanged: [{ streamId: stream('absent'), revision: 0n }] }), undefined);
        expect(await store.readStream(stream(1)), 'nothing written when refused').to.have.length(1);
        // The stream's own expectation is checked first: a stale revision is about that stream.
        try {
          await store.append(stream(1), [ev()], 5n, { unchanged: [{ streamId: stream('set'), revision: 0n }] });
          expect.fail('stale');
        } catch (err) {
          expect(err).to.include({ streamId: stream(1), actual: 0n });
        }
        const again = await store.append(stream(1), [ev()], 0n, { unchanged: [{ streamId: stream('set'), revision: 2n }] });
        expect(again.nextExpectedRevision).to.equal(1n);
      });

      it('a retried write answers its first result though an unchanged stream has moved since', async () => {
        await store.append(stream('set'), [ev()], 'no_stream');
        const unchanged = [{ streamId: stream('set'), revision: 0n }];
        const exact = [ev()];
        const loose = [ev()];
        const first = await store.append(stream(1), exact, 'no_stream', { unchanged });
        const second = await store.append(stream(1), loose, 'any', { unchanged });
        await store.append(stream('set'), [ev()], 0n);
        expect(await store.append(stream(1), loose, 'any', { unchanged })).to.deep.equal(second);
        expect(await store.append(stream(1), exact, 'no_stream', { unchanged })).to.deep.equal(first);
        expect(await store.readStream(stream(1))).to.have.length(2);
      });

      it('positions grow with every append', async () => {
        const a = await store.append(stream(1), [ev()], 'no_stream');
        const b = await store.append(stream(2), [ev()], 'no_stream');
        const c = await store.append(stream(1), [ev()], 0n);
        expect(comparePositions(a.position, b.position)).to.equal(-1);
        expect(comparePositions(b.position, c.position)).to.equal(-1);
      });

      it('100 racing appends to one stream: each revision won exactly once, nothing lost', async () => {
        const racers = Array.from({ length: 100 }, (_, i) => ev('Raced', { racer: i }));
        let conflicts = 0;
        await Promise.all(
          racers.map(async (e) => {
            for (;;) {
              const tail = await store.readStream(stream('race'), { direction: 'backwards', maxCount: 1 });
              const expected = tail[0] ? tail[0].revision : 'no_stream';
              try {
                await store.append(stream('race'), [e], expected);
                return;
              } catch (err) {
                if (!(err instanceof WrongExpectedRevisionError)) throw err;
                conflicts++;
              }
            }
          }),
        );
        const read = await store.readStream(stream('race'));
        expect(read.map((e) => e.revision)).to.deep.equal(Array.from({ length: 100 }, (_, i) => BigInt(i)));
        expect(new Set(read.map((e) => e.eventId)).size).to.equal(100);
        expect(read.map((e) => e.eventId).sort()).to.deep.equal(racers.map((e) => e.eventId).sort());
        expect(conflicts, 'the race really raced').to.be.greaterThan(0);
        let prev = GENESIS;
        for (const e of read) {
          expect(e.hash, `link ${e.revision}`).to.equal(eventHash(prev, e));
          prev = e.hash!;
        }
      });
    });

    describe('reading a stream', () => {
      it('forwards and backwards, from a revision, with a count', async () => {
        await store.append(stream(1), Array.from({ length: 5 }, (_, i) => ev('E', { i })), 'no_stream');
        const fwd = await store.readStream(stream(1));
        expect(fwd.map((e) => e.data.i)).to.deep.equal([0, 1, 2, 3, 4]);
        expect(fwd.every((e) => e.streamId === stream(1) && e.metadata.userId === 'tester')).to.equal(true);
        const back = await store.readStream(stream(1), { direction: 'backwards' });
        expect(back.map((e) => e.data.i)).to.deep.equal([4, 3, 2, 1, 0]);
        const from2 = await store.readStream(stream(1), { fromRevision: 2n, maxCount: 2 });
        expect(from2.map((e) => e.revision)).to.deep.equal([2n, 3n]);
        const backFrom2 = await store.readStream(stream(1), { direction: 'backwards', fromRevision: 2n });
        expect(backFrom2.map((e) => e.revision)).to.deep.equal([2n, 1n, 0n]);
      });

      it('reads asked at once each get exactly their own stream, in revision order, and see what was appended before', async () => {
        await store.append(stream('long'), Array.from({ length: 12 }, (_, i) => ev('E', { i })), 'no_stream');
        await store.append(stream('short'), [ev('E', { i: 100 })], 'no_stream');
        const [long, short, missing, longAgain] = await Promise.all([
          store.readStream(stream('long')),
          store.readStream(stream('short')),
          store.readStream(stream('missing')),
          store.readStream(stream('long')),
        ]);
        expect(long!.map((e) => e.revision)).to.deep.equal(Array.from({ length: 12 }, (_, i) => BigInt(i)));
        expect(long!.map((e) => e.data.i)).to.deep.equal(Array.from({ length: 12 }, (_, i) => i));
        expect(longAgain).to.deep.equal(long);
        expect(longAgain).to.not.equal(long);
        expect(short!.map((e) => [e.streamId, e.data.i])).to.deep.equal([[stream('short'), 100]]);
        expect(missing).to.deep.equal([]);
        // A read asked after an append returned sees it, whatever else is read with it.
        await Promise.all(
          Array.from({ length: 10 }, async (_, k) => {
            await store.append(stream('short'), [ev('E', { i: 101 + k })], 'any');
            const after = await store.readStream(stream('short'));
            expect(after.map((e) => e.data.i)).to.include(101 + k);
          }),
        );
      });

      it('a missing stream reads as empty', async () => {
        expect(await store.readStream(stream('nothing'))).to.deep.equal([]);
      });

      it('keeps event ids, types, data and metadata as written', async () => {
        const e = { ...ev('Kept', { amount: '120000.00', n: 3 }), metadata: { userId: 'u-1', correlationId: 'c-1' } };
        await store.append(stream(1), [e], 'no_stream');
        const [r] = await store.readStream(stream(1));
        expect(r).to.include({ eventId: e.eventId, eventType: 'Kept' });
        expect(r!.data).to.deep.equal(e.data);
        expect(r!.metadata).to.deep.equal(e.metadata);
        expect(r!.created).to.be.instanceOf(Date);
      });
    });

    describe('reading all', () => {
      it('in global order, after an exclusive position, filtered by prefix and by type', async () => {
        await store.append(stream('a'), [ev('A1'), ev('B1')], 'no_stream');
        await store.append(stream('b'), [ev('A2')], 'no_stream');
        await store.append(stream('a'), [ev('B2')], 1n);
        const all = await store.readAll({ filter: { streamPrefixes: [prefix] } });
        expect(all.map((e) => e.eventType)).to.deep.equal(['A1', 'B1', 'A2', 'B2']);
        for (let i = 1; i < all.length; i++) {
          expect(comparePositions(all[i - 1]!.position, all[i]!.position)).to.equal(-1);
        }
        const after = await store.readAll({ after: all[1]!.position, filter: { streamPrefixes: [prefix] } });
        expect(after.map((e) => e.eventType)).to.deep.equal(['A2', 'B2']);
        const onlyB = await store.readAll({ filter: { streamPrefixes: [prefix], eventTypes: ['B1', 'B2'] } });
        expect(onlyB.map((e) => e.eventType)).to.deep.equal(['B1', 'B2']);
        // A type listed twice, in any order, and one of no event: each event once, in log order.
        const twice = await store.readAll({ filter: { streamPrefixes: [prefix], eventTypes: ['B2', 'A2', 'B2', 'None'] } });
        expect(twice.map((e) => e.eventType)).to.deep.equal(['A2', 'B2']);
        const limitedByType = await store.readAll({ filter: { streamPrefixes: [prefix], eventTypes: ['B2', 'A1', 'B1'] }, maxCount: 2 });
        expect(limitedByType.map((e) => e.eventType)).to.deep.equal(['A1', 'B1']);
        expect(await store.readAll({ filter: { streamPrefixes: [prefix], eventTypes: [] } })).to.deep.equal([]);
        // A type is data, whatever characters it holds (PostgreSQL puts the list in the statement's text).
        await store.append(stream('c'), [ev("Quote'd\\Type")], 'no_stream');
        const quoted = await store.readAll({ filter: { streamPrefixes: [prefix], eventTypes: ["Quote'd\\Type", "x' or 'a' = 'a"] } });
        expect(quoted.map((e) => e.eventType)).to.deep.equal(["Quote'd\\Type"]);
        const limited = await store.readAll({ filter: { streamPrefixes: [prefix] }, maxCount: 2 });
        expect(limited).to.have.length(2);
      });

      it('headPosition is the last event written', async () => {
        const r = await store.append(stream(1), [ev(), ev()], 'no_stream');
        expect(comparePositions(await store.headPosition(), r.position)).to.be.at.least(0);
      });
    });

    describe('subscribing to all', () => {
      it('catches up, then delivers live appends', async () => {
        await store.append(stream(1), [ev('E', { i: 0 }), ev('E', { i: 1 })], 'no_stream');
        const live = (async () => {
          await sleep(300);
          await store.append(stream(1), [ev('E', { i: 2 })], 1n);
          await sleep(100);
          await store.append(stream(2), [ev('E', { i: 3 })], 'no_stream');
        })();
        const { events } = await collect(store, { prefix, until: (s) => s.length >= 4 });
        await live;
        expect(events.map((e) => e.data.i)).to.deep.equal([0, 1, 2, 3]);
      });

      it('resuming from a checkpoint delivers exactly the events after it', async () => {
        for (let i = 0; i < 20; i++) await store.append(stream(i % 3), [ev('E', { i })], 'any');
        const first = await collect(store, { prefix, until: (s) => s.length >= 12 });
        const cut = first.events[11]!.position;
        const rest = await collect(store, { prefix, after: cut, until: (s) => s.length >= 8 });
        expect(rest.events.map((e) => e.data.i)).to.deep.equal([12, 13, 14, 15, 16, 17, 18, 19]);
        await store.append(stream('late'), [ev('E', { i: 20 })], 'no_stream');
        const again = await collect(store, { prefix, after: rest.events.at(-1)!.position, until: (s) => s.length >= 1 });
        expect(again.events.map((e) => e.data.i)).to.deep.equal([20]);
      });

      it('filters by event type and still advances its checkpoint', async () => {
        await store.append(stream(1), [ev('Wanted', { i: 1 }), ev('Other'), ev('Wanted', { i: 2 })], 'no_stream');
        const controller = new AbortController();
        const seen: RecordedEvent[] = [];
        for await (const b of store.subscribeToAll({
          filter: { eventTypes: ['Wanted'], streamPrefixes: [prefix] },
          signal: controller.signal,
        })) {
          seen.push(...b.events);
          if (seen.length >= 2) break;
        }
        expect(seen.map((e) => e.data.i)).to.deep.equal([1, 2]);
      });

      it('a slow transaction that commits after a faster one is still delivered (no gaps)', async function () {
        if (!h.realSlowCommit) this.skip(); // EventStoreDB: no client transaction can be held open
        // The naive design (order and checkpoint by an insert-time sequence) fails here: the
        // slow writer takes the lower sequence number but commits after the reader has passed
        // the faster writer's higher number.
        const slow = h.appendWithSlowCommit(stream('slow'), [ev('E', { w: 'slow' })], 1500);
        await sleep(200);
        await store.append(stream('fast'), [ev('E', { w: 'fast' })], 'no_stream');
        const seen = await collect(store, { prefix, until: (s) => s.length >= 2 });
        await slow;
        expect(seen.events.map((e) => e.data.w).sort()).to.deep.equal(['fast', 'slow']);
      });

      it('sees every event exactly once while many transactions commit out of order', async () => {
        const writers = 40;
        const perWriter = 5;
        const total = writers * perWriter;
        const reader = collect(store, { prefix, until: (s) => s.length >= total, timeoutMs: 40_000 });
        await Promise.all(
          Array.from({ length: writers }, async (_, w) => {
            for (let i = 0; i < perWriter; i++) {
              const e = ev('E', { w, i });
              // Random delays between insert and commit put commit order out of sequence order.
              if ((w + i) % 2 === 0) await h.appendWithSlowCommit(stream(w % 8), [e], Math.floor(Math.random() * 150));
              else {
                await sleep(Math.floor(Math.random() * 30));
                await store.append(stream(w % 8), [e], 'any');
              }
            }
          }),
        );
        const { events } = await reader;
        expect(events).to.have.length(total);
        expect(new Set(events.map((e) => e.eventId)).size).to.equal(total);
        expectStreamOrder(events);
        const all = await store.readAll({ filter: { streamPrefixes: [prefix] }, maxCount: total + 10 });
        expect(events.map((e) => e.eventId)).to.deep.equal(all.map((e) => e.eventId));
      });
    });
  });
}
