import { expect } from 'chai';
import pg from 'pg';
import { type TestApp, startTestApp } from '../support/app.js';
import { BASE, expectError } from './opportunityHelpers.js';

/** POST /opportunities/bulk (seed 003): up to 1,000 changes, each item on its own, idempotent as a whole. */
describe('HTTP API: bulk opportunity operations', function () {
  this.timeout(120_000);
  let app: TestApp;
  const T = 'tenant-bulk';
  const rep = { tenantId: T, userId: 'rep-1', roles: ['sales_rep'] };
  const otherRep = { tenantId: T, userId: 'rep-2', roles: ['sales_rep'] };
  const send = (who: typeof rep, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(method, path, { identity: who, headers, ...(body !== undefined ? { body } : {}) });
  const historyLength = async (id: string) => (await send(rep, 'GET', `${BASE}/${id}/history`)).body.data.length as number;

  before(async () => {
    app = await startTestApp();
    for (let start = 0; start < 100; start += 20) {
      await Promise.all(
        Array.from({ length: 20 }, (_, k) => send(rep, 'POST', BASE, { id: `B-${start + k}`, customer_id: 'C-1', amount: '100.00', expected_close_date: '2026-06-30' })),
      );
    }
    expect((await send(otherRep, 'POST', BASE, { id: 'THEIRS', customer_id: 'C-1', amount: '5.00' })).status).to.equal(201);
  });
  after(async () => app?.stop());

  /** 990 good items (ten per deal, each a real change) and ten bad ones, at known places. */
  function request() {
    const items: unknown[] = [];
    for (let k = 0; k < 99; k++) {
      for (let j = 0; j < 9; j++) items.push({ op: 'update', id: `B-${k}`, amount: `${k + 1}${j}.00` });
      items.push({ op: 'change_stage', id: `B-${k}`, stage: 'Qualification', ...(k === 1 ? { if_match: '9' } : {}) });
    }
    // B-99 (revision 0) takes the bad items.
    const bad: [number, unknown][] = [
      [10, { op: 'update', id: 'B-99', amount: '2.00', if_match: '"5"' }], // stale (CONFLICT)
      [200, { op: 'explode', id: 'B-99' }], // unknown op
      [300, { op: 'update', id: 'B-99', amount: '-5.00' }], // negative money
      [400, { op: 'change_stage', id: 'B-99', stage: 'Proposal', next_step: 'call\u0000back' }], // a NUL PostgreSQL refuses
      [500, { op: 'change_stage', id: 'B-99', stage: 'No Such Stage' }],
      [600, { op: 'update', id: 'NOPE', amount: '1.00' }], // unknown deal
      [700, { op: 'update', id: 'THEIRS', amount: '1.00' }], // another rep's deal
      [800, { op: 'reassign', id: 'B-99', owner_id: 'rep-2' }], // reps do not reassign
      [900, 'not an object'],
      [950, { op: 'update', id: 'B-99', amount: '3.00', if_match: 'yesterday' }],
    ];
    for (const [at, item] of bad) items.splice(at, 0, item);
    return { items, bad: bad.map(([at]) => at) };
  }

  it('applies 990 good items and itemises the 10 bad ones; the same request again with its key changes nothing', async () => {
    const { items, bad } = request();
    expect(items).to.have.length(1000);
    const first = await send(rep, 'POST', `${BASE}/bulk`, { items }, { 'Idempotency-Key': 'bulk-1' });
    expect(first.status, JSON.stringify(first.body).slice(0, 500)).to.equal(200);
    expect(first.body).to.include({ total: 1000, succeeded: 990, failed: 10 });
    const failed = first.body.results.filter((r: { status: number }) => r.status !== 200);
    expect(failed.map((r: { index: number }) => r.index)).to.deep.equal(bad);
    const byIndex = (i: number) => first.body.results[i];
    expect(byIndex(10)).to.deep.include({ id: 'B-99', status: 409 });
    expect(byIndex(10).error.code).to.equal('CONFLICT');
    expect(byIndex(200).error).to.include({ code: 'VALIDATION_ERROR' });
    expect(byIndex(300).error.details.fields.map((f: { field: string }) => f.field)).to.deep.equal(['items.300.amount']);
    expect(byIndex(400).error.details.fields.map((f: { field: string }) => f.field)).to.deep.equal(['items.400.next_step']);
    expect(byIndex(500).error.code).to.equal('VALIDATION_ERROR');
    expect(byIndex(600)).to.deep.include({ id: 'NOPE', status: 404 });
    expect([403, 404]).to.include(byIndex(700).status);
    expect(byIndex(800)).to.deep.include({ status: 403 });
    expect(byIndex(900)).to.deep.include({ id: null, status: 400 });
    expect(byIndex(950).error.details.fields[0].field).to.equal('items.950.if_match');
    // Items of one deal ran in their order: the last amount wins, and the stale If-Match failed.
    const b7 = await send(rep, 'GET', `${BASE}/B-7?min_position=${first.body.results.at(-1).result?.position ?? ''}`);
    expect(b7.body).to.include({ amount: '88.00', stage: 'QUALIFICATION', revision: '10' });
    // B-1's stage change carried if_match 9: its ninth update made revision 9, so it applied.
    expect(first.body.results[19]).to.deep.include({ id: 'B-1', status: 200 });
    const lengths = await Promise.all(['B-0', 'B-50', 'B-99'].map(historyLength));
    expect(lengths).to.deep.equal([11, 11, 1]);
    expect((await send(rep, 'GET', `${BASE}/B-0/history`)).body.data.at(-1)).to.include({ actor: 'rep-1' });

    const again = await send(rep, 'POST', `${BASE}/bulk`, { items }, { 'Idempotency-Key': 'bulk-1' });
    expect(again.headers.get('idempotent-replayed')).to.equal('true');
    expect(again.body).to.deep.equal(first.body);
    expect(await Promise.all(['B-0', 'B-50', 'B-99'].map(historyLength))).to.deep.equal(lengths);

    // The request died after applying its items, before its answer was stored: the retry finds
    // each item's outcome in the streams instead of applying it again.
    const db = new pg.Client({ connectionString: app.database.url });
    await db.connect();
    try {
      const left = await db.query("UPDATE idempotency_keys SET status = 'pending', status_code = NULL, response = NULL, updated_at = 'epoch' WHERE key = 'bulk-1'");
      expect(left.rowCount).to.equal(1);
    } finally {
      await db.end();
    }
    const retried = await send(rep, 'POST', `${BASE}/bulk`, { items }, { 'Idempotency-Key': 'bulk-1' });
    expect(retried.body).to.include({ succeeded: 990, failed: 10 });
    const revisions = (r: { body: { results: { result?: { revision: string } }[] } }) => r.body.results.map((x) => x.result?.revision ?? null);
    expect(revisions(retried)).to.deep.equal(revisions(first));
    expect(await Promise.all(['B-0', 'B-50', 'B-99'].map(historyLength))).to.deep.equal(lengths);
  });

  it('refuses a request that is not a list of 1-1,000 items, and a request-wide If-Match', async () => {
    expectError(await send(rep, 'POST', `${BASE}/bulk`, { items: [] }), 400, 'VALIDATION_ERROR');
    expectError(await send(rep, 'POST', `${BASE}/bulk`, { items: Array.from({ length: 1001 }, () => ({ op: 'update', id: 'B-0', amount: '1.00' })) }), 400, 'VALIDATION_ERROR');
    expectError(await send(rep, 'POST', `${BASE}/bulk`, [{ op: 'update' }]), 400, 'VALIDATION_ERROR');
    const ifMatch = expectError(await send(rep, 'POST', `${BASE}/bulk`, { items: [{ op: 'update', id: 'B-0', amount: '1.00' }] }, { 'If-Match': '"3"' }), 400, 'VALIDATION_ERROR');
    expect(ifMatch.details).to.deep.equal({ header: 'If-Match' });
    const compliance = { tenantId: T, userId: 'audit-1', roles: ['compliance'] };
    expectError(await send(compliance, 'POST', `${BASE}/bulk`, { items: [{ op: 'update', id: 'B-0', amount: '1.00' }] }), 403, 'FORBIDDEN');
  });
});
