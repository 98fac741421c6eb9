import { opportunitiesProjection } from '../../src/projections/opportunities.js';
import { actor } from '../support/access.js';
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { opportunityAggregate } from '../../src/aggregates/opportunity/index.js';
import { DEFAULT_STAGE_SET } from '../../src/aggregates/pipelineStage/stages.js';
import { createCommandHandler } from '../../src/commands/handler.js';
import type { EventStore } from '../../src/eventstore/port.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { type Amount, parseAmount } from '../../src/shared/money.js';
import { type TestDatabase, freshDatabase } from '../support/postgres.js';
import { runReplay } from '../support/replay.js';

/** scripts/replay.ts as operators run it: a child process against the service's database. */
describe('npm run replay (compliance and rebuild tool)', function () {
  this.timeout(120_000);
  let database: TestDatabase;
  let store: EventStore;
  let execute: ReturnType<typeof createCommandHandler>;

  const replay = (...args: string[]) => runReplay(database.url, ...args);

  const createDeal = (env: Parameters<typeof execute>[1], opportunityId: string, name: string, customerId: string) =>
    execute(opportunityAggregate, env, {
      type: 'CreateOpportunity',
      stages: DEFAULT_STAGE_SET,
      opportunityId,
      name,
      customerId,
      stage: 'PROSPECTING',
      amount: parseAmount('10.00') as Amount,
      currency: 'USD',
    });

  before(async () => {
    database = await freshDatabase('replay');
    store = createPostgresEventStore({ connection: database.url });
    execute = createCommandHandler({ store });
    for (const [tenantId, n] of [['tenant-r', 3], ['tenant-s', 1]] as const) {
      for (let i = 0; i < n; i++) {
        const env = { access: actor(tenantId, `rep-${i}`), aggregateId: `R-${i}`, correlationId: `c-${i}` };
        await createDeal(env, `R-${i}`, `Deal ${i}`, 'CUST-R');
        await execute(opportunityAggregate, env, { type: 'ChangeStage', stages: DEFAULT_STAGE_SET, stage: 'PROPOSAL' });
      }
    }
  });
  after(async () => {
    await store.close();
    await database.drop();
  });

  it('audit: one JSON line per event of the tenant, each with its actor; CSV with a header', async () => {
    const out = await replay('audit', '--tenant', 'tenant-r');
    expect(out.code, out.stderr).to.equal(0);
    const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { actor: string; stream: string });
    expect(lines).to.have.length(6);
    expect(lines.every((l) => l.actor.startsWith('rep-') && l.stream.includes('-tenant-r:'))).to.equal(true);
    const csv = await replay('audit', '--tenant', 'tenant-r', '--format', 'csv');
    expect(csv.stdout.trim().split('\r\n')).to.have.length(7);
  });

  it('as-of: the aggregate state at a revision or an instant', async () => {
    const at0 = await replay('as-of', 'opportunity-tenant-r:R-1', '0');
    expect(at0.code, at0.stderr).to.equal(0);
    const state0 = JSON.parse(at0.stdout) as { revision: string; state: { stage: string } };
    expect(state0.revision).to.equal('0');
    expect(state0.state.stage).to.equal('PROSPECTING');
    const now = JSON.parse((await replay('as-of', 'opportunity-tenant-r:R-1', new Date().toISOString())).stdout) as { state: { stage: string } };
    expect(now.state.stage).to.equal('PROPOSAL');
  });

  it('rebuild: a projection from position 0, with a summary', async () => {
    const out = await replay('rebuild', 'opportunities');
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stdout).to.match(new RegExp(`rebuilt opportunities v${opportunitiesProjection.version}: 8 events`));
    expect(await database.db('opportunities').count<{ count: string }[]>({ count: '*' })).to.deep.equal([{ count: '4' }]);
  });

  it('audit | head: stops quietly with exit code 0 when the reader closes the pipe (EPIPE)', async () => {
    // More than a pipe buffer (64 KiB) of audit lines, so the tool is still writing when the
    // reader goes away.
    const env = { access: actor('tenant-pipe', 'rep-p'), correlationId: 'c-pipe' };
    for (let i = 0; i < 400; i++) {
      await createDeal({ ...env, aggregateId: `P-${i}` }, `P-${i}`, `Deal ${i}`, 'CUST-P');
    }
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/replay.ts', 'audit', '--tenant', 'tenant-pipe'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: database.url, LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Like head -1: read the first line, then close the pipe.
    const first = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString())));
    child.stdout.destroy();
    expect(JSON.parse(first.split('\n')[0]!)).to.have.property('actor', 'rep-p');
    expect(await exit, stderr).to.equal(0);
    expect(stderr).to.equal('');
  });

  it('refuses bad usage with exit code 2 and the usage text', async () => {
    for (const args of [[], ['rebuild', 'nothing'], ['as-of', 'widget-x:1', '0'], ['audit'], ['audit', '--tenant', 't', '--format', 'xml']]) {
      const out = await replay(...args);
      expect(out.code, args.join(' ')).to.equal(2);
      expect(out.stderr).to.match(/usage: npm run replay/);
    }
  });
});
