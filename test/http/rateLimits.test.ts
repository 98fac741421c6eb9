import { expect } from 'chai';
import { type TestApp, type TestResponse, startTestApp } from '../support/app.js';
import { type TestDatabase, freshDatabase } from '../support/postgres.js';
import { createRateLimiter } from '../../src/http/rateLimit.js';
import { type ServiceProcess, startService, tokenFor } from '../support/service.js';
import { BASE, expectError } from './opportunityHelpers.js';

/**
 * Seed 004's limits: per user 1,000 a minute with bursts of at most 50 a second, 100,000 a
 * minute in all; X-RateLimit-* on every /api answer, 429 RATE_LIMIT_EXCEEDED with Retry-After.
 */
async function flood(send: (i: number) => Promise<TestResponse>, count: number, concurrency: number): Promise<TestResponse[]> {
  const out: TestResponse[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) out.push(await send(next++));
    }),
  );
  return out;
}

describe('HTTP API: rate limits', function () {
  this.timeout(120_000);
  let app: TestApp;
  const T = 'tenant-rl';

  before(async () => {
    // The seed's figures, not the test defaults that keep other suites out of their way.
    app = await startTestApp({ RATE_LIMIT_PER_MINUTE: '1000', RATE_LIMIT_BURST_PER_SECOND: '50', RATE_LIMIT_GLOBAL_PER_MINUTE: '100000' });
  });
  after(async () => app?.stop());

  it('1,200 requests of one user within two seconds: 429s past the burst, headers counting down, others unaffected', async () => {
    const started = Date.now();
    const answers = await flood((i) => app.request('GET', `${BASE}?limit=1&i=${i}`, { identity: { tenantId: T, userId: 'heavy' } }), 1200, 40);
    const seconds = Math.ceil((Date.now() - started) / 1000);
    const ok = answers.filter((r) => r.status === 200);
    const refused = answers.filter((r) => r.status === 429);
    expect(ok.length + refused.length).to.equal(1200);
    // At most one burst's worth per one-second window the flood spanned.
    expect(ok.length).to.be.at.least(50).and.at.most(50 * (seconds + 1));
    for (const r of answers) {
      expect(r.headers.get('x-ratelimit-limit')).to.equal('1000');
      expect(Number(r.headers.get('x-ratelimit-reset'))).to.be.within(Date.now() / 1000, Date.now() / 1000 + 61);
    }
    // Every admitted request took one point of the minute: 999, 998, ... down without a gap.
    const remaining = ok.map((r) => Number(r.headers.get('x-ratelimit-remaining'))).sort((a, b) => b - a);
    expect(remaining).to.deep.equal(Array.from({ length: ok.length }, (_, i) => 999 - i));
    const error = expectError(refused[0]!, 429, 'RATE_LIMIT_EXCEEDED');
    expect(error.details.scope).to.equal('burst');
    expect(Number(refused[0]!.headers.get('retry-after'))).to.be.within(1, 1);

    const other = await app.request('GET', `${BASE}?limit=1`, { identity: { tenantId: T, userId: 'light' } });
    expect(other.status).to.equal(200);
    expect(other.headers.get('x-ratelimit-remaining')).to.equal('999');
    // A second later the heavy user is admitted again, its minute still counting.
    await new Promise((r) => setTimeout(r, 1100));
    const again = await app.request('GET', `${BASE}?limit=1`, { identity: { tenantId: T, userId: 'heavy' } });
    expect(again.status).to.equal(200);
    expect(Number(again.headers.get('x-ratelimit-remaining'))).to.equal(999 - ok.length);
  });

  it('applies to unauthenticated requests too, per address, and leaves /health alone', async () => {
    const res = await app.request('GET', BASE, { auth: false });
    expectError(res, 401, 'UNAUTHORIZED');
    expect(res.headers.get('x-ratelimit-limit')).to.equal('1000');
    expect((await app.request('GET', '/health', { auth: false })).headers.get('x-ratelimit-limit')).to.equal(null);
  });

  it('the global limit holds across users', async () => {
    const small = await startTestApp({ RATE_LIMIT_PER_MINUTE: '1000', RATE_LIMIT_BURST_PER_SECOND: '50', RATE_LIMIT_GLOBAL_PER_MINUTE: '30' });
    try {
      const answers = await flood((i) => small.request('GET', `${BASE}?limit=1`, { identity: { tenantId: T, userId: `user-${i % 4}` } }), 40, 8);
      expect(answers.filter((r) => r.status === 200)).to.have.length(30);
      const refused = answers.filter((r) => r.status === 429);
      expect(refused).to.have.length(10);
      expect(expectError(refused[0]!, 429, 'RATE_LIMIT_EXCEEDED').details.scope).to.equal('global');
    } finally {
      await small.stop();
    }
  });
});

describe('HTTP API: rate limits with two service processes on one database', function () {
  this.timeout(180_000);
  let database: TestDatabase;
  const services: ServiceProcess[] = [];

  before(async () => {
    database = await freshDatabase('ratelimit');
    for (let i = 0; i < 2; i++) services.push(await startService({ DATABASE_URL: database.url, RATE_LIMIT_BURST_PER_SECOND: '50' }));
    await Promise.all(services.map((s) => s.waitReady()));
  });
  after(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await database?.drop();
  });

  it('a user’s burst is counted once for both instances', async () => {
    const authorization = `Bearer ${await tokenFor('tenant-rl2', 'busy')}`;
    const started = Date.now();
    const statuses = await flood(
      async (i) => {
        const res = await fetch(`${services[i % 2]!.url}/api/v1/opportunities?limit=1`, { headers: { authorization } });
        await res.arrayBuffer();
        return { status: res.status, headers: res.headers, body: undefined };
      },
      100,
      20,
    );
    const windows = Math.ceil((Date.now() - started) / 1000) + 1;
    const ok = statuses.filter((r) => r.status === 200).length;
    expect(ok, `${ok} admitted in ${windows - 1} s`).to.be.at.least(50).and.at.most(50 * windows);
    if (windows === 2) expect(ok).to.equal(50); // the whole flood inside one window
    expect(statuses.filter((r) => r.status === 429).length).to.equal(100 - ok);
  });
});

describe('rate limiter: the global minute in chunks', () => {
  it('takes the global count 20 points at a time under a large limit, one at a time under a small one', async () => {
    const database = await freshDatabase('rlchunk');
    const points = async () => Number((await database.db('rate_limits').where({ key: 'rl_g:all' }).first('points'))?.points ?? 0);
    try {
      const large = createRateLimiter(database.url, { perUserPerMinute: 0, perUserPerSecond: 0, globalPerMinute: 100_000 });
      for (let i = 0; i < 45; i++) expect((await large.check(`t/u-${i}`)).allowed).to.equal(true);
      await large.close();
      expect(await points()).to.equal(60); // three statements for 45 requests
      await database.db('rate_limits').del();
      const small = createRateLimiter(database.url, { perUserPerMinute: 0, perUserPerSecond: 0, globalPerMinute: 500 });
      for (let i = 0; i < 7; i++) await small.check(`t/u-${i}`);
      await small.close();
      expect(await points()).to.equal(7);
    } finally {
      await database.drop();
    }
  });

  it('counts a request in one statement: a refused burst takes nothing from the minute, and a refused caller costs no queries', async () => {
    const database = await freshDatabase('rlone');
    const points = async (key: string) => Number((await database.db('rate_limits').where({ key }).first('points'))?.points ?? 0);
    try {
      const limiter = createRateLimiter(database.url, { perUserPerMinute: 100, perUserPerSecond: 3, globalPerMinute: 0 });
      const verdicts = [];
      const started = Date.now();
      for (let i = 0; i < 6; i++) verdicts.push(await limiter.check('t/flood'));
      await limiter.close();
      // The minute counts exactly the requests the burst let through, whatever the timing.
      expect(await points('rl_m:t/flood')).to.equal(verdicts.filter((v) => v.allowed).length);
      if (Date.now() - started >= 1000) return; // a second window opened: the exact split below does not hold
      expect(verdicts.map((v) => v.allowed)).to.deep.equal([true, true, true, false, false, false]);
      expect(verdicts[3]).to.include({ scope: 'burst', limit: 100, remaining: 97 });
      expect(await points('rl_m:t/flood')).to.equal(3);
      // The fourth was counted and refused; the fifth and sixth were refused here without a query.
      expect(await points('rl_s:t/flood')).to.equal(4);
    } finally {
      await database.drop();
    }
  });
});
