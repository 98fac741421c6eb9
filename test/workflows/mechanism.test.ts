import { noReadModels } from './support.js';
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { taskAggregate } from '../../src/aggregates/task/index.js';
import { systemAccess } from '../../src/access/access.js';
import { createCommandHandler } from '../../src/commands/handler.js';
import { fromRecorded } from '../../src/eventstore/envelope.js';
import { streamName } from '../../src/eventstore/streams.js';
import { type EventStore, type Position, comparePositions } from '../../src/eventstore/port.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { createLogger } from '../../src/shared/logger.js';
import { TABLE } from '../../src/subscriptions/checkpoints.js';
import { type WorkflowRunner, createWorkflowRunner } from '../../src/workflows/runner.js';
import { workflowSubscriber } from '../../src/workflows/subscriber.js';
import { type Workflow, command, derivedId, subscriptionName } from '../../src/workflows/workflow.js';
import { type TestDatabase, freshDatabase } from '../support/postgres.js';

/**
 * The workflow mechanism (src/workflows) on a real PostgreSQL: a test workflow turns each
 * trigger event into a CreateTask whose id derives from the trigger.
 */
describe('workflow mechanism', function () {
  this.timeout(90_000);
  const TRIGGER = 'WorkflowTestTriggered';
  const log = createLogger('silent');
  let database: TestDatabase;
  let store: EventStore;
  let runner: WorkflowRunner | undefined;

  beforeEach(async () => {
    database = await freshDatabase('wf');
    store = createPostgresEventStore({ connection: database.url, pollMs: 50 });
  });
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    await store.close();
    await database.drop();
  });

  /** A trigger: `due` in the past makes the task decider refuse the command. */
  const trigger = async (n: number, due = '2999-01-01', tenantId = 'tenant-001') => {
    for (let i = 0; i < n; i++) {
      const eventId = randomUUID();
      await store.append(
        `wftest-${tenantId}:${randomUUID()}`,
        [{ eventId, eventType: TRIGGER, data: { title: `Task ${i}`, due }, metadata: { tenantId, aggregateId: 'x', correlationId: `corr-${eventId}`, userId: 'user-200', timestamp: new Date().toISOString() } }],
        'no_stream',
      );
    }
  };

  const testWorkflow = (options: { history?: 'skip' | 'process'; failOnce?: number } = {}): Workflow => {
    let seen = 0;
    return {
      name: 'test',
      version: 1,
      eventTypes: [TRIGGER],
      history: options.history ?? 'process',
      async react(event) {
        // A crash part way through a batch: the earlier events' commands already ran.
        if (options.failOnce !== undefined && ++seen === options.failOnce) throw new Error('crashed mid-batch');
        const data = event.payload as { title: string; due: string };
        return [
          command(taskAggregate, derivedId('test', event), { type: 'CreateTask', taskId: derivedId('test', event), title: data.title, dueDate: data.due, assigneeId: 'user-200' }, { creates: true }),
        ];
      },
    };
  };

  const start = async (wf: Workflow) => {
    runner = createWorkflowRunner({ store, db: database.db, execute: createCommandHandler({ store }), log, workflows: [wf], batchSize: 10, ...noReadModels(store) });
    await runner.start();
    return runner;
  };
  const caughtUp = async (r: WorkflowRunner) => {
    const head = await store.headPosition();
    const deadline = Date.now() + 30_000;
    while (comparePositions(r.status()[0]!.checkpoint, head) < 0) {
      if (Date.now() > deadline) throw new Error(`workflow did not catch up: ${JSON.stringify(r.status()[0], (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
      await new Promise((res) => setTimeout(res, 25));
    }
  };
  const created = async () =>
    (await store.readAll({ filter: { eventTypes: ['TaskCreatedEvent'] }, maxCount: 10_000 })).map((r) => fromRecorded(r));
  const triggers = async () => (await store.readAll({ filter: { eventTypes: [TRIGGER] }, maxCount: 10_000 })).map((r) => fromRecorded(r));

  it('issues one command per event through the handler, as its system actor, caused by the event', async () => {
    await trigger(25);
    await caughtUp(await start(testWorkflow()));
    const tasks = await created();
    const sources = await triggers();
    expect(tasks).to.have.length(25);
    // Different aggregates' commands go at once: each event's task, in whatever order.
    const bySource = new Map(tasks.map((t) => [t.metadata.causationId, t]));
    expect([...bySource.keys()]).to.have.members(sources.map((s) => s.eventId));
    for (const s of sources) {
      const t = bySource.get(s.eventId)!;
      expect(t.metadata).to.include({ userId: 'system:workflow:test', correlationId: `corr-${s.eventId}` });
      expect(t.aggregateId).to.equal(derivedId('test', s));
    }
  });

  it('a batch read is loaded once per batch and given the batch’s last position', async () => {
    await trigger(25);
    const loads: Position[] = [];
    const seen: { event: Position; last: Position }[] = [];
    const wf: Workflow = {
      ...testWorkflow(),
      async react(event, reads) {
        const last = await reads.batchRead('last', async (at) => {
          loads.push(at);
          return at;
        });
        seen.push({ event: event.position, last });
        return [];
      },
    };
    await caughtUp(await start(wf));
    expect(seen).to.have.length(25);
    // Batches of at most 10: three loads at least, and far fewer than one per event.
    expect(loads.length).to.be.within(3, 12);
    // The events that shared a load are one batch, and the load had its last position.
    for (const last of loads) {
      const batch = seen.filter((s) => comparePositions(s.last, last) === 0);
      expect(batch.length).to.be.within(1, 10);
      expect(comparePositions(batch.at(-1)!.event, last)).to.equal(0);
    }
  });

  it('a batch that asks for no command is handled without moving its checkpoint (the idle rule writes it); one that does moves it', async () => {
    await trigger(3);
    const events = await triggers();
    const deps = { store, db: database.db, execute: createCommandHandler({ store }), log, ...noReadModels(store) };
    const moves: string[] = [];
    const at = events.at(-1)!.position;
    const commit = Object.assign(async () => void moves.push('moved'), { sql: () => ({ sql: '', bindings: [] }), from: at, to: at });
    const quiet = workflowSubscriber({ ...testWorkflow(), react: async () => [] }, deps);
    expect(await quiet.handle(events, commit)).to.equal('unchanged');
    expect(moves).to.deep.equal([]);
    const busy = workflowSubscriber(testWorkflow(), deps);
    expect(await busy.handle(events, commit)).to.equal(undefined);
    expect(moves).to.deep.equal(['moved']);
    expect(await created()).to.have.length(3);
  });

  it('reacts to a few events of a batch at once, and issues the commands on one aggregate in the events’ order', async () => {
    await trigger(25);
    let running = 0;
    let most = 0;
    const TASK = 'one-task-for-all';
    const wf: Workflow = {
      ...testWorkflow(),
      async react(event) {
        most = Math.max(most, ++running);
        // Later events answer first: an order taken from the reactions would be scrambled.
        await new Promise((res) => setTimeout(res, 30 - (Number(event.position.prepare) % 25)));
        running--;
        const title = (event.payload as { title: string }).title;
        // The first trigger creates the task, every later one renames it: one aggregate.
        return title === 'Task 0'
          ? [command(taskAggregate, TASK, { type: 'CreateTask', taskId: TASK, title, dueDate: '2999-01-01', assigneeId: 'user-200' }, { creates: true })]
          : [command(taskAggregate, TASK, { type: 'UpdateTask', title })];
      },
    };
    await caughtUp(await start(wf));
    expect(most).to.be.greaterThan(1);
    const stream = (await store.readStream(streamName({ category: 'task', tenantId: 'tenant-001', aggregateId: TASK }))).map((r) => fromRecorded(r));
    expect(stream.map((e) => (e.payload as { title: string }).title)).to.deep.equal(Array.from({ length: 25 }, (_, i) => `Task ${i}`));
    expect(stream.map((e) => e.metadata.causationId)).to.deep.equal((await triggers()).map((s) => s.eventId));
  });

  it('issues commands on different aggregates at once', async () => {
    await trigger(12);
    let inFlight = 0;
    let most = 0;
    const plain = testWorkflow();
    const wf: Workflow = {
      ...plain,
      async react(event, reads) {
        return (await plain.react(event, reads)).map((c) => ({
          ...c,
          async run(execute, envelope) {
            most = Math.max(most, ++inFlight);
            try {
              await new Promise((res) => setTimeout(res, 20));
              return await c.run(execute, envelope);
            } finally {
              inFlight--;
            }
          },
        }));
      },
    };
    await caughtUp(await start(wf));
    expect(most).to.be.greaterThan(1);
    expect(await created()).to.have.length(12);
  });

  it('of commands marked latest-only, issues one per aggregate and batch: the last, at the end of the batch', async () => {
    const TASK = 'renamed-by-every-trigger';
    await createCommandHandler({ store })(
      taskAggregate,
      { access: systemAccess('tenant-001', 'user-200'), aggregateId: TASK, correlationId: 'setup', causationId: null },
      { type: 'CreateTask', taskId: TASK, title: 'Start', dueDate: '2999-01-01', assigneeId: 'user-200' },
    );
    await trigger(25);
    const wf: Workflow = {
      ...testWorkflow(),
      async react(event) {
        return [command(taskAggregate, TASK, { type: 'UpdateTask', title: (event.payload as { title: string }).title }, { latestOnly: true })];
      },
    };
    await caughtUp(await start(wf)); // batches of at most 10
    const updates = (await store.readStream(streamName({ category: 'task', tenantId: 'tenant-001', aggregateId: TASK })))
      .map((r) => fromRecorded(r))
      .slice(1);
    const sources = await triggers();
    expect(updates.length).to.be.within(3, 12);
    expect(updates.at(-1)!.payload).to.include({ title: 'Task 24' });
    // Each issued one is its batch's last trigger's, in order.
    const at = updates.map((u) => sources.findIndex((s) => s.eventId === u.metadata.causationId));
    expect(at.every((x, k) => x >= 0 && (k === 0 || x > at[k - 1]!))).to.equal(true);
    expect(updates.map((u) => (u.payload as { title: string }).title)).to.deep.equal(at.map((x) => `Task ${x}`));
  });

  it('replayed from position 0 after a restart, it creates nothing twice', async () => {
    await trigger(15);
    const first = await start(testWorkflow());
    await caughtUp(first);
    await first.stop();
    await database.db(TABLE).where({ name: subscriptionName('test') }).update({ position_commit: '0', position_prepare: '0' });
    await trigger(5);
    await caughtUp(await start(testWorkflow()));
    expect(await created()).to.have.length(20);
    expect(new Set((await created()).map((t) => t.aggregateId)).size).to.equal(20);
  });

  it('a batch that fails part way (a crash after some effects) is retried without duplicates', async () => {
    await trigger(10);
    const r = await start(testWorkflow({ failOnce: 6 }));
    await caughtUp(r);
    expect(await created()).to.have.length(10);
    expect(await database.db('subscription_dead_letters').count<{ count: string }[]>('* as count')).to.deep.equal([{ count: '0' }]);
  });

  it('sets a command the domain refuses aside, with its reason, and goes on', async () => {
    await trigger(3);
    await trigger(1, '2001-01-01');
    await trigger(3);
    const r = await start(testWorkflow());
    await caughtUp(r);
    expect(await created()).to.have.length(6);
    const parked = (await database.db('subscription_dead_letters').select('subscription', 'event_id', 'error')) as { subscription: string; event_id: string; error: string }[];
    const refused = (await triggers())[3]!;
    expect(parked).to.have.length(1);
    expect(parked[0]).to.include({ subscription: 'workflow:test', event_id: refused.eventId });
    expect(parked[0]!.error).to.match(/CreateTask on task .* refused: VALIDATION_ERROR: due_date must not be in the past/);
    expect(r.status()[0]!.error).to.equal(undefined);
    expect(r.status()[0]!.deadLettered).to.equal(1);
  });

  it("a new workflow that skips history starts at the log's head", async () => {
    await trigger(4);
    const r = await start(testWorkflow({ history: 'skip' }));
    await trigger(2);
    await caughtUp(r);
    expect(await created()).to.have.length(2);
  });
});
