import { expect } from 'chai';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import type { EventToAppend } from '../../src/eventstore/port.js';
import { freshDatabase } from '../support/postgres.js';

const ev = (): EventToAppend => ({ eventId: randomUUID(), eventType: 'Tested', data: {}, metadata: { userId: 'tester' } });

describe('PostgreSQL store: live subscriptions wake up', () => {
  it('an append made while the subscriber handles its last batch is read without waiting for a poll', async () => {
    const database = await freshDatabase('wakeup');
    // No poll within the test: only a wake-up can deliver the second event.
    const store = createPostgresEventStore({ connection: database.url, pollMs: 600_000 });
    const prefix = `wake${randomUUID().slice(0, 8)}-`;
    const controller = new AbortController();
    try {
      await store.append(`${prefix}s`, [ev()], 'no_stream');
      const seen: string[] = [];
      for await (const batch of store.subscribeToAll({ filter: { streamPrefixes: [prefix] }, signal: controller.signal })) {
        seen.push(...batch.events.map((e) => e.eventId));
        if (seen.length === 1 && batch.events.length === 1) {
          // Still "handling" the first batch: the append's wake-ups (in process, and the NOTIFY
          // that follows) come before the subscriber waits again.
          await store.append(`${prefix}s`, [ev()], 0n);
          await new Promise((r) => setTimeout(r, 300));
        }
        if (seen.length === 2) break;
      }
      expect(seen).to.have.length(2);
    } finally {
      controller.abort();
      await store.close();
      await database.drop();
    }
  });

  it("another instance's append wakes a caught-up subscriber through NOTIFY, without waiting for a poll", async () => {
    const database = await freshDatabase('wakeup');
    // No poll within the test (mocha's timeout ends it): only the NOTIFY can deliver the second event.
    const reader = createPostgresEventStore({ connection: database.url, pollMs: 600_000 });
    const writer = createPostgresEventStore({ connection: database.url, pollMs: 600_000 }); // another process's store
    const prefix = `wake${randomUUID().slice(0, 8)}-`;
    const controller = new AbortController();
    try {
      await writer.append(`${prefix}s`, [ev()], 'no_stream');
      const seen: string[] = [];
      for await (const batch of reader.subscribeToAll({ filter: { streamPrefixes: [prefix] }, signal: controller.signal })) {
        seen.push(...batch.events.map((e) => e.eventId));
        if (seen.length === 1 && batch.events.length === 1) setTimeout(() => void writer.append(`${prefix}s`, [ev()], 0n), 200);
        if (seen.length === 2) break;
      }
      expect(seen).to.have.length(2);
    } finally {
      controller.abort();
      await reader.close();
      await writer.close();
      await database.drop();
    }
  });

  it('an append read while an older transaction held the horizon is read once that one commits, which wakes nobody', async () => {
    const database = await freshDatabase('wakeupheld');
    // No poll within the test, and the other transaction commits without NOTIFY: before, the
    // subscriber saw the append's wake-ups only while it was still held, and waited for a poll.
    const store = createPostgresEventStore({ connection: database.url, pollMs: 600_000 });
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    const prefix = `held${randomUUID().slice(0, 8)}-`;
    const controller = new AbortController();
    try {
      await store.append(`${prefix}s`, [ev()], 'no_stream');
      const seen: string[] = [];
      for await (const batch of store.subscribeToAll({ filter: { streamPrefixes: [prefix] }, signal: controller.signal })) {
        seen.push(...batch.events.map((e) => e.eventId));
        if (seen.length === 1 && batch.events.length === 1) {
          // An older transaction with an id (a projection's, say) is open while the append commits.
          await blocker.query('begin');
          await blocker.query('select pg_current_xact_id()');
          await store.append(`${prefix}s`, [ev()], 0n);
          // The append's own wake-up finds the horizon held (its NOTIFY's echo is ignored).
          setTimeout(() => void blocker.query('commit'), 150);
        }
        if (seen.length === 2) break;
      }
      expect(seen).to.have.length(2);
    } finally {
      controller.abort();
      await blocker.end();
      await store.close();
      await database.drop();
    }
  });
});
