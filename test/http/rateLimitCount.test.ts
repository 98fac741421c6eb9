import { expect } from 'chai';
import pg from 'pg';
import { type CountRequest, type SharedCounts, type Windows, sharedCounter } from '../../src/http/rateLimitCount.js';
import { type TestDatabase, freshDatabase } from '../support/postgres.js';

/**
 * The shared counts of requests that arrive together go in one statement (rateLimitCount.ts);
 * each request must still get what it would have got counted alone, in arrival order.
 */
describe('rate limiter: requests counted together', function () {
  let database: TestDatabase;
  let pool: pg.Pool;
  let statements = 0;

  before(async () => {
    database = await freshDatabase('rlcount');
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    // The real pool, its statements counted.
    const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
    (pool as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (...args) => {
      statements++;
      return query(...args);
    };
  });
  after(async () => {
    await pool?.end();
    await database?.drop();
  });

  // Callers a, b, c: a floods past its burst of 3, b and c do not; some requests take no global point.
  const script = ['a', 'b', 'a', 'a', 'c', 'a', 'b', 'a', 'c', 'b', 'a', 'b'].map((caller, i) => ({ caller, globalPoints: i % 3 === 2 ? 0 : 1 }));
  const requestsOf = (run: string): CountRequest[] =>
    script.map(({ caller, globalPoints }) => ({ burstKey: `rl_s:${run}/${caller}`, minuteKey: `rl_m:${run}/${caller}`, globalPoints }));
  const pointsOnly = (counts: readonly SharedCounts[]) =>
    counts.map((c) => ({ burst: c.burst?.points, minute: c.minute?.points, global: c.global?.points }));
  const rows = async (run: string) =>
    Object.fromEntries(
      (await database.db('rate_limits').where('key', 'like', `%:${run}/%`).select('key', 'points')).map((r: { key: string; points: number }) => [
        r.key.replace(`${run}/`, ''),
        r.points,
      ]),
    );

  for (const windows of [
    { burstLimit: 3, minuteLimit: 100, globalLimit: 0 },
    { burstLimit: 3, minuteLimit: 5, globalLimit: 0 },
    { burstLimit: 0, minuteLimit: 4, globalLimit: 0 },
  ] satisfies Windows[]) {
    it(`gives each request its own count, as one at a time would (burst ${windows.burstLimit}, minute ${windows.minuteLimit})`, async () => {
      const count = sharedCounter(pool, windows);
      const started = Date.now();
      const run = `w${windows.burstLimit}-${windows.minuteLimit}`;
      statements = 0;
      const together = await Promise.all(requestsOf(`${run}-together`).map(count));
      const togetherStatements = statements;
      const alone: SharedCounts[] = [];
      for (const request of requestsOf(`${run}-alone`)) alone.push(await count(request));
      if (Date.now() - started >= 900) return; // a burst window may have ended between the two runs

      expect(pointsOnly(together)).to.deep.equal(pointsOnly(alone));
      expect(await rows(`${run}-together`)).to.deep.equal(await rows(`${run}-alone`));
      // The first is sent at once (nothing in flight); the rest wait for it and go together.
      expect(togetherStatements).to.equal(2);
    });
  }

  it('takes the global minute one point after another: each request sees the count its own point made', async () => {
    await database.db('rate_limits').where({ key: 'rl_g:all' }).del();
    const count = sharedCounter(pool, { burstLimit: 3, minuteLimit: 100, globalLimit: 4 });
    const together = await Promise.all(requestsOf('global').map(count));
    // Requests that passed their burst and took a point: the global count after each, no two alike.
    const taken = together.flatMap((c) => (c.global ? [c.global.points] : [])).sort((x, y) => x - y);
    // Six: a's first and third (its second takes none, the rest are past its burst), b's three with a point, c's first.
    expect(taken).to.deep.equal([1, 2, 3, 4, 5, 6]);
    const stored = await database.db('rate_limits').where({ key: 'rl_g:all' }).first('points');
    expect(stored?.points).to.equal(taken.length);
    // a's fourth and later requests were refused by the burst and took nothing else.
    const refused = together.filter((c) => c.burst !== undefined && c.burst.points > 3);
    expect(refused.length).to.be.greaterThan(0);
    for (const c of refused) expect([c.minute, c.global]).to.deep.equal([undefined, undefined]);
  });
});
