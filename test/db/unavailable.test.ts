import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { isDatabaseUnavailable } from '../../src/db/unavailable.js';

const failure = async (work: () => Promise<unknown>): Promise<unknown> => {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
};

describe('isDatabaseUnavailable', () => {
  it('counts a server whose Unix socket is gone (it is down) as unavailable', async () => {
    const client = new pg.Client({ host: path.join(tmpdir(), `no-server-${process.pid}`), port: 5432, user: 'x', database: 'x' });
    const err = await failure(() => client.connect());
    expect((err as { code?: string }).code).to.equal('ENOENT');
    expect(isDatabaseUnavailable(err)).to.equal(true);
  });

  it('counts a refused TCP connection as unavailable', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: 1, user: 'x', database: 'x' });
    expect(isDatabaseUnavailable(await failure(() => client.connect()))).to.equal(true);
  });

  it('does not count a missing file elsewhere as the database', async () => {
    const err = await failure(() => readFile(path.join(tmpdir(), `missing-${process.pid}`)));
    expect((err as { code?: string }).code).to.equal('ENOENT');
    expect(isDatabaseUnavailable(err)).to.equal(false);
  });
});
