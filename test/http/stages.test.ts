import { expect } from 'chai';
import { type TestApp, startTestApp } from '../support/app.js';
import { BASE as OPPORTUNITIES, POSITION, createOpportunity, expectError, fieldsOf } from './opportunityHelpers.js';

/**
 * The pipeline stage configuration API against the real service: GET/PUT/PATCH round trips,
 * validation, roles, tenant isolation, the audit trail, and the configured transitions
 * enforced on opportunities (seed 004's "Invalid opportunity stage transition").
 */
const STAGES = '/api/v1/pipeline/stages';
const DEFAULT_CODES = ['PROSPECTING', 'QUALIFICATION', 'PROPOSAL', 'NEGOTIATION', 'CLOSED_WON', 'CLOSED_LOST'];

let tenantSeq = 0;
/** Each test its own tenant: the configuration is per tenant, so tests cannot disturb each other. */
const freshTenant = () => `tenant-stg-${++tenantSeq}`;
const admin = (tenantId: string) => ({ tenantId, userId: 'admin-1', roles: ['admin'] });
const manager = (tenantId: string) => ({ tenantId, userId: 'manager-1', roles: ['sales_manager'] });
const rep = (tenantId: string) => ({ tenantId, userId: 'rep-1', roles: ['sales_rep'] });

/** Seed 004's example as a configuration: from PROSPECTING only to QUALIFICATION or PROPOSAL. */
const restrictedSet = {
  stages: [
    { code: 'prospecting', name: 'Prospecting', order: 1, probability: 10, kind: 'open' },
    { code: 'qualification', name: 'Qualification', order: 2, probability: 25, kind: 'open' },
    { code: 'proposal', name: 'Proposal', order: 3, probability: 50, kind: 'open' },
    { code: 'negotiation', name: 'Negotiation', order: 4, probability: 75, kind: 'OPEN' },
    { code: 'closed_won', name: 'Closed won', order: 5, probability: 100, kind: 'won' },
    { code: 'closed_lost', name: 'Closed lost', order: 6, probability: 0, kind: 'lost' },
  ],
  transitions: { prospecting: ['qualification', 'proposal'] },
  aliases: { discovery: 'prospecting' },
};

describe('HTTP API: pipeline stage configuration', function () {
  this.timeout(30_000);
  let app: TestApp;

  before(async function () {
    this.timeout(60_000);
    app = await startTestApp();
  });
  after(async function () {
    this.timeout(60_000);
    await app?.stop();
  });

  const configure = (tenantId: string, body: unknown, headers: Record<string, string> = {}, identity = admin(tenantId)) =>
    app.request('PUT', STAGES, { body, identity, headers });

  describe('read', () => {
    it('a tenant that never configured sees seed 003 defaults, revision -1, every open move allowed', async () => {
      const tenantId = freshTenant();
      const res = await app.request('GET', STAGES, { identity: rep(tenantId) });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.headers.get('etag')).to.equal('"-1"');
      expect(res.body).to.include({ configured: false, revision: '-1', updated_at: null, updated_by: null });
      expect(res.body.stages.map((s: { code: string }) => s.code)).to.deep.equal(DEFAULT_CODES);
      expect(res.body.stages[1]).to.deep.equal({ code: 'QUALIFICATION', name: 'Qualification', order: 2, probability: 25, kind: 'open' });
      expect(res.body.transitions.PROSPECTING).to.deep.equal(DEFAULT_CODES.slice(1));
      expect(res.body.transitions.CLOSED_WON).to.deep.equal([]);
      expect(res.body.aliases).to.deep.equal({ DISCOVERY: 'PROSPECTING' });

      const history = await app.request('GET', `${STAGES}/history`, { identity: rep(tenantId) });
      expect(history.status).to.equal(200);
      expect(history.headers.get('etag')).to.equal('"-1"');
      expect(history.body).to.deep.equal({ data: [] });
    });
  });

  describe('configure', () => {
    it('round trip: PUT normalises, GET returns it with the revision as ETag, the GET body PUT back changes nothing', async () => {
      const tenantId = freshTenant();
      const put = await configure(tenantId, restrictedSet, { 'if-match': '"-1"' });
      expect(put.status, JSON.stringify(put.body)).to.equal(200);
      expect(put.headers.get('etag')).to.equal('"0"');
      expect(put.body).to.include({ configured: true, revision: '0' });
      expect(put.body.position).to.match(POSITION);
      expect(put.body.stages.map((s: { code: string }) => s.code)).to.deep.equal(DEFAULT_CODES);
      expect(put.body.stages[3].kind).to.equal('open');
      expect(put.body.transitions).to.deep.equal({
        PROSPECTING: ['QUALIFICATION', 'PROPOSAL'],
        QUALIFICATION: ['PROSPECTING', 'PROPOSAL', 'NEGOTIATION', 'CLOSED_WON', 'CLOSED_LOST'],
        PROPOSAL: ['PROSPECTING', 'QUALIFICATION', 'NEGOTIATION', 'CLOSED_WON', 'CLOSED_LOST'],
        NEGOTIATION: ['PROSPECTING', 'QUALIFICATION', 'PROPOSAL', 'CLOSED_WON', 'CLOSED_LOST'],
        CLOSED_WON: [],
        CLOSED_LOST: [],
      });
      expect(put.body.aliases).to.deep.equal({ DISCOVERY: 'PROSPECTING' });

      const got = await app.request('GET', STAGES, { identity: rep(tenantId) });
      expect(got.status).to.equal(200);
      expect(got.headers.get('etag')).to.equal('"0"');
      expect(got.body).to.include({ configured: true, revision: '0', updated_by: 'admin-1' });
      expect(Number.isNaN(Date.parse(got.body.updated_at))).to.equal(false);
      for (const key of ['stages', 'transitions', 'aliases']) expect(got.body[key], key).to.deep.equal(put.body[key]);

      const { stages, transitions, aliases } = got.body;
      const again = await configure(tenantId, { stages, transitions, aliases }, { 'if-match': got.headers.get('etag')! }, admin(tenantId));
      expect(again.status, JSON.stringify(again.body)).to.equal(200);
      expect(again.body.revision).to.equal('0');
    });

    it('If-Match with a stale revision → 409 CONFLICT; Idempotency-Key replays the response', async () => {
      const tenantId = freshTenant();
      const first = await configure(tenantId, restrictedSet, { 'idempotency-key': 'stages-1' });
      expect(first.status).to.equal(200);
      const replay = await configure(tenantId, restrictedSet, { 'idempotency-key': 'stages-1' });
      expect(replay.status).to.equal(200);
      expect(replay.headers.get('idempotent-replayed')).to.equal('true');
      expect(replay.body.revision).to.equal('0');

      const stale = await configure(tenantId, { ...restrictedSet, transitions: {} }, { 'if-match': '"-1"' });
      const err = expectError(stale, 409, 'CONFLICT');
      expect(err.details).to.include({ expected_revision: '-1', current_revision: '0' });
    });

    it('request shape errors → 400 naming each field', async () => {
      const tenantId = freshTenant();
      const stage = restrictedSet.stages[0]!;
      const cases: [unknown, string[]][] = [
        [{}, ['stages']],
        [{ stages: [] }, ['stages']],
        [{ stages: [{ ...stage, probability: 'x' }] }, ['stages.0.probability']],
        [{ stages: [{ ...stage, probability: 150 }] }, ['stages.0.probability']],
        [{ stages: [{ ...stage, kind: 'closed' }] }, ['stages.0.kind']],
        [{ stages: [{ ...stage, colour: 'gray' }] }, ['stages.0.colour']],
        [{ stages: restrictedSet.stages, transitions: { PROSPECTING: 'PROPOSAL' } }, ['transitions.PROSPECTING']],
        [{ stages: restrictedSet.stages, extra: true }, ['extra']],
      ];
      for (const [body, fields] of cases) {
        const err = expectError(await configure(tenantId, body), 400, 'VALIDATION_ERROR');
        expect(fieldsOf(err), JSON.stringify(body)).to.deep.equal(fields);
      }
      const probability = expectError(await configure(tenantId, { stages: [{ ...stage, probability: 12.5 }] }), 400, 'VALIDATION_ERROR');
      expect(fieldsOf(probability)).to.deep.equal(['stages.0.probability']);
    });

    it('rule errors → 400 with details.fields: duplicate codes, no won stage, transitions out of a closed stage or to unknown stages', async () => {
      const tenantId = freshTenant();
      const dup = expectError(
        await configure(tenantId, { stages: [...restrictedSet.stages, { code: 'Proposal', name: 'Again', order: 9, probability: 40, kind: 'open' }] }),
        400,
        'VALIDATION_ERROR',
      );
      expect(dup.message).to.equal('Invalid stage configuration');
      expect(fieldsOf(dup)).to.deep.equal(['stages.6.code']);

      const noWon = expectError(await configure(tenantId, { stages: restrictedSet.stages.filter((s) => s.kind !== 'won') }), 400, 'VALIDATION_ERROR');
      expect(noWon.details.fields).to.deep.equal([{ field: 'stages', message: 'at least one won stage is required' }]);

      const closed = expectError(
        await configure(tenantId, { stages: restrictedSet.stages, transitions: { CLOSED_WON: ['PROPOSAL'], PROPOSAL: ['LIMBO'] } }),
        400,
        'VALIDATION_ERROR',
      );
      expect(fieldsOf(closed)).to.deep.equal(['transitions.CLOSED_WON', 'transitions.PROPOSAL']);

      // Nothing was recorded by the refusals.
      const got = await app.request('GET', STAGES, { identity: rep(tenantId) });
      expect(got.body.revision).to.equal('-1');
    });

    it('only an admin changes the stages: a sales_rep or sales_manager may read them → 403 FORBIDDEN; no token → 401', async () => {
      const tenantId = freshTenant();
      const put = expectError(await configure(tenantId, restrictedSet, {}, rep(tenantId)), 403, 'FORBIDDEN');
      expect(put.details).to.deep.equal({ resource: 'stages', action: 'write', required_roles: ['admin'] });
      expectError(await configure(tenantId, restrictedSet, {}, manager(tenantId)), 403, 'FORBIDDEN');
      expect((await app.request('GET', STAGES, { identity: manager(tenantId) })).status).to.equal(200);
      // The role is checked before the body: a forbidden caller learns nothing of validation.
      expectError(await configure(tenantId, { nonsense: 1 }, {}, rep(tenantId)), 403, 'FORBIDDEN');
      expectError(await app.request('PATCH', `${STAGES}/PROPOSAL`, { body: { probability: 40 }, identity: rep(tenantId) }), 403, 'FORBIDDEN');
      expectError(await app.request('PUT', STAGES, { body: restrictedSet, auth: false }), 401, 'UNAUTHORIZED');
      expectError(await app.request('GET', STAGES, { auth: false }), 401, 'UNAUTHORIZED');
      expect((await app.request('GET', STAGES, { identity: rep(tenantId) })).body.revision).to.equal('-1');
    });

    it('tenants are isolated: one tenant’s configuration and history are invisible to another', async () => {
      const a = freshTenant();
      const b = freshTenant();
      expect((await configure(a, restrictedSet)).status).to.equal(200);
      const other = await app.request('GET', STAGES, { identity: rep(b) });
      expect(other.body).to.include({ configured: false, revision: '-1' });
      expect(other.body.transitions.PROSPECTING).to.deep.equal(DEFAULT_CODES.slice(1));
      expect((await app.request('GET', `${STAGES}/history`, { identity: rep(b) })).body.data).to.deep.equal([]);
      expect((await app.request('GET', `${STAGES}/history`, { identity: rep(a) })).body.data).to.have.length(1);
    });
  });

  describe('update one stage', () => {
    it('PATCH changes name and probability; new opportunities take the new default probability', async () => {
      const tenantId = freshTenant();
      const patched = await app.request('PATCH', `${STAGES}/qualification`, { body: { probability: 30, name: 'Qualified' }, identity: admin(tenantId) });
      expect(patched.status, JSON.stringify(patched.body)).to.equal(200);
      // A never-configured tenant first records the defaults, then the change: two events.
      expect(patched.body.revision).to.equal('1');
      expect(patched.body.stages[1]).to.deep.equal({ code: 'QUALIFICATION', name: 'Qualified', order: 2, probability: 30, kind: 'open' });

      const opp = await createOpportunity(app, { stage: 'qualification' }, { identity: { tenantId } });
      expect(opp.body.probability).to.equal(30);

      expectError(await app.request('PATCH', `${STAGES}/LIMBO`, { body: { probability: 30 }, identity: admin(tenantId) }), 404, 'NOT_FOUND');
      expectError(await app.request('PATCH', `${STAGES}/CLOSED_WON`, { body: { probability: 90 }, identity: admin(tenantId) }), 400, 'VALIDATION_ERROR');
      const empty = expectError(await app.request('PATCH', `${STAGES}/PROPOSAL`, { body: {}, identity: admin(tenantId) }), 400, 'VALIDATION_ERROR');
      expect(empty.details.fields[0].message).to.match(/nothing to update/);
    });
  });

  describe('audit trail', () => {
    it('every change with its actor, correlation id and the set in force from that revision', async () => {
      const tenantId = freshTenant();
      expect((await configure(tenantId, restrictedSet, { 'x-correlation-id': 'corr-stages-1' })).status).to.equal(200);
      const patch = await app.request('PATCH', `${STAGES}/PROPOSAL`, { body: { probability: 55 }, identity: admin(tenantId) });
      expect(patch.status).to.equal(200);

      const res = await app.request('GET', `${STAGES}/history`, { identity: { tenantId, roles: ['compliance'] } });
      expect(res.status).to.equal(200);
      expect(res.headers.get('etag')).to.equal('"1"');
      const [first, second] = res.body.data;
      expect(res.body.data).to.have.length(2);
      expect(first).to.include({ event_type: 'PipelineStagesConfiguredEvent', revision: '0', actor: 'admin-1', correlation_id: 'corr-stages-1' });
      expect(first.changes.transitions.PROSPECTING).to.deep.equal(['QUALIFICATION', 'PROPOSAL']);
      expect(first.stage_set.stages[2].probability).to.equal(50);
      expect(second).to.include({ event_type: 'PipelineStageUpdatedEvent', revision: '1', actor: 'admin-1' });
      expect(second.changes).to.deep.equal({ stage_code: 'PROPOSAL', changed_fields: ['probability'], probability: 55 });
      expect(second.stage_set.stages[2].probability).to.equal(55);
      expect(second.stage_set.transitions).to.deep.equal(first.stage_set.transitions);
    });
  });

  describe('transitions enforced on opportunities', () => {
    it('PROSPECTING may only go to QUALIFICATION or PROPOSAL: a move to CLOSED_WON is seed 004 "Invalid opportunity stage transition"', async () => {
      const tenantId = freshTenant();
      expect((await configure(tenantId, restrictedSet)).status).to.equal(200);
      const opp = await createOpportunity(app, { stage: 'discovery' }, { identity: { tenantId } });
      expect(opp.body.stage).to.equal('PROSPECTING');

      const res = await app.request('PUT', `${OPPORTUNITIES}/${opp.id}/stage`, { body: { stage: 'CLOSED_WON' }, identity: { tenantId } });
      const err = expectError(res, 400, 'VALIDATION_ERROR');
      expect(err.message).to.equal('Invalid opportunity stage transition');
      expect(err.details).to.deep.equal({ current_stage: 'PROSPECTING', requested_stage: 'CLOSED_WON', allowed_stages: ['QUALIFICATION', 'PROPOSAL'] });

      // A close is a move to the won stage: refused the same way.
      const close = expectError(
        await app.request('POST', `${OPPORTUNITIES}/${opp.id}/close`, { body: { outcome: 'won' }, identity: { tenantId } }),
        400,
        'VALIDATION_ERROR',
      );
      expect(close.details).to.deep.equal(err.details);

      const moved = await app.request('PUT', `${OPPORTUNITIES}/${opp.id}/stage`, { body: { stage: 'proposal' }, identity: { tenantId } });
      expect(moved.status, JSON.stringify(moved.body)).to.equal(200);
      expect(moved.body).to.include({ stage: 'PROPOSAL', revision: '1' });
      const won = await app.request('PUT', `${OPPORTUNITIES}/${opp.id}/stage`, { body: { stage: 'closed won' }, identity: { tenantId } });
      expect(won.status, JSON.stringify(won.body)).to.equal(200);
      expect(won.body).to.include({ stage: 'CLOSED_WON', status: 'won' });
    });

    it('another tenant keeps the defaults: PROSPECTING → CLOSED_WON is allowed there', async () => {
      const configured = freshTenant();
      const other = freshTenant();
      expect((await configure(configured, restrictedSet)).status).to.equal(200);
      const opp = await createOpportunity(app, { stage: 'PROSPECTING' }, { identity: { tenantId: other } });
      const res = await app.request('PUT', `${OPPORTUNITIES}/${opp.id}/stage`, { body: { stage: 'CLOSED_WON' }, identity: { tenantId: other } });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.status).to.equal('won');
    });

    it('a reconfiguration takes effect on the very next command', async () => {
      const tenantId = freshTenant();
      const opp = await createOpportunity(app, { stage: 'PROSPECTING' }, { identity: { tenantId } });
      expect((await configure(tenantId, restrictedSet)).status).to.equal(200);
      expectError(
        await app.request('PUT', `${OPPORTUNITIES}/${opp.id}/stage`, { body: { stage: 'NEGOTIATION' }, identity: { tenantId } }),
        400,
        'VALIDATION_ERROR',
      );
      expect((await configure(tenantId, { ...restrictedSet, transitions: {} })).status).to.equal(200);
      const res = await app.request('PUT', `${OPPORTUNITIES}/${opp.id}/stage`, { body: { stage: 'NEGOTIATION' }, identity: { tenantId } });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
    });
  });

  it('OpenAPI lists the stage endpoints', async () => {
    const res = await app.request('GET', '/openapi.json', { auth: false });
    expect(res.status).to.equal(200);
    expect(res.body.paths[STAGES]).to.have.keys('get', 'put');
    expect(res.body.paths[`${STAGES}/history`]).to.have.keys('get');
    expect(res.body.paths[`${STAGES}/{code}`]).to.have.keys('patch');
  });
});
