import { expect } from 'chai';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { createDb } from '../../src/db/knex.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { opportunitiesProjection } from '../../src/projections/opportunities.js';
import { rebuildProjection } from '../../src/projections/rebuild.js';
import { freePort } from '../support/postgres.js';
import { type ServiceProcess, sleep, startService, tokenFor } from '../support/service.js';

/**
 * The service as users run it (embedded PostgreSQL under its data directory), killed with -9
 * while commands are in flight, then started again: every acknowledged command's events must
 * be in the store, and the read model must equal one rebuilt from position 0.
 */
describe('crash recovery (kill -9 under load)', function () {
  this.timeout(180_000);
  let dataDir: string;
  let env: Record<string, string>;
  let port: number;
  let base: string;
  let child: ServiceProcess | undefined;
  const start = async () => {
    child = await startService(env, port);
    await child.waitReady();
  };

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'crm-crash-'));
    await chmod(dataDir, 0o755); // PostgreSQL runs as its own OS user and must reach its directory
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = {
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(await freePort()),
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_BURST_PER_SECOND: '100000',
    };
  });

  after(async () => {
    await child?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('loses no acknowledged command and rebuilds to the same read model', async () => {
    await start();
    const token = await tokenFor('tenant-crash', 'user-1', ['sales_rep']);
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

    // Acknowledged outcomes: opportunity id -> the revision and stage the API confirmed.
    const acked = new Map<string, { revision: bigint; stage: string }>();
    let stop = false;
    const worker = async (w: number) => {
      const stages = ['PROPOSAL', 'NEGOTIATION', 'QUALIFICATION'];
      for (let i = 0; !stop; i++) {
        const id = `OPP-${w}-${i}`;
        try {
          let res = await fetch(`${base}/api/v1/opportunities`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ id, customer_id: `CUST-${w}`, amount: `${i}.${w}5`, stage: 'QUALIFICATION' }),
          });
          if (res.status !== 201) continue;
          acked.set(id, { revision: 0n, stage: 'QUALIFICATION' });
          for (let s = 0; s < 3 && !stop; s++) {
            res = await fetch(`${base}/api/v1/opportunities/${id}/stage`, {
              method: 'PUT',
              headers,
              body: JSON.stringify({ stage: stages[s] }),
            });
            if (res.status !== 200) break;
            const body = (await res.json()) as { revision: string; stage: string };
            acked.set(id, { revision: BigInt(body.revision), stage: body.stage });
          }
        } catch {
          return; // the server is gone
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    // Kill once enough commands are acknowledged, however slow the machine (a fixed wait got
    // too few on a loaded CI host), with commands still in flight.
    for (const deadline = Date.now() + 60_000; acked.size < 40 && Date.now() < deadline; ) await sleep(100);
    await child!.stop('SIGKILL');
    stop = true;
    await load;
    expect(acked.size, 'some commands were acknowledged before the crash').to.be.greaterThan(20);

    await start();

    for (const [id, { revision, stage }] of acked) {
      const res = await fetch(`${base}/api/v1/opportunities/${id}/history`, { headers });
      expect(res.status, id).to.equal(200);
      const history = (await res.json()) as { data: { revision: string; to_stage: string }[] };
      const event = history.data.find((e) => BigInt(e.revision) === revision);
      expect(event, `${id} revision ${revision}`).to.not.equal(undefined);
      expect(event!.to_stage).to.equal(stage);
    }

    // Let the projection catch up, then stop the service and compare with a rebuild.
    const head = ((await (await fetch(`${base}/health`)).json()) as { event_store_head: string }).event_store_head;
    const caughtUp = await fetch(`${base}/api/v1/opportunities?limit=1&min_position=${head}`, { headers });
    expect(caughtUp.status).to.equal(200);
    await child!.stop();
    child = undefined;

    const pg = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pg'), port: Number(env.EMBEDDED_PG_PORT) });
    const url = pg.connectionStringFor('chiroerp_crm_pipeline');
    const db = createDb(url);
    const store = createPostgresEventStore({ connection: url });
    try {
      const snapshot = async () => db('opportunities').orderBy(['tenant_id', 'opportunity_id']).select();
      const before = await snapshot();
      expect(before.length).to.be.at.least(acked.size);
      const summary = await rebuildProjection({ db, store }, opportunitiesProjection);
      expect(summary.done).to.be.greaterThan(acked.size);
      expect(await snapshot()).to.deep.equal(before);
    } finally {
      await store.close();
      await db.destroy();
      await pg.stop();
    }
  });
});
