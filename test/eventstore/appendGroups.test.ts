import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { GENESIS, eventHash } from '../../src/eventstore/chain.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import {
  type AppendResult,
  DuplicateEventIdError,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type RecordedEvent,
  WrongExpectedRevisionError,
} from '../../src/eventstore/port.js';
import { type TestDatabase, freshDatabase } from '../support/postgres.js';

/**
 * Appends coalesced into one es_append_group call (db/callGroups.ts). With one call in
 * flight, appends made while a first one is under way wait and all go in the next call: they
 * share its transaction (position.commit), which shows they were grouped.
 */
const ev = (data: EventToAppend['data'] = {}): EventToAppend => ({ eventId: randomUUID(), eventType: 'Grouped', data, metadata: { userId: 'tester' } });

type Outcome = { ok: true; value: AppendResult } | { ok: false; error: unknown };
const outcome = (p: Promise<AppendResult>): Promise<Outcome> =>
  p.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );

function chainHolds(events: readonly RecordedEvent[]): boolean {
  let prev = GENESIS;
  return events.every((e, i) => {
    const ok = e.revision === BigInt(i) && e.hash === eventHash(prev, e);
    prev = e.hash ?? '';
    return ok;
  });
}

describe('PostgreSQL store: concurrent appends go together in one call', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let store: EventStore;
  let prefix: string;
  const stream = (n: string | number) => `${prefix}-${n}`;

  before(async () => {
    database = await freshDatabase('groups');
    store = createPostgresEventStore({ connection: database.url, appendGroups: { maxInFlight: 1 } });
  });
  after(async () => {
    await store?.close();
    await database?.drop();
  });
  beforeEach(() => {
    prefix = `g${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  });

  /** A first append occupies the one call; the given appends, made meanwhile, form the next group. */
  async function inOneGroup(appends: readonly [string, EventToAppend, ExpectedRevision][]): Promise<Outcome[]> {
    const first = store.append(stream('first'), [ev()], 'any');
    const rest = appends.map(([s, e, x]) => outcome(store.append(s, [e], x)));
    await first;
    return Promise.all(rest);
  }

  it('one wrong expected revision is refused, the others in its group are written', async () => {
    await store.append(stream('a'), [ev()], 'no_stream');
    const results = await inOneGroup([
      [stream('a'), ev(), 0n],
      [stream('b'), ev(), 'no_stream'],
      [stream('c'), ev(), 3n], // the stream does not exist
      [stream('d'), ev(), 'any'],
    ]);
    const [a, b, c, d] = results;
    expect(c!.ok).to.equal(false);
    expect((c as { error: unknown }).error).to.be.instanceOf(WrongExpectedRevisionError);
    expect(((c as { error: WrongExpectedRevisionError }).error).actual).to.equal(undefined);
    const written = [a, b, d].map((r) => (r as { ok: true; value: AppendResult }).value);
    expect(written.map((w) => w.nextExpectedRevision)).to.deep.equal([1n, 0n, 0n]);
    expect(new Set(written.map((w) => w.position.commit)).size, 'one transaction: grouped').to.equal(1);
    expect(await store.readStream(stream('c'))).to.deep.equal([]);
    for (const s of ['a', 'b', 'd']) expect(chainHolds(await store.readStream(stream(s))), s).to.equal(true);
  });

  it("each append's unchanged streams are checked in the group: a stream moved earlier in the same group refuses only its dependants", async () => {
    await store.append(stream('set'), [ev()], 'no_stream');
    const first = store.append(stream('first'), [ev()], 'any');
    const pending = [
      outcome(store.append(stream('a'), [ev()], 'no_stream', { unchanged: [{ streamId: stream('set'), revision: 0n }] })),
      outcome(store.append(stream('set'), [ev()], 0n)), // moves the set within the group
      outcome(store.append(stream('b'), [ev()], 'no_stream', { unchanged: [{ streamId: stream('set'), revision: 0n }] })),
      outcome(store.append(stream('c'), [ev()], 'no_stream', { unchanged: [{ streamId: stream('set'), revision: 1n }, { streamId: stream('none'), revision: -1n }] })),
    ];
    await first;
    const [a, set, b, c] = await Promise.all(pending);
    expect([a!.ok, set!.ok, b!.ok, c!.ok]).to.deep.equal([true, true, false, true]);
    expect((b as { error: unknown }).error).to.be.instanceOf(WrongExpectedRevisionError);
    expect((b as { error: WrongExpectedRevisionError }).error).to.include({ streamId: stream('set'), expected: 0n, actual: 1n });
    const commits = [a, set, c].map((r) => (r as { value: AppendResult }).value.position.commit);
    expect(new Set(commits).size, 'one transaction: grouped').to.equal(1);
    expect(await store.readStream(stream('b'))).to.deep.equal([]);
  });

  it('appends of one stream in one group run in arrival order and chain one after the other', async () => {
    const events = [ev({ i: 0 }), ev({ i: 1 }), ev({ i: 2 }), ev({ i: 3 })];
    const results = await inOneGroup([
      [stream('s'), events[0]!, 'no_stream'],
      [stream('other'), ev(), 'no_stream'],
      [stream('s'), events[1]!, 0n],
      [stream('s'), events[2]!, 0n], // stale: the previous append took revision 1
      [stream('s'), events[3]!, 'any'],
    ]);
    expect(results.map((r) => r.ok)).to.deep.equal([true, true, true, false, true]);
    expect(((results[3] as { error: WrongExpectedRevisionError }).error).actual).to.equal(1n);
    const read = await store.readStream(stream('s'));
    expect(read.map((e) => e.eventId)).to.deep.equal([events[0]!.eventId, events[1]!.eventId, events[3]!.eventId]);
    expect(chainHolds(read)).to.equal(true);
    const commits = results.filter((r) => r.ok).map((r) => (r as { value: AppendResult }).value.position.commit);
    expect(new Set(commits).size, 'one transaction: grouped').to.equal(1);
  });

  it('a repeated append in a group answers the first result; a reused id elsewhere is a duplicate', async () => {
    const write = ev();
    const stored = ev();
    await store.append(stream('x'), [stored], 'no_stream');
    const [first, again, reused, fine] = await inOneGroup([
      [stream('r'), write, 'no_stream'],
      [stream('r'), write, 'no_stream'],
      [stream('y'), stored, 'any'],
      [stream('z'), ev(), 'any'],
    ]);
    expect(first!.ok && again!.ok).to.equal(true);
    expect((again as { value: AppendResult }).value).to.deep.equal((first as { value: AppendResult }).value);
    expect((reused as { error: unknown }).error).to.be.instanceOf(DuplicateEventIdError);
    expect(fine!.ok).to.equal(true);
    expect(await store.readStream(stream('r'))).to.have.length(1);
    expect(await store.readStream(stream('y'))).to.deep.equal([]);
  });

  it('an append the database refuses fails alone: the rest of its group is written', async () => {
    // jsonb refuses \u0000 in text: the group call fails, each append is sent again alone.
    const [good1, bad, good2] = await inOneGroup([
      [stream('p'), ev(), 'no_stream'],
      [stream('q'), ev({ text: 'a\u0000b' }), 'no_stream'],
      [stream('r'), ev(), 'no_stream'],
    ]);
    expect(good1!.ok && good2!.ok).to.equal(true);
    expect(bad!.ok).to.equal(false);
    expect((bad as { error: { code?: string } }).error.code).to.equal('22P05');
    expect(await store.readStream(stream('p'))).to.have.length(1);
    expect(await store.readStream(stream('q'))).to.deep.equal([]);
  });

  it('groups of two stores over shared streams, beside lone appends: no deadlock, every stream in revision order in the log', async () => {
    const other = createPostgresEventStore({ connection: database.url, appendGroups: { maxInFlight: 1 } });
    const alone = createPostgresEventStore({ connection: database.url, appendGroups: false });
    try {
      const streams = Array.from({ length: 6 }, (_, i) => stream(i));
      // Writers of each store take the streams in opposite orders, so their groups lock them so too.
      const writer = (s: EventStore, order: readonly string[]) => async () => {
        for (let round = 0; round < 15; round++) for (const id of order) await s.append(id, [ev({ round })], 'any');
      };
      await Promise.all([
        ...Array.from({ length: 4 }, (_, w) => writer(store, w % 2 ? streams : [...streams].reverse())()),
        ...Array.from({ length: 4 }, (_, w) => writer(other, w % 2 ? [...streams].reverse() : streams)()),
        writer(alone, streams)(),
      ]);
      const log = (await store.readAll({ maxCount: 10_000 })).filter((e) => e.streamId.startsWith(`${prefix}-`));
      expect(log).to.have.length(6 * 15 * 9);
      const last = new Map<string, bigint>();
      for (const e of log) {
        expect(e.revision, `${e.streamId} in revision order in the log`).to.equal((last.get(e.streamId) ?? -1n) + 1n);
        last.set(e.streamId, e.revision);
      }
      for (const s of streams) expect(chainHolds(await store.readStream(s)), s).to.equal(true);
    } finally {
      await other.close();
      await alone.close();
    }
  });
});
