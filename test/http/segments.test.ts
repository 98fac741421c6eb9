import { expect } from 'chai';
import { appPerSuite } from '../support/app.js';
import { expectError, fieldsOf } from './opportunityHelpers.js';

/**
 * The segment definitions API against the real service: defaults, PUT/GET round trip, roles,
 * validation in the seed 004 envelope, If-Match, the audit trail, tenant isolation.
 */
const SEGMENTS = '/api/v1/segments';
let tenantSeq = 0;
const freshTenant = () => `tenant-segdef-${++tenantSeq}`;
const admin = (tenantId: string) => ({ tenantId, userId: 'admin-1', roles: ['admin'] });
const manager = (tenantId: string) => ({ tenantId, userId: 'manager-1', roles: ['sales_manager'] });
const rep = (tenantId: string) => ({ tenantId, userId: 'rep-1', roles: ['sales_rep'] });

const keyAccounts = {
  code: 'key accounts',
  name: 'Key accounts',
  criteria: { industry: ['Technology'], revenue: { min: 1000000.5 }, lifecycle: ['active'], behavior: { min_slipped_deals: 2 } },
};

describe('HTTP API: segment definitions', function () {
  this.timeout(30_000);
  const suite = appPerSuite();

  it("a tenant that never configured sees seed 003's four segments, revision -1", async () => {
    const res = await suite.app.request('GET', SEGMENTS, { identity: rep(freshTenant()) });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.headers.get('etag')).to.equal('"-1"');
    expect(res.body).to.include({ configured: false, revision: '-1', updated_by: null });
    expect(res.body.segments.map((s: { code: string }) => s.code)).to.deep.equal(['ENTERPRISE', 'SMB', 'HIGH_VALUE', 'AT_RISK']);
    expect(res.body.segments[3].criteria).to.deep.equal({
      industry: null,
      company_size: null,
      revenue: null,
      lifecycle: ['ACTIVE'],
      behavior: { no_activity_days: 90, min_slipped_deals: 1, match: 'any' },
    });
  });

  it('an admin replaces the set (normalised, exact decimals); GET shows it; the history names the actor; re-sending records nothing', async () => {
    const tenantId = freshTenant();
    const put = await suite.app.request('PUT', SEGMENTS, { body: { segments: [keyAccounts] }, identity: admin(tenantId), headers: { 'if-match': '"-1"' } });
    expect(put.status, JSON.stringify(put.body)).to.equal(200);
    expect(put.body).to.include({ configured: true, revision: '0' });
    const got = (await suite.app.request('GET', SEGMENTS, { identity: rep(tenantId) })).body;
    expect(got).to.include({ revision: '0', updated_by: 'admin-1' });
    expect(got.segments).to.deep.equal([
      {
        code: 'KEY_ACCOUNTS',
        name: 'Key accounts',
        criteria: {
          industry: ['Technology'],
          company_size: null,
          revenue: { min: '1000000.50', max: null },
          lifecycle: ['ACTIVE'],
          behavior: { no_activity_days: null, min_slipped_deals: 2, match: 'any' },
        },
      },
    ]);
    // GET, edit nothing, PUT back: no change, no event.
    const again = await suite.app.request('PUT', SEGMENTS, { body: { segments: got.segments }, identity: admin(tenantId) });
    expect(again.body.revision).to.equal('0');
    const history = (await suite.app.request('GET', `${SEGMENTS}/history`, { identity: rep(tenantId) })).body.data;
    expect(history).to.have.length(1);
    expect(history[0]).to.include({ event_type: 'SegmentsConfiguredEvent', actor: 'admin-1', revision: '0' });
    expect(history[0].segment_set.segments[0].code).to.equal('KEY_ACCOUNTS');
    // Another tenant still has the defaults.
    expect((await suite.app.request('GET', SEGMENTS, { identity: rep(freshTenant()) })).body.configured).to.equal(false);
  });

  it('only admins change the set (403 otherwise); a stale If-Match is 409', async () => {
    const tenantId = freshTenant();
    expectError(await suite.app.request('PUT', SEGMENTS, { body: { segments: [] }, identity: manager(tenantId) }), 403, 'FORBIDDEN');
    expectError(await suite.app.request('PUT', SEGMENTS, { body: { segments: [] }, identity: rep(tenantId) }), 403, 'FORBIDDEN');
    expectError(await suite.app.request('PUT', SEGMENTS, { body: { segments: [] }, identity: admin(tenantId), headers: { 'if-match': '"3"' } }), 409, 'CONFLICT');
  });

  it('bad definitions answer 400 VALIDATION_ERROR naming each field, never 500', async () => {
    const tenantId = freshTenant();
    const shape = expectError(
      await suite.app.request('PUT', SEGMENTS, {
        body: { segments: [{ code: 'X', name: 'X', criteria: { revenue: { min: '1.005' }, lifecycle: ['GONE'], company_size: { min_employees: -1 }, colour: 'red' } }] },
        identity: admin(tenantId),
      }),
      400,
      'VALIDATION_ERROR',
    );
    expect(fieldsOf(shape)).to.include.members(['segments.0.criteria.revenue.min', 'segments.0.criteria.lifecycle.0', 'segments.0.criteria.company_size.min_employees']);
    const rules = expectError(
      await suite.app.request('PUT', SEGMENTS, {
        body: {
          segments: [
            { code: 'A', name: 'A', criteria: {} },
            { code: 'a', name: 'A again', criteria: { company_size: { min_employees: 10, max_employees: 5 } } },
          ],
        },
        identity: admin(tenantId),
      }),
      400,
      'VALIDATION_ERROR',
    );
    expect(fieldsOf(rules)).to.deep.equal(['segments.0.criteria', 'segments.1.code', 'segments.1.criteria.company_size']);
    expectError(await suite.app.request('PUT', SEGMENTS, { rawBody: '{"segments": [', identity: admin(tenantId) }), 400, 'VALIDATION_ERROR');
  });
});
