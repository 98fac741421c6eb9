import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { EventStore } from '../../src/eventstore/port.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { type TestDatabase, freshDatabase } from '../support/postgres.js';
import { runReplay } from '../support/replay.js';

/** npm run replay -- verify / head-digest, as an auditor runs them, against a log tampered with by SQL. */
describe('npm run replay -- verify, head-digest', function () {
  this.timeout(120_000);
  let database: TestDatabase;
  let store: EventStore;
  const stream = (id: string) => `opportunity-tenant-h:${id}`;

  const replay = (...args: string[]) => runReplay(database.url, ...args);

  before(async () => {
    database = await freshDatabase('replayverify');
    store = createPostgresEventStore({ connection: database.url });
    for (const id of ['H-1', 'H-2']) {
      const events = [0, 1, 2].map((i) => ({ eventId: randomUUID(), eventType: 'E', data: { i }, metadata: { userId: 'u' } }));
      await store.append(stream(id), events, 'no_stream');
    }
  });
  after(async () => {
    await store.close();
    await database.drop();
  });

  it('verifies clean, exports a digest; after a rewrite names the event, exits 1, and the digest differs', async () => {
    const clean = await replay('verify', '--tenant', 'tenant-h');
    expect(clean.code, clean.stderr).to.equal(0);
    expect(clean.stdout).to.match(/verified 2 streams, 6 events: every chain holds/);
    const exported = await replay('head-digest', '--tenant', 'tenant-h');
    expect(exported.code, exported.stderr).to.equal(0);
    const kept = JSON.parse(exported.stdout) as { digest: string; as_of: string; streams: number; events: number };
    expect(kept).to.include({ streams: 2, events: 6 });
    expect((await replay('verify', '--tenant', 'tenant-h', '--digest', kept.digest, '--as-of', kept.as_of)).code).to.equal(0);

    await database.db.raw(`update es_events set data = '{"i": 42}' where stream_id = ? and revision = 1`, [stream('H-2')]);
    const broken = await replay('verify', '--stream', stream('H-2'));
    expect(broken.code).to.equal(1);
    expect(broken.stdout).to.include(`BROKEN ${stream('H-2')} at revision 1: hash does not match`);
    const against = await replay('verify', '--tenant', 'tenant-h', '--digest', kept.digest, '--as-of', kept.as_of);
    expect(against.code).to.equal(1);
    expect(against.stdout).to.match(/head digest as of .*: DOES NOT MATCH/);
  });

  it('refuses a bad command line with the usage (exit 2)', async () => {
    for (const args of [['verify', '--digest', 'abc', '--as-of', '2026-01-01T00:00:00Z', '--tenant', 'tenant-h'], ['head-digest'], ['head-digest', '--tenant', 'tenant-h', '--date', '2999-01-01']]) {
      const out = await replay(...args);
      expect(out.code, args.join(' ')).to.equal(2);
      expect(out.stderr).to.include('usage:');
    }
  });
});
