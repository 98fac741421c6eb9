import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '../../src/db/embedded.js';
import { createDb } from '../../src/db/knex.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { opportunitiesProjection } from '../../src/projections/opportunities.js';
import { rebuildProjection } from '../../src/projections/rebuild.js';
import { freePort } from '../support/postgres.js';
import { type ServiceProcess, sleep, startService, tokenFor } from '../support/service.js';

/**
 * The database going away under a running service, as managed databases do (upgrades,
 * failovers): a real PostgreSQL of the test's own, restarted fast and immediate under a load of
 * commands, and stopped for a while. The process must live, never answer 500, answer 503 with
 * Retry-After while the database is gone, and carry on by itself once it is back.
 */
const RESTARTS = Number(process.env.OUTAGE_RESTARTS ?? 20);
const DOWN_SECONDS = Number(process.env.OUTAGE_DOWN_SECONDS ?? 5);
const TIMEOUT_MS = 2000;

async function throwawayCluster(): Promise<{ pg: EmbeddedPostgresHandle; url: string; dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'crm-outage-'));
  await chmod(dir, 0o755); // PostgreSQL runs as its own OS user
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort() });
  await pg.ensureDatabase('outage');
  return { pg, url: pg.connectionStringFor('outage'), dir };
}

/** Every line the service wrote is a JSON object. */
function expectJsonLog(output: string): void {
  for (const line of output.split('\n').filter((l) => l.trim() !== '')) {
    expect(() => JSON.parse(line), `log line is not JSON: ${line.slice(0, 300)}`).not.to.throw();
  }
}

describe('database outages under a running service', function () {
  this.timeout(600_000);
  let cluster: Awaited<ReturnType<typeof throwawayCluster>>;
  let service: ServiceProcess;
  let headers: Record<string, string>;

  before(async () => {
    cluster = await throwawayCluster();
    service = await startService({
      DATABASE_URL: cluster.url,
      DATABASE_TIMEOUT_MS: String(TIMEOUT_MS),
      LOG_LEVEL: 'info',
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_BURST_PER_SECOND: '0',
    });
    await service.waitReady();
    headers = { authorization: `Bearer ${await tokenFor('tenant-outage', 'rep-1', ['sales_rep'])}`, 'content-type': 'application/json' };
  });
  afterEach(function () {
    // A failure names what the service was doing: its own log, filtered to the subscriptions.
    if (this.currentTest?.state !== 'failed' || !service) return;
    const lines = service.output().split('\n').filter((l) => /subscription|lease|projection/.test(l));
    console.error(`service log (subscriptions, last 60 lines):\n${lines.slice(-60).join('\n')}`);
  });
  after(async () => {
    await service?.stop();
    await cluster?.pg.stop();
    await rm(cluster.dir, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) => {
    const started = performance.now();
    const res = await fetch(`${service.url}${path}`, { method, headers: { ...headers, ...extra }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined, ms: performance.now() - started };
  };

  it(`lives through ${RESTARTS} restarts (fast and immediate) under 8 clients: no 500, nothing acknowledged lost, read model = rebuild`, async () => {
    const acked = new Map<string, { revision: bigint; stage: string }>();
    const unknown = new Map<string, { key: string; body: unknown }>(); // 503'd creations to retry with their key
    const statuses = new Map<number, number>();
    let stop = false;
    const worker = async (w: number) => {
      const stages = ['PROPOSAL', 'NEGOTIATION', 'QUALIFICATION'];
      for (let i = 0; !stop; i++) {
        const id = `OUT-${w}-${i}`;
        const key = `create-${id}`;
        const body = { id, customer_id: `CUST-${w}`, amount: `${i}.${w}0`, stage: 'QUALIFICATION' };
        try {
          const created = await call('POST', '/api/v1/opportunities', body, { 'idempotency-key': key });
          statuses.set(created.status, (statuses.get(created.status) ?? 0) + 1);
          if (created.status === 503) {
            expect(created.headers.get('retry-after')).to.match(/^\d+$/);
            unknown.set(id, { key, body });
            await sleep(100);
            continue;
          }
          if (created.status !== 201) continue;
          acked.set(id, { revision: 0n, stage: 'QUALIFICATION' });
          for (const stage of stages) {
            const moved = await call('PUT', `/api/v1/opportunities/${id}/stage`, { stage });
            statuses.set(moved.status, (statuses.get(moved.status) ?? 0) + 1);
            if (moved.status !== 200) break;
            acked.set(id, { revision: BigInt(moved.body.revision), stage: moved.body.stage });
          }
        } catch (err) {
          throw new Error(`the service stopped answering: ${String(err)}\n${service.output().slice(-3000)}`);
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));

    for (let r = 0; r < RESTARTS; r++) {
      await sleep(700);
      cluster.pg.signal(r % 2 === 0 ? 'SIGINT' : 'SIGQUIT'); // fast shutdown, then immediate (a crash)
      await cluster.pg.exited();
      await sleep(200);
      await cluster.pg.restart();
      expect(service.alive(), `the service died at restart ${r + 1}:\n${service.output().slice(-3000)}`).to.equal(true);
    }
    await sleep(1500);
    stop = true;
    await load;
    expect(statuses.get(500) ?? 0, `500s: ${JSON.stringify([...statuses])}`).to.equal(0);
    expect([...statuses.keys()].every((s) => [200, 201, 409, 503].includes(s)), JSON.stringify([...statuses])).to.equal(true);
    expect(acked.size, 'commands were acknowledged').to.be.greaterThan(50);
    expect(statuses.get(503) ?? 0, 'the outages were seen').to.be.greaterThan(0);

    // A creation whose outcome was unknown, retried with its key: exactly one outcome.
    for (const [id, { key, body }] of unknown) {
      let retried = await call('POST', '/api/v1/opportunities', body, { 'idempotency-key': key });
      for (let tries = 0; retried.status === 409 && retried.body.error.details.idempotency_key && tries < 40; tries++) {
        await sleep(1000); // the lost request's lease runs out
        retried = await call('POST', '/api/v1/opportunities', body, { 'idempotency-key': key });
      }
      expect(retried.status, `${id}: ${JSON.stringify(retried.body)}`).to.equal(201);
      const history = await call('GET', `/api/v1/opportunities/${id}/history`);
      expect(history.body.data.filter((e: { event_type: string }) => e.event_type === 'OpportunityCreatedEvent')).to.have.length(1);
    }
    for (const [id, { revision, stage }] of acked) {
      const history = await call('GET', `/api/v1/opportunities/${id}/history`);
      const event = history.body.data.find((e: { revision: string }) => BigInt(e.revision) === revision);
      expect(event, `${id} revision ${revision}`).to.not.equal(undefined);
      expect(event.to_stage).to.equal(stage);
    }

    // Projections resumed by themselves: caught up, no error left in /health.
    // (A projection may be in a backoff pause of up to 10 s from the last restart: allow it 30 s.)
    const head = (await (await fetch(`${service.url}/health`)).json()) as { event_store_head: string };
    let caughtUp = await call('GET', `/api/v1/opportunities?limit=1&min_position=${head.event_store_head}`);
    for (let tries = 0; caughtUp.status === 503 && tries < 5; tries++) {
      caughtUp = await call('GET', `/api/v1/opportunities?limit=1&min_position=${head.event_store_head}`);
    }
    if (caughtUp.status !== 200) {
      // What the projections were doing, and the service's last words: a stall must be diagnosable.
      const status = await (await fetch(`${service.url}/health`)).text();
      expect.fail(`${JSON.stringify(caughtUp.body)}\n/health: ${status}\n${service.output().slice(-4000)}`);
    }
    // Every other projection too, each once its backoff pause (at most 10 s) is over.
    type Health = { status: string; projections: { name: string; error?: string; running: boolean; caughtUp: boolean }[] };
    const unwell = (h: Health) => h.projections.filter((p) => p.error || !p.running || !p.caughtUp);
    let health = (await (await fetch(`${service.url}/health`)).json()) as Health;
    for (let tries = 0; unwell(health).length > 0 && tries < 60; tries++) {
      await sleep(500);
      health = (await (await fetch(`${service.url}/health`)).json()) as Health;
    }
    expect(health.status).to.equal('ok');
    expect(unwell(health)).to.deep.equal([]);
    expectJsonLog(service.output());

    const db = createDb(cluster.url);
    const store = createPostgresEventStore({ connection: cluster.url });
    try {
      const rows = () => db('opportunities').where({ tenant_id: 'tenant-outage' }).orderBy('opportunity_id').select();
      const live = await rows();
      await rebuildProjection({ db, store }, opportunitiesProjection);
      expect(await rows()).to.deep.equal(live);
    } finally {
      await store.close();
      await db.destroy();
    }
  });

  it(`answers 503 with Retry-After within the timeout while PostgreSQL is down (${DOWN_SECONDS} s), and serves again once it is back`, async () => {
    cluster.pg.signal('SIGINT');
    await cluster.pg.exited();
    const until = Date.now() + DOWN_SECONDS * 1000;
    let asked = 0;
    while (Date.now() < until) {
      for (const [method, path, body] of [
        ['GET', '/api/v1/opportunities', undefined],
        ['GET', '/api/v1/opportunities/OUT-0-0', undefined],
        ['POST', '/api/v1/opportunities', { customer_id: 'C-DOWN', amount: '1.00' }],
      ] as const) {
        const res = await call(method, path, body);
        asked++;
        expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).to.equal(503);
        expect(res.body.error.code).to.equal('SERVICE_UNAVAILABLE');
        expect(res.headers.get('retry-after')).to.match(/^\d+$/);
        expect(res.ms, `${method} ${path} took ${res.ms} ms`).to.be.below(TIMEOUT_MS + 1500);
      }
      expect((await fetch(`${service.url}/health/live`)).status).to.equal(200);
      expect((await fetch(`${service.url}/health/ready`)).status).to.equal(503);
      await sleep(250);
    }
    expect(asked).to.be.greaterThan(3);

    await cluster.pg.restart();
    const back = Date.now();
    let created;
    do {
      created = await call('POST', '/api/v1/opportunities', { id: 'AFTER-OUTAGE', customer_id: 'C-UP', amount: '2.00' }, { 'idempotency-key': 'after-outage' });
    } while (created.status === 503 && Date.now() - back < 15_000 && (await sleep(200), true));
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    expect(Date.now() - back, 'first command after the database came back').to.be.below(15_000);
    expect((await fetch(`${service.url}/health/ready`)).status).to.equal(200);
    expect(service.alive()).to.equal(true);
    // One error line per outage per component, not one per attempt or request.
    const lines = service.output().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: string; msg: string; subscription?: string });
    const errors = lines.filter((l) => l.level === 'error');
    const perComponent = new Map<string, number>();
    for (const e of errors) perComponent.set(`${e.msg} ${e.subscription ?? ''}`, (perComponent.get(`${e.msg} ${e.subscription ?? ''}`) ?? 0) + 1);
    for (const [what, n] of perComponent) expect(n, what).to.be.at.most(RESTARTS + 2);
  });
});

describe('migrations: instances starting at the same moment on an empty database', function () {
  this.timeout(300_000);

  it('take turns instead of racing (three rounds of two instances)', async () => {
    const cluster = await throwawayCluster();
    try {
      for (let round = 0; round < 3; round++) {
        const database = `race_${round}`;
        await cluster.pg.ensureDatabase(database);
        const env = { DATABASE_URL: cluster.pg.connectionStringFor(database), LOG_LEVEL: 'warn' };
        const pair = await Promise.all([startService(env), startService(env)]);
        try {
          await Promise.all(pair.map((s) => s.waitReady()));
          for (const s of pair) expect(s.alive(), s.output().slice(-2000)).to.equal(true);
        } finally {
          await Promise.all(pair.map((s) => s.stop()));
        }
      }
    } finally {
      await cluster.pg.stop();
      await rm(cluster.dir, { recursive: true, force: true });
    }
  });
});

describe('the embedded PostgreSQL killed under the service', function () {
  this.timeout(300_000);

  it('is restarted by the service, which reports it and serves again', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'crm-embedded-kill-'));
    await chmod(dataDir, 0o755);
    const service = await startService({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: 'info' });
    try {
      await service.waitReady();
      const headers = { authorization: `Bearer ${await tokenFor('tenant-kill', 'admin-1')}`, 'content-type': 'application/json' };
      const create = (id: string) =>
        fetch(`${service.url}/api/v1/opportunities`, { method: 'POST', headers, body: JSON.stringify({ id, customer_id: 'C', amount: '1.00' }) });
      expect((await create('BEFORE-KILL')).status).to.equal(201);
      const postmaster = Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(postmaster, 'SIGKILL');

      const deadline = Date.now() + 60_000;
      let status = 0;
      while (Date.now() < deadline && status !== 201) {
        status = (await create('AFTER-KILL')).status;
        expect([201, 503]).to.include(status);
        if (status !== 201) await sleep(300);
      }
      expect(status, service.output().slice(-3000)).to.equal(201);
      expect(service.alive()).to.equal(true);
      expect(service.output()).to.include('embedded PostgreSQL exited unexpectedly; restarting it');
      expect(service.output()).to.include('embedded PostgreSQL restarted');
      const history = await fetch(`${service.url}/api/v1/opportunities/BEFORE-KILL/history`, { headers });
      expect(history.status).to.equal(200);
    } finally {
      await service.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
