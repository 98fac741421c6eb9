import { expect } from 'chai';
import { comparePositions, parsePosition } from '../../src/eventstore/port.js';
import { TABLE, positionOf } from '../../src/subscriptions/checkpoints.js';
import { QUOTA_ATTAINMENT } from '../../src/workflows/quotaAttainment.js';
import { subscriptionName } from '../../src/workflows/workflow.js';
import { type TestApp, startTestApp } from '../support/app.js';
import { eventually, restartWorkflowsFromZero } from './support.js';

/**
 * Seed 004's quota.attained end to end: the real service with its workflows; the attainment is
 * a QuotaAttainedEvent in the quota's stream, appended once per quota amount reached, whatever
 * replays.
 */
describe('workflow: quota attainment', function () {
  this.timeout(120_000);
  let app: TestApp;
  const T = 'tenant-qa';
  const admin = { tenantId: T, userId: 'admin-1', roles: ['admin'] };
  const rep = { tenantId: T, userId: 'rep-1', roles: ['sales_rep'] };
  const SUB = subscriptionName(QUOTA_ATTAINMENT);

  before(async () => {
    app = await startTestApp();
  });
  after(async () => app?.stop());

  const ok = async (who: typeof admin, method: string, path: string, body?: unknown) => {
    const res = await app.request(method, path, { identity: who, ...(body !== undefined ? { body } : {}) });
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).to.be.oneOf([200, 201]);
    return res.body;
  };
  const deal = (id: string, amount: string) =>
    ok(rep, 'POST', '/api/v1/opportunities', { id, customer_id: 'C-QA', amount, territory_id: 'T-EAST', expected_close_date: '2026-03-30' });
  const win = (id: string, closeDate: string) => ok(rep, 'POST', `/api/v1/opportunities/${id}/close`, { outcome: 'won', close_date: closeDate });
  const attained = async (quotaId: string) =>
    ((await ok(admin, 'GET', `/api/v1/quotas/${quotaId}/history`)).data as { event_type: string; actor: string; changes: Record<string, string> }[]).filter(
      (e) => e.event_type === 'QuotaAttainedEvent',
    );
  /** The workflow has handled everything in the log (its checkpoint at the head, and the head still). */
  const settled = () =>
    eventually('the workflow at the head of the log', async () => {
      const head = parsePosition((await app.request('GET', '/health', { auth: false })).body.event_store_head as string)!;
      const row = (await app.app.db(TABLE).where({ name: SUB }).first()) as { position_commit: string; position_prepare: string } | undefined;
      return row && comparePositions(positionOf(row), head) >= 0 ? true : undefined;
    });

  let ownerQuota = '';
  let territoryQuota = '';

  it('closing the deals that cross a quota appends one QuotaAttainedEvent, by the workflow, for the owner and for the territory', async () => {
    ownerQuota = (await ok(admin, 'PUT', '/api/v1/quotas', { owner_id: 'rep-1', period: 'Q1_2026', amount: '1000.00' })).id;
    territoryQuota = (await ok(admin, 'PUT', '/api/v1/quotas', { territory_id: 'T-EAST', period: '2026', amount: '1100.00' })).id;
    await deal('QA-1', '600.00');
    await deal('QA-2', '500.00');
    await deal('QA-3', '150.00');
    await win('QA-1', '2026-02-10');
    await settled();
    expect(await attained(ownerQuota), 'not reached yet').to.deep.equal([]);

    await win('QA-2', '2026-03-01');
    const [event] = await eventually('the attainment', async () => ((await attained(ownerQuota)).length > 0 ? attained(ownerQuota) : undefined));
    expect(event!.actor).to.equal('system:workflow:quota-attainment');
    expect(event!.changes).to.include({ quota_amount: '1000.00', won_amount: '1100.00', currency: 'USD', attainment: '1.1000', owner_id: 'rep-1' });
    const territory = await eventually('the territory attainment', async () => ((await attained(territoryQuota)).length > 0 ? attained(territoryQuota) : undefined));
    expect(territory[0]!.changes).to.include({ quota_amount: '1100.00', won_amount: '1100.00', attainment: '1.0000' });

    await settled();
    expect(await attained(ownerQuota)).to.have.length(1);
    expect(await attained(territoryQuota)).to.have.length(1);
    const quota = await ok(admin, 'GET', `/api/v1/quotas/${ownerQuota}`);
    expect(quota).to.include({ attained_quota_amount: '1000.00', attainment: '1.1000' });
    expect(quota.attained_at).to.be.a('string');
  });

  it('a replay of the workflow from position 0 appends nothing more', async () => {
    await restartWorkflowsFromZero(app, SUB);
    await settled();
    expect(await attained(ownerQuota)).to.have.length(1);
    expect(await attained(territoryQuota)).to.have.length(1);
  });

  it('a quota raised above the won amount is attained once more when reached; lowering it never re-attains', async () => {
    await ok(admin, 'PATCH', `/api/v1/quotas/${ownerQuota}`, { amount: '1200.00' });
    await settled();
    expect(await attained(ownerQuota)).to.have.length(1);
    await win('QA-3', '2026-03-15');
    await eventually('the second attainment', async () => ((await attained(ownerQuota)).length === 2 ? true : undefined));
    await ok(admin, 'PATCH', `/api/v1/quotas/${ownerQuota}`, { amount: '900.00' });
    await restartWorkflowsFromZero(app, SUB);
    await settled();
    const all = await attained(ownerQuota);
    expect(all.map((e) => [e.changes.quota_amount, e.changes.won_amount])).to.deep.equal([
      ['1000.00', '1100.00'],
      ['1200.00', '1250.00'],
    ]);
  });
});
