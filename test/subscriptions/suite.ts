import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { type EventStore, comparePositions } from '../../src/eventstore/port.js';
import { createLogger } from '../../src/shared/logger.js';
import { moveCheckpoint, CheckpointMovedError, loadCheckpoint } from '../../src/subscriptions/checkpoints.js';
import type { Subscriber } from '../../src/subscriptions/consume.js';
import { type Leases, createLeases } from '../../src/subscriptions/leases.js';
import { type RunningSubscription, startSubscription } from '../../src/subscriptions/subscription.js';
import { watchCheckpoints } from '../../src/subscriptions/watch.js';
import { type TestDatabase, freshDatabase } from '../support/postgres.js';

/**
 * The subscription mechanism's own suite (src/subscriptions), written once and run against
 * every event store: the read models, checkpoints and leases are always in PostgreSQL.
 */
export function subscriptionSuite(storeName: string, makeStore: (database: TestDatabase) => Promise<EventStore>): void {
  describe(`subscriptions (${storeName})`, function () {
    this.timeout(60_000);
    const log = createLogger('silent');
    let database: TestDatabase;
    let store: EventStore;
    const stops: (() => Promise<void>)[] = [];
    const type = `SubTest${randomUUID().slice(0, 8)}`;

    beforeEach(async () => {
      database = await freshDatabase('subs');
      await database.db.schema.createTable('sub_effects', (t) => {
        t.text('event_id').primary(); // a second effect of one event fails the batch
        t.bigIncrements('seq');
        t.text('applied_by').notNullable();
      });
      store = await makeStore(database);
    });
    afterEach(async () => {
      for (const stop of stops.splice(0).reverse()) await stop();
      await store.close();
      await database.drop();
    });

    const append = async (stream: string, n: number) => {
      for (let i = 0; i < n; i++) {
        await store.append(stream, [{ eventId: randomUUID(), eventType: type, data: { i }, metadata: {} }], 'any');
      }
    };
    /** Writes one row per event in the same transaction as the checkpoint. */
    const recorder = (by: string, name = 'sub-test', fail?: () => boolean): Subscriber => ({
      name,
      version: 1,
      eventTypes: [type],
      handle: (events, commit) =>
        database.db.transaction(async (trx) => {
          if (fail?.()) throw new Error('handler refuses this batch');
          await trx('sub_effects').insert(events.map((e) => ({ event_id: e.eventId, applied_by: by })));
          await commit(trx);
        }),
    });
    const leasesFor = (holder: string, ttlMs = 1_500): Leases => {
      const leases = createLeases(database.db, log, { ttlMs, tickMs: 200, holder });
      stops.push(() => leases.stop());
      return leases;
    };
    const run = (sub: Subscriber, leases?: Leases): RunningSubscription => {
      const s = startSubscription(sub, { store, db: database.db, log, batchSize: 7, backoff: { initialMs: 50, maxMs: 5_000 }, ...(leases ? { leases } : {}) });
      stops.push(() => s.stop());
      return s;
    };
    const effects = async () => (await database.db('sub_effects').orderBy('seq').select('event_id', 'applied_by')) as { event_id: string; applied_by: string }[];
    const until = async (what: string, check: () => Promise<boolean> | boolean, ms = 15_000) => {
      const deadline = Date.now() + ms;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    const logOrder = async () => (await store.readAll({ filter: { eventTypes: [type] }, maxCount: 10_000 })).map((e) => e.eventId);

    it('applies every event once, in log order, and resumes from its checkpoint after a stop', async () => {
      await append('sub-a', 20);
      const first = run(recorder('one'));
      await until('20 effects', async () => (await effects()).length === 20);
      await first.stop();
      await append('sub-b', 15);
      run(recorder('two'));
      await until('35 effects', async () => (await effects()).length === 35);
      expect((await effects()).map((e) => e.event_id)).to.deep.equal(await logOrder());
      expect((await effects()).slice(20).every((e) => e.applied_by === 'two')).to.equal(true);
    });

    it('waitFor resolves once the position is handled, and times out when it is not', async () => {
      const sub = run(recorder('one'));
      await append('sub-w', 3);
      const head = await store.headPosition();
      expect(await sub.waitFor(head, 10_000)).to.equal('reached');
      expect(sub.status().checkpoint.commit >= head.commit).to.equal(true);
      const never = { commit: head.commit + 1_000_000n, prepare: 0n };
      expect(await sub.waitFor(never, 100)).to.equal('timeout');
    });

    it('reports a failing batch, retries it with backoff, and still stops at once', async () => {
      let failing = true;
      const sub = run(recorder('one', 'sub-test', () => failing));
      await append('sub-f', 3);
      await until('an error in status', () => sub.status().error !== undefined);
      expect(sub.status().error).to.match(/handler refuses this batch \(handling events? /);
      expect(await effects()).to.have.length(0);
      failing = false;
      await until('3 effects after the failure cleared', async () => (await effects()).length === 3);
      expect(sub.status().error).to.equal(undefined);

      failing = true;
      await append('sub-f', 1);
      await until('failing again', () => sub.status().error !== undefined);
      await new Promise((r) => setTimeout(r, 1_500)); // backoff has grown past a second
      const started = Date.now();
      await sub.stop();
      expect(Date.now() - started, 'stop cuts the backoff short').to.be.below(1_000);
    });

    it('sets aside an event it cannot handle after retries, and goes on with the rest in order', async () => {
      await append('sub-p', 10);
      const poison = (await logOrder())[4]!;
      const sub: Subscriber = {
        ...recorder('one'),
        deadLetters: true,
        handle: (events, commit) =>
          database.db.transaction(async (trx) => {
            if (events.some((e) => e.eventId === poison)) throw new Error('cannot project this one');
            await trx('sub_effects').insert(events.map((e) => ({ event_id: e.eventId, applied_by: 'one' })));
            await commit(trx);
          }),
      };
      const running = run(sub);
      await until('the 9 good events', async () => (await effects()).length === 9);
      const parked = await database.db('subscription_dead_letters').select();
      expect(parked).to.have.length(1);
      expect(parked[0]).to.include({ subscription: 'sub-test', event_id: poison, stream_id: 'sub-p', event_type: type });
      expect(parked[0].error).to.contain('cannot project this one');
      expect((await effects()).map((e) => e.event_id)).to.deep.equal((await logOrder()).filter((id) => id !== poison));
      expect(running.status().deadLettered).to.equal(1);
      await append('sub-p', 2);
      await until('later events too', async () => (await effects()).length === 11);
    });

    it('a batch that changes nothing leaves the stored checkpoint to the idle rule, and a later bad event is still the one set aside', async () => {
      const stored = async () => (await database.db('projection_checkpoints').where({ name: 'sub-test' }).first()) as { position_commit: string; position_prepare: string };
      await append('sub-u', 3);
      const ids = await logOrder();
      let bad: string | undefined;
      const sub: Subscriber = {
        ...recorder('u'),
        deadLetters: true,
        handle: async (events, commit) => {
          if (events.some((e) => e.eventId === bad)) throw new Error('cannot project this one');
          const effective = events.filter((e) => ids.includes(e.eventId) || (e.payload as { i: number }).i > 0);
          if (effective.length === 0) return 'unchanged';
          await database.db.transaction(async (trx) => {
            await trx('sub_effects').insert(effective.map((e) => ({ event_id: e.eventId, applied_by: 'u' })));
            await commit(trx);
          });
        },
      };
      // Written down at most once a minute here: the test sees what the batches alone write.
      const running = startSubscription(sub, { store, db: database.db, log, batchSize: 7, backoff: { initialMs: 50, maxMs: 5_000 }, idleCheckpointMs: 60_000 });
      stops.push(() => running.stop());
      await until('the first three', async () => (await effects()).length === 3);
      const afterEffects = await stored();
      // Four events with i = 0: no effect, and the stored checkpoint stays; waitFor answers from memory.
      for (let n = 0; n < 4; n++) await store.append('sub-u2', [{ eventId: randomUUID(), eventType: type, data: { i: 0 }, metadata: {} }], 'any');
      expect(await running.waitFor(await store.headPosition(), 5_000)).to.equal('reached');
      expect(await stored()).to.deep.equal(afterEffects);
      // Then a bad event and two good ones: the bad one is set aside, not one of the four before it.
      bad = randomUUID();
      for (const eventId of [bad, randomUUID(), randomUUID()]) await store.append('sub-u3', [{ eventId, eventType: type, data: { i: 1 }, metadata: {} }], 'any');
      await until('the two after it', async () => (await effects()).length === 5);
      const parked = await database.db('subscription_dead_letters').select('event_id');
      expect(parked.map((r: { event_id: string }) => r.event_id)).to.deep.equal([bad]);
    });

    it('writes down a checkpoint that batches which changed nothing left in memory, with no batch after them', async () => {
      // The first event has an effect (its checkpoint is written then); those after it have none.
      await append('sub-q', 1);
      const [first] = await logOrder();
      const quiet: Subscriber = {
        ...recorder('q'),
        handle: async (events, commit) => {
          if (!events.some((e) => e.eventId === first)) return 'unchanged';
          await database.db.transaction(async (trx) => {
            await trx('sub_effects').insert({ event_id: first, applied_by: 'q' });
            await commit(trx);
          });
        },
      };
      const running = startSubscription(quiet, { store, db: database.db, log, batchSize: 7, idleCheckpointMs: 3_000 });
      stops.push(() => running.stop());
      await until('the first', async () => (await effects()).length === 1);
      const written = await loadCheckpoint(database.db, 'sub-test', 1);
      await append('sub-q', 3);
      const head = await store.headPosition();
      expect(await running.waitFor(head, 2_000)).to.equal('reached');
      // Nothing else commits on this database, and no batch comes after: only the timer stores it.
      expect((await loadCheckpoint(database.db, 'sub-test', 1)).position).to.deep.equal(written.position);
      await until('the stored checkpoint at the head', async () => comparePositions((await loadCheckpoint(database.db, 'sub-test', 1)).position, head) >= 0, 8_000);
    });

    it('never sets an event aside for a subscriber that did not ask for it (the outbound)', async () => {
      await append('sub-n', 3);
      const running = run(recorder('one', 'sub-test', () => true));
      await until('several failures', () => running.status().error !== undefined);
      await new Promise((r) => setTimeout(r, 2_500));
      expect(await database.db('subscription_dead_letters').select()).to.have.length(0);
      expect(running.status().checkpoint).to.deep.equal({ commit: 0n, prepare: 0n });
    });

    it('runs on one instance at a time; a stop hands over at once and nothing is applied twice', async () => {
      const a = run(recorder('a'), leasesFor('instance-a'));
      await until('a runs it', () => a.status().running);
      const b = run(recorder('b'), leasesFor('instance-b'));
      await append('sub-l', 25);
      await until('25 effects', async () => (await effects()).length === 25);
      expect(b.status().running).to.equal(false);
      expect(new Set((await effects()).map((e) => e.applied_by))).to.deep.equal(new Set(['a']));

      const stopped = Date.now();
      await a.stop();
      await until('b runs it', () => b.status().running, 5_000);
      expect(Date.now() - stopped, 'a released its lease: no waiting for it to expire').to.be.below(1_000);
      await append('sub-l', 10);
      await until('35 effects', async () => (await effects()).length === 35);
      expect((await effects()).slice(25).every((e) => e.applied_by === 'b')).to.equal(true);
      expect((await effects()).map((e) => e.event_id)).to.deep.equal(await logOrder());
    });

    it('a holder that keeps failing hands over to an instance that can do the work', async () => {
      const a = run(recorder('a', 'sub-test', () => true), leasesFor('instance-a'));
      await until('a runs it', () => a.status().running);
      const b = run(recorder('b'), leasesFor('instance-b'));
      await append('sub-y', 4);
      await until('b took over and applied all 4', async () => (await effects()).length === 4, 20_000);
      expect(new Set((await effects()).map((e) => e.applied_by))).to.deep.equal(new Set(['b']));
      expect(b.status().running).to.equal(true);
    });

    it('an instance that does not run it answers read-your-writes for positions it has moved past, within about a second', async () => {
      const a = run(recorder('a'), leasesFor('instance-a'));
      await until('a runs it', () => a.status().running);
      const b = run(recorder('b'), leasesFor('instance-b'));
      const watch = watchCheckpoints(database.db, [b]);
      stops.push(() => watch.stop());
      // An event of another type: the subscriber moves past it without a batch to handle.
      await store.append('sub-other', [{ eventId: randomUUID(), eventType: `${type}Other`, data: {}, metadata: {} }], 'any');
      const position = await store.headPosition();
      const started = Date.now();
      expect(await b.waitFor(position, 4_000)).to.equal('reached');
      expect(Date.now() - started).to.be.below(2_500);
      expect(b.status().running).to.equal(false);
    });

    it('takes over from a holder that went silent once its lease runs out', async () => {
      // A holder that died without a word: its lease row stays until it expires.
      await database.db('subscription_leases').insert({
        name: 'sub-test',
        holder: 'dead-instance',
        term: 7,
        acquired_at: database.db.fn.now(),
        expires_at: database.db.raw(`clock_timestamp() + interval '1200 milliseconds'`),
      });
      await append('sub-d', 5);
      const started = Date.now();
      const b = run(recorder('b'), leasesFor('instance-b'));
      await new Promise((r) => setTimeout(r, 500));
      expect(b.status().running, 'not while the lease lasts').to.equal(false);
      await until('b runs it', () => b.status().running, 5_000);
      expect(Date.now() - started).to.be.within(900, 3_000);
      await until('5 effects', async () => (await effects()).length === 5);
      const lease = await database.db('subscription_leases').where({ name: 'sub-test' }).first();
      expect(lease.holder).to.equal('instance-b');
      expect(Number(lease.term)).to.equal(8);
    });

    it('refuses a checkpoint move from a holder whose lease has ended (fencing)', async () => {
      const leases = leasesFor('instance-a');
      const lease = (await leases.acquire('fenced', new AbortController().signal))!;
      await database.db('projection_checkpoints').insert({ name: 'fenced', version: 1, position_commit: '0', position_prepare: '0' });
      const to = { commit: 1n, prepare: 1n };
      const from = { commit: 0n, prepare: 0n };
      // Expired in the database (the instance stalled past it), before it noticed.
      await database.db('subscription_leases').where({ name: 'fenced' }).update({ expires_at: database.db.raw(`clock_timestamp() - interval '1 second'`) });
      let refused: unknown;
      await moveCheckpoint(database.db, { name: 'fenced', version: 1, from, to, fence: lease.fence }).catch((e: unknown) => (refused = e));
      expect(refused).to.be.instanceOf(CheckpointMovedError);
      const row = await database.db('projection_checkpoints').where({ name: 'fenced' }).first();
      expect(row.position_commit).to.equal('0');
      await until('the keeper notices', () => lease.lost.aborted, 3_000);
    });

    it('serves a subscription that asks again for a lease that lapsed here while the database renewed it late', async () => {
      // A renewal that waits (a restart, a lock) runs late: the database then keeps the lease
      // longer than this instance counts. The subscription stops at its own deadline and asks
      // again; the lease must come back to it, not be renewed for ever with nobody running it.
      const leases = leasesFor('instance-a', 2_000);
      const lease = (await leases.acquire('late', new AbortController().signal))!;
      const rowLock = async () => {
        const trx = await database.db.transaction();
        const locked = trx('subscription_leases').where({ name: 'late' }).forUpdate().select();
        return { trx, locked };
      };
      const first = await rowLock();
      await first.locked;
      await new Promise((r) => setTimeout(r, 1_400)); // a renewal waits behind the lock
      const second = await rowLock(); // queued behind that renewal: the next one waits again
      await first.trx.commit();
      await second.locked;
      await until('the lease lapses here', () => !lease.valid(), 5_000);
      const again = leases.acquire('late', new AbortController().signal);
      await second.trx.commit(); // the database renews it: it has not run out there
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 3_000));
      const got = await Promise.race([again, timeout]);
      expect(got, 'the lease came back').to.not.equal('timeout');
      expect((got as Exclude<typeof got, 'timeout'>)?.valid()).to.equal(true);
      expect(lease.lost.aborted, 'the lapsed lease is over for its old user').to.equal(true);
      const row = await database.db('subscription_leases').where({ name: 'late' }).first();
      expect(row.holder).to.equal('instance-a');
    });
  });
}
