import { expect } from 'chai';
import { csvField } from '../../src/compliance/audit.js';
import { tooDeepAt } from '../../src/http/json.js';
import { type TestApp, startTestApp } from '../support/app.js';
import { BASE, expectError, fieldsOf } from './opportunityHelpers.js';

/** Found from outside: inputs and answers that must not hurt the service or its users. */
describe('HTTP API: hardening', function () {
  this.timeout(60_000);
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => app?.stop());

  it('metadata nested thousands of levels deep is a 400 naming the field, at any depth', async () => {
    for (const depth of [40, 5_000, 100_000]) {
      const rawBody = `{"customer_id":"C-1","amount":"1.00","metadata":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
      const error = expectError(await app.request('POST', BASE, { rawBody }), 400, 'VALIDATION_ERROR');
      expect(fieldsOf(error), `depth ${depth}`).to.deep.equal(['metadata']);
    }
    const arrays = `{"customer_id":"C-1","amount":"1.00","products":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
    expect(fieldsOf(expectError(await app.request('POST', BASE, { rawBody: arrays }), 400, 'VALIDATION_ERROR'))).to.deep.equal(['products']);
    // Within the limit, deep metadata is kept as sent.
    const ok = await app.request('POST', BASE, { body: { customer_id: 'C-1', amount: '1.00', metadata: { a: { b: { c: { d: [1, { e: 'x' }] } } } } } });
    expect(ok.status).to.equal(201);
  });

  it('the depth scan ignores brackets inside strings and names the path', () => {
    expect(tooDeepAt('{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', 3)).to.equal(undefined);
    expect(tooDeepAt('{"a":{"b\\"":[{"c":{}}]}}', 3)).to.equal('a.b\\".0');
    expect(tooDeepAt('[[1],[[2]]]', 2)).to.equal('1.0');
  });

  it('audit CSV cells that a spreadsheet would run as a formula are neutralised', async () => {
    for (const bad of ['=HYPERLINK("http://evil")', '+1+1', '-2+3', '@SUM(A1)', '\tx', '\rx']) {
      expect(csvField(bad).replace(/^"/, '')).to.match(/^'/);
    }
    expect(csvField('plain')).to.equal('plain');
    const auditor = { tenantId: 'tenant-csv', userId: '=cmd|calc', roles: ['admin'] };
    const made = await app.request('POST', BASE, {
      identity: auditor,
      headers: { 'x-correlation-id': '=HYPERLINK("http://evil","x")', 'x-request-id': '@SUM(1+1)' },
      body: { id: 'CSV-1', customer_id: 'C-1', amount: '1.00' },
    });
    expect(made.status).to.equal(201);
    const csv = await app.request('GET', '/api/v1/audit/events?format=csv', { identity: auditor });
    const row = (csv.body as string).split('\r\n')[1]!;
    expect(row).to.include(`'=cmd|calc`);
    expect(row).to.include(`"'=HYPERLINK(""http://evil"",""x"")"`);
    expect(row).to.include(`,'@SUM(1+1),`);
    expect(row).not.to.match(/(^|,)[=+\-@]/);
  });

  it('an Idempotency-Key belongs to its caller: another user of the tenant reusing it gets its own answer', async () => {
    const send = (userId: string, id: string) =>
      app.request('POST', BASE, { identity: { userId }, headers: { 'idempotency-key': 'shared-key-1' }, body: { id, customer_id: 'C-1', amount: '1.00' } });
    const first = await send('user-one', 'IDEM-1');
    const second = await send('user-two', 'IDEM-2');
    expect([first.status, second.status]).to.deep.equal([201, 201]);
    expect(second.body.id).to.equal('IDEM-2');
    expect(second.headers.get('idempotent-replayed')).to.equal(null);
    const replay = await send('user-one', 'IDEM-1');
    expect(replay.headers.get('idempotent-replayed')).to.equal('true');
    expect(replay.body).to.deep.equal(first.body);
  });

  it('security headers on every answer; no caching of /api answers', async () => {
    for (const [path, auth] of [[BASE, true], ['/health', false], ['/openapi.json', false], [`${BASE}/nope`, false]] as const) {
      const res = await app.request('GET', path, { auth });
      expect(res.headers.get('x-content-type-options'), path).to.equal('nosniff');
      expect(res.headers.get('x-frame-options'), path).to.equal('SAMEORIGIN');
      expect(res.headers.get('strict-transport-security'), path).to.match(/max-age=/);
      expect(res.headers.get('x-powered-by'), path).to.equal(null);
      if (path.startsWith('/api')) expect(res.headers.get('cache-control'), path).to.equal('no-store');
    }
  });
});
