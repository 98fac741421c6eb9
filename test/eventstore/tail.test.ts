import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { type Position, type RecordedEvent, START, comparePositions } from '../../src/eventstore/port.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { createTail } from '../../src/eventstore/postgres/tail.js';
import { PACE_MAX_MS, PACE_MIN_MS, loopPacer, paceFor } from '../../src/eventstore/postgres/tailPace.js';
import { freshDatabase } from '../support/postgres.js';

/** The shared head of the log that caught-up subscriptions read from (issue 14). */
describe('PostgreSQL store: the shared tail of live subscriptions', () => {
  const event = (n: number, type = n % 2 ? 'Odd' : 'Even', stream = `s-${n % 3}`): RecordedEvent => ({
    streamId: stream,
    revision: BigInt(n),
    position: { commit: BigInt(n), prepare: BigInt(n) },
    eventId: randomUUID(),
    eventType: type,
    data: { n },
    metadata: {},
    created: new Date(),
  });

  /** A log in memory read as the store reads it: everything after `after`, up to `maxCount`, with the head as horizon. */
  function fakeLog() {
    const log: RecordedEvent[] = [];
    let reads = 0;
    const read = async (after: Position, maxCount: number) => {
      reads++;
      await new Promise((r) => setTimeout(r, 1));
      const events = log.filter((e) => comparePositions(e.position, after) > 0).slice(0, maxCount);
      const head = log.at(-1)?.position ?? START;
      return { events, horizon: head };
    };
    return { log, read, reads: () => reads };
  }

  it('answers as a filtered read would, and one read serves every page asked since the same wake-up', async () => {
    const f = fakeLog();
    const tail = createTail(f.read, { chunk: 4 });
    await tail.page(START, 10, undefined, performance.now());
    for (let n = 1; n <= 10; n++) f.log.push(event(n));
    const since = performance.now();
    const before = f.reads();
    const [odd, fromThree, streams] = await Promise.all([
      tail.page(START, 100, { eventTypes: ['Odd'] }, since),
      tail.page({ commit: 3n, prepare: 3n }, 2, undefined, since),
      tail.page(START, 100, { streamPrefixes: ['s-0'] }, since),
    ]);
    // Ten events in chunks of four: three reads, shared by the three pages.
    expect(f.reads() - before).to.equal(3);
    expect(odd!.events.map((e) => e.data.n)).to.deep.equal([1, 3, 5, 7, 9]);
    expect(fromThree!.events.map((e) => e.data.n)).to.deep.equal([4, 5]);
    expect(streams!.events.map((e) => e.data.n)).to.deep.equal([3, 6, 9]);
    expect(odd!.horizon).to.deep.equal({ commit: 10n, prepare: 10n });
  });

  it('reads again for a page asked after a newer wake-up: an event appended before it is in the page', async () => {
    const f = fakeLog();
    const tail = createTail(f.read);
    await tail.page(START, 10, undefined, performance.now());
    f.log.push(event(1));
    expect((await tail.page(START, 10, undefined, performance.now()))!.events).to.have.length(1);
    f.log.push(event(2));
    // The same instant as before: no new read, so the page is as of then.
    const reads = f.reads();
    const stale = await tail.page(START, 10, undefined, 0);
    expect(f.reads()).to.equal(reads);
    expect(stale!.events).to.have.length(1);
    expect((await tail.page(START, 10, undefined, performance.now()))!.events).to.have.length(2);
  });

  it('sends a subscription left behind the window back to the database', async () => {
    const f = fakeLog();
    const tail = createTail(f.read, { capacity: 5, chunk: 3 });
    await tail.page(START, 10, undefined, performance.now());
    for (let n = 1; n <= 12; n++) f.log.push(event(n));
    const page = await tail.page({ commit: 8n, prepare: 8n }, 10, undefined, performance.now());
    expect(page!.events.map((e) => e.data.n)).to.deep.equal([9, 10, 11, 12]);
    // Events 1..7 left the window: a reader at 2 must read them itself.
    expect(await tail.page({ commit: 2n, prepare: 2n }, 10, undefined, performance.now())).to.equal(undefined);
  });

  it('starts reads at most once per pace: wake-ups within it share the next read', async () => {
    const f = fakeLog();
    const pace = 40;
    const tail = createTail(f.read, { pace: () => pace });
    await tail.page(START, 10, undefined, performance.now());
    const before = f.reads();
    const started = performance.now();
    // A wake-up every 2 ms for 200 ms, each asking for a page as of its instant.
    const pages: Promise<unknown>[] = [];
    for (let n = 1; n <= 100; n++) {
      f.log.push(event(n));
      pages.push(tail.page(START, 1_000, undefined, performance.now()));
      await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(pages);
    const elapsed = performance.now() - started;
    // Read every 2 ms this would be some 100 reads (a timer may fire up to 1 ms early).
    expect(f.reads() - before).to.be.at.most(Math.ceil(elapsed / (pace - 1)) + 1);
    // And nothing appended before its wake-up is missing from the last page.
    expect(((await pages.at(-1)) as { events: unknown[] }).events).to.have.length(100);
  });

  it('paces by how busy the event loop is: 2 ms when calm, up to 50 ms when saturated', async () => {
    expect(paceFor(0)).to.equal(PACE_MIN_MS);
    expect(paceFor(0.5)).to.equal(PACE_MIN_MS);
    expect(paceFor(0.7)).to.be.within(PACE_MIN_MS + 1, PACE_MAX_MS - 1);
    expect(paceFor(1)).to.equal(PACE_MAX_MS);
    expect(paceFor(Number.NaN)).to.equal(PACE_MIN_MS);
    const pacer = loopPacer();
    // A thread kept busy for 150 ms...
    for (const until = performance.now() + 150; performance.now() < until; );
    expect(pacer()).to.be.at.least(PACE_MAX_MS - 2);
    // ...then left idle for 200 ms: back near the minimum. Not exactly at it: on a loaded machine
    // (CI on two cores) other handles of this process run meanwhile, and a callback the OS
    // deschedules counts as busy for as long (a run measured a utilisation of 0.54 here).
    await new Promise((r) => setTimeout(r, 200));
    expect(pacer()).to.be.at.most(paceFor(0.6));
  });

  it('the store reads with the pace it is given, and reports it for /metrics', async () => {
    const database = await freshDatabase('tail_pace');
    const store = createPostgresEventStore({ connection: database.url, tailPace: () => 7 });
    try {
      expect(store.tailPause()).to.equal(7);
    } finally {
      await store.close();
      await database.drop();
    }
  });

  it('many live filtered subscriptions on the real store each get exactly their events, in order, once', async function () {
    this.timeout(60_000);
    const database = await freshDatabase('tail');
    const store = createPostgresEventStore({ connection: database.url, pollMs: 50 });
    try {
      const types = ['A', 'B', 'C'];
      const filters = [{ eventTypes: ['A'] }, { eventTypes: ['B', 'C'] }, { streamPrefixes: ['x-1'] }, {}, { eventTypes: ['C'], streamPrefixes: ['x-2'] }];
      const controller = new AbortController();
      const seen = filters.map(() => [] as RecordedEvent[]);
      const running = filters.map(async (filter, i) => {
        for await (const batch of store.subscribeToAll({ filter, batchSize: 7, signal: controller.signal })) seen[i]!.push(...batch.events);
      });
      const total = 300;
      await Promise.all(
        Array.from({ length: 10 }, async (_, w) => {
          for (let k = w; k < total; k += 10) {
            await store.append(`x-${k % 4}`, [{ eventId: randomUUID(), eventType: types[k % 3]!, data: { k }, metadata: {} }], 'any');
          }
        }),
      );
      const all = await store.readAll({ maxCount: 10_000 });
      const expected = filters.map((f) =>
        all.filter((e) => (!f.eventTypes || f.eventTypes.includes(e.eventType)) && (!f.streamPrefixes || f.streamPrefixes.some((p) => e.streamId.startsWith(p)))),
      );
      const deadline = Date.now() + 20_000;
      while (seen.some((s, i) => s.length < expected[i]!.length) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      controller.abort();
      await Promise.all(running);
      seen.forEach((s, i) => expect(s.map((e) => e.eventId), `subscription ${i}`).to.deep.equal(expected[i]!.map((e) => e.eventId)));
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
