import { expect } from 'chai';
import pg from 'pg';
import { type RunningApp, startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/shared/logger.js';
import { TEST_JWT_SECRET } from '../support/app.js';
import { freePort, freshDatabase } from '../support/postgres.js';
import { sleep } from '../support/service.js';

/** The advisory lock migrateLatest takes (src/db/knex.ts): holding it keeps an instance migrating. */
const MIGRATION_LOCK = 0x63726d01;

describe('Readiness while migrations run', () => {
  it('the port answers alive but not ready (503) until migrations are done, then ready', async function () {
    this.timeout(60_000);
    const database = await freshDatabase('ready');
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    // Another instance is migrating this database.
    await other.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const port = await freePort();
    const config = loadConfig({ PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent' });
    let app: RunningApp | undefined;
    const starting = startApp(config, createLogger('silent')).then((a) => (app = a));
    const url = `http://127.0.0.1:${port}`;
    try {
      let ready: Response | undefined;
      for (let i = 0; i < 100 && !ready; i++) {
        ready = await fetch(`${url}/health/ready`).catch(() => undefined);
        if (!ready) await sleep(100);
      }
      expect(ready?.status).to.equal(503);
      expect(((await ready!.json()) as { reason: string }).reason).to.match(/migrations/);
      expect((await fetch(`${url}/health/live`)).status).to.equal(200);
      const api = await fetch(`${url}/api/v1/opportunities`);
      expect(api.status).to.equal(503);
      expect(api.headers.get('retry-after')).to.equal('2');
      expect(app, 'still starting').to.equal(undefined);

      await other.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
      await starting;
      expect((await fetch(`${url}/health/ready`)).status).to.equal(200);
    } finally {
      await other.end();
      await (await starting.catch(() => undefined))?.stop();
      await database.drop();
    }
  });
});
