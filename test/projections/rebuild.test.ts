import { actor } from '../support/access.js';
import { expect } from 'chai';
import { opportunityAggregate } from '../../src/aggregates/opportunity/index.js';
import { DEFAULT_STAGE_SET } from '../../src/aggregates/pipelineStage/stages.js';
import { createCommandHandler } from '../../src/commands/handler.js';
import { type EventStore, type Position, comparePositions } from '../../src/eventstore/port.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { opportunitiesProjection } from '../../src/projections/opportunities.js';
import { applyEvents } from '../../src/projections/projection.js';
import { RebuildInProgressError, type RebuildProgress, rebuildProjection } from '../../src/projections/rebuild.js';
import { type ProjectionRunner, createProjectionRunner } from '../../src/projections/runner.js';
import { createLogger } from '../../src/shared/logger.js';
import { type Amount, parseAmount } from '../../src/shared/money.js';
import { type TestDatabase, freshDatabase } from '../support/postgres.js';

const log = createLogger('silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('projection rebuild without downtime', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let store: EventStore;
  let runner: ProjectionRunner;
  let last: Position;
  const execute = () => createCommandHandler({ store });

  async function writeOpportunities(from: number, count: number): Promise<void> {
    const run = execute();
    for (let i = from; i < from + count; i++) {
      const env = { access: actor(i % 2 ? 'tenant-a' : 'tenant-b', 'u-1'), aggregateId: `OPP-${i}`, correlationId: `c-${i}` };
      await run(opportunityAggregate, env, {
        type: 'CreateOpportunity',
        stages: DEFAULT_STAGE_SET,
        opportunityId: `OPP-${i}`,
        name: `Deal ${i}`,
        customerId: `CUST-${i % 7}`,
        stage: 'PROSPECTING',
        amount: parseAmount(`${i}.${i % 100}`) as Amount,
        currency: 'EUR',
      });
      const r = await run(opportunityAggregate, env, { type: 'ChangeStage', stages: DEFAULT_STAGE_SET, stage: i % 3 ? 'PROPOSAL' : 'NEGOTIATION' });
      last = r.position!;
    }
  }

  const rows = () => database.db('opportunities').orderBy(['tenant_id', 'opportunity_id']).select();
  /** The live table's indexes: a rebuild builds its query indexes after the rows, under their live names. */
  const indexes = async () =>
    (await database.db.raw<{ rows: unknown[] }>("select indexname, indexdef from pg_indexes where schemaname = 'public' and tablename = 'opportunities' order by 1")).rows;

  beforeEach(async () => {
    database = await freshDatabase('rebuild');
    store = createPostgresEventStore({ connection: database.url, pollMs: 20 });
    await writeOpportunities(0, 150);
    runner = createProjectionRunner({ store, db: database.db, projections: [opportunitiesProjection], log, batchSize: 50 });
    runner.start();
    expect(await runner.waitFor('opportunities', last, 20_000)).to.equal('reached');
  });

  afterEach(async () => {
    await runner.stop();
    await store.close();
    await database.drop();
  });

  it('keeps the live tables answering while it builds, and swaps in equal answers', async () => {
    const before = await rows();
    const indexesBefore = await indexes();
    expect(indexesBefore.length, 'the primary key and query indexes').to.be.greaterThan(3);
    expect(before).to.have.length(150);
    const seen: RebuildProgress[] = [];
    const summary = await rebuildProjection({ db: database.db, store }, opportunitiesProjection, {
      batchSize: 25,
      onProgress: (p) => {
        seen.push(p);
      },
    });
    expect(seen.filter((s) => s.phase === 'building').length, 'built in several batches').to.be.greaterThan(5);
    expect(summary.done).to.equal(300);
    expect(summary.total).to.equal(300);
    expect(await rows()).to.deep.equal(before);
    const tables = await database.db.raw<{ rows: { table_schema: string }[] }>(
      "select table_schema from information_schema.tables where table_name = 'opportunities'",
    );
    expect(tables.rows.map((r) => r.table_schema)).to.deep.equal(['public']);
    expect(await indexes()).to.deep.equal(indexesBefore);
  });

  it('gives the rebuilt tables the live tables\' storage parameters (a fillfactor)', async () => {
    const reloptions = async (table: string) =>
      (await database.db.raw<{ rows: { reloptions: string[] | null }[] }>("select reloptions from pg_class where relname = ? and relnamespace = 'public'::regnamespace", [table])).rows[0]
        ?.reloptions;
    // As an operator may have set them (an autovacuum setting, room for updates on each page).
    await database.db.raw('alter table opportunities set (fillfactor = 70, autovacuum_enabled = true)');
    const before = await rows();
    await rebuildProjection({ db: database.db, store }, opportunitiesProjection, { batchSize: 100 });
    expect(await reloptions('opportunities')).to.deep.equal(['fillfactor=70', 'autovacuum_enabled=true']);
    expect(await rows()).to.deep.equal(before);
  });

  it('gathers the shadow tables\' statistics as they fill, and the rebuilt tables go live with them', async () => {
    // Without statistics the planner guesses, and may look rows up by a query index instead of the key.
    const statistics = (schema: string) =>
      database.db.raw<{ rows: { n: string }[] }>("select count(*) as n from pg_stats where schemaname = ? and tablename = 'opportunities'", [schema]).then((r) => Number(r.rows[0]!.n));
    const during: Promise<number>[] = [];
    await rebuildProjection({ db: database.db, store }, opportunitiesProjection, {
      batchSize: 25,
      onProgress: (p) => {
        if (p.phase === 'building' && p.done >= 100 && p.done < 200) during.push(statistics('rebuild_opportunities'));
      },
    });
    expect(Math.max(...(await Promise.all(during))), 'statistics of the shadow table while it fills').to.be.greaterThan(0);
    expect(await statistics('public'), 'statistics of the rebuilt table').to.be.greaterThan(0);
  });

  it('answers queries with full results during the build (no error, no empty answer)', async () => {
    const before = await rows();
    let stop = false;
    const answers: number[] = [];
    const reader = (async () => {
      while (!stop) {
        answers.push((await rows()).length);
        await sleep(5);
      }
    })();
    await rebuildProjection({ db: database.db, store }, opportunitiesProjection, { batchSize: 10 });
    stop = true;
    await reader;
    expect(answers.length).to.be.greaterThan(3);
    expect(answers.every((n) => n === 150), `answers during rebuild: ${answers.join(',')}`).to.equal(true);
    expect(await rows()).to.deep.equal(before);
  });

  it('the live runner carries on after the swap, into the new tables', async () => {
    await rebuildProjection({ db: database.db, store }, opportunitiesProjection, { batchSize: 100 });
    await writeOpportunities(150, 10);
    expect(await runner.waitFor('opportunities', last, 20_000)).to.equal('reached');
    // The runner may still be retrying its first batch after the moved checkpoint.
    for (let i = 0; i < 100 && (await rows()).length < 160; i++) await sleep(50);
    expect(await rows()).to.have.length(160);
    const cp = await database.db('projection_checkpoints').where({ name: 'opportunities' }).first();
    expect(comparePositions({ commit: BigInt(cp.position_commit), prepare: BigInt(cp.position_prepare) }, last)).to.be.at.least(0);
  });

  it('writes the checkpoints under the projection\'s own name, whatever characters it holds', async () => {
    // A '?' is a binding placeholder to knex: an unbound one in a query's text would be rewritten.
    const odd = { ...opportunitiesProjection, name: "opportunities?o'dd" };
    const done = await rebuildProjection({ db: database.db, store }, odd, { batchSize: 100 });
    const named = await database.db('projection_checkpoints').whereLike('name', 'opportunities%').orderBy('name').select('name', 'version', 'position_commit', 'position_prepare');
    expect(named.map((r: { name: string }) => r.name)).to.deep.equal(['opportunities', "opportunities?o'dd"]);
    const cp = named[1] as { version: number; position_commit: string; position_prepare: string };
    expect(cp.version).to.equal(odd.version);
    expect(comparePositions({ commit: BigInt(cp.position_commit), prepare: BigInt(cp.position_prepare) }, done.position)).to.equal(0);
    expect(await rows()).to.have.length(150);
  });

  it('resumes an interrupted rebuild from its shadow checkpoint', async () => {
    const before = await rows();
    const indexesBefore = await indexes();
    const controller = new AbortController();
    let error: unknown;
    try {
      await rebuildProjection({ db: database.db, store }, opportunitiesProjection, {
        batchSize: 20,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done >= 100) controller.abort();
        },
      });
    } catch (err) {
      error = err;
    }
    expect(String(error)).to.match(/interrupted/);
    expect(await rows(), 'live tables untouched by the interrupted rebuild').to.deep.equal(before);
    const summary = await rebuildProjection({ db: database.db, store }, opportunitiesProjection, { batchSize: 50 });
    expect(summary.resumed).to.equal(true);
    expect(summary.done).to.equal(300 - 100);
    expect(await rows()).to.deep.equal(before);
    expect(await indexes()).to.deep.equal(indexesBefore);
  });

  it('reads back rows that earlier batches or an interrupted run wrote (only rows never written are known absent)', async () => {
    // Rows the first part of the log created, changed at its end: a later batch, and a resumed run, must find them.
    const run = execute();
    for (let i = 0; i < 10; i++) {
      const env = { access: actor(i % 2 ? 'tenant-a' : 'tenant-b', 'u-1'), aggregateId: `OPP-${i}`, correlationId: `u-${i}` };
      last = (await run(opportunityAggregate, env, { type: 'UpdateOpportunity', amount: parseAmount(`${9000 + i}.25`) as Amount })).position!;
    }
    expect(await runner.waitFor('opportunities', last, 20_000)).to.equal('reached');
    const live = await rows();
    expect(live.filter((r: { amount: string }) => /^90\d\d\.25$/.test(r.amount))).to.have.length(10);

    await rebuildProjection({ db: database.db, store }, opportunitiesProjection, { batchSize: 20 });
    expect(await rows(), 'from empty, in batches of 20').to.deep.equal(live);

    const controller = new AbortController();
    const interrupted = rebuildProjection({ db: database.db, store }, opportunitiesProjection, {
      batchSize: 20,
      signal: controller.signal,
      onProgress: (p) => void (p.done >= 100 && controller.abort()),
    });
    await interrupted.then(
      () => expect.fail('not interrupted'),
      (err: unknown) => expect(String(err)).to.match(/interrupted/),
    );
    const resumed = await rebuildProjection({ db: database.db, store }, opportunitiesProjection, { batchSize: 50 });
    expect(resumed.resumed).to.equal(true);
    expect(await rows(), 'resumed over rows the interrupted run wrote').to.deep.equal(live);
  });

  it('a new projection version rebuilds beside the old one when the runner starts', async () => {
    const before = await rows();
    await runner.stop();
    const next = opportunitiesProjection.version + 1;
    // The rebuild's first batch waits at a gate, so that we ask while it is under way.
    let entered!: () => void;
    const inRebuild = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const v2 = {
      ...opportunitiesProjection,
      version: next,
      handleBatch: async (...[trx, events]: Parameters<typeof applyEvents> extends [infer T, unknown, infer E, ...unknown[]] ? [T, E] : never) => {
        entered();
        await gate;
        await applyEvents(trx, opportunitiesProjection, events);
      },
    };
    runner = createProjectionRunner({ store, db: database.db, projections: [v2], log, batchSize: 5 });
    runner.start();
    await inRebuild;
    // Meanwhile the old tables answer for what they hold: read-your-writes is not blocked.
    const during = runner.status().find((p) => p.name === 'opportunities')!;
    expect(comparePositions(during.checkpoint, last)).to.be.at.least(0);
    expect(await runner.waitFor('opportunities', last, 1_000)).to.equal('reached');
    release();
    const version = async () => Number((await database.db('projection_checkpoints').where({ name: 'opportunities' }).first()).version);
    for (let i = 0; i < 200 && (await version()) !== next; i++) await sleep(50);
    expect(await version()).to.equal(next);
    expect(await rows()).to.deep.equal(before);
  });

  it('runs one rebuild of a projection at a time; a second is refused, not interleaved', async () => {
    const before = await rows();
    const results = await Promise.allSettled([
      rebuildProjection({ db: database.db, store }, opportunitiesProjection, { batchSize: 10 }),
      new Promise((r) => setTimeout(r, 50)).then(() => rebuildProjection({ db: database.db, store }, opportunitiesProjection, { batchSize: 10 })),
    ]);
    expect(results[0].status).to.equal('fulfilled');
    expect(results[1].status).to.equal('rejected');
    expect((results[1] as PromiseRejectedResult).reason).to.be.instanceOf(RebuildInProgressError);
    expect(await rows()).to.deep.equal(before);
  });

  it('an instance with an older projection version does not rebuild over a newer one', async () => {
    await runner.stop();
    const newer = opportunitiesProjection.version + 1;
    await database.db('projection_checkpoints').where({ name: 'opportunities' }).update({ version: newer });
    const before = await rows();
    runner = createProjectionRunner({ store, db: database.db, projections: [opportunitiesProjection], log, batchSize: 50 });
    runner.start();
    await sleep(300);
    expect(runner.status()[0]!.error).to.match(/newer than this code/);
    const cp = await database.db('projection_checkpoints').where({ name: 'opportunities' }).first();
    expect(Number(cp.version)).to.equal(newer);
    expect(await rows()).to.deep.equal(before);
  });
});
