import { expect } from 'chai';
import { migrations } from '../../src/db/migrations/index.js';
import { type TestDatabase, freshDatabase } from '../support/postgres.js';

/**
 * Migration 0104 adds customer_account_updates (every consumed Customer 360 update, for the
 * timeline) and carries over what a database upgraded from before it holds: the latest update
 * per account in customer_accounts, with only the values that update changed.
 */
describe('migration 0104_customer_account_updates', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  const migration = migrations.find((m) => m.name === '0104_customer_account_updates')!;

  before(async () => {
    database = await freshDatabase('mig0104');
  });
  after(async () => {
    await database?.drop();
  });

  it('carries over the latest synced update of each account, only the fields it changed', async () => {
    const db = database.db;
    await migration.down(db); // as before the upgrade
    await db('customer_accounts').insert([
      // name came from an earlier update; this latest one changed segment and primaryContactId only
      {
        tenant_id: 't1',
        customer_id: 'CUST-1',
        changed_fields: JSON.stringify(['segment', 'primaryContactId']),
        updated_by: 'u1',
        updated_at: new Date('2026-02-02T10:00:00Z'),
        event_id: 'e1',
        name: 'Acme',
        status: 'ACTIVE',
        segment: 'SMB',
        primary_contact_id: 'CONT-1',
      },
      { tenant_id: 't2', customer_id: 'CUST-1', changed_fields: JSON.stringify(['name']), updated_by: 'u2', updated_at: new Date('2026-02-03T10:00:00Z'), event_id: 'e2', name: 'Other' },
    ]);
    await migration.up(db);
    const rows = await db('customer_account_updates')
      .select('tenant_id', 'event_id', 'customer_id', 'changed_fields', 'updated_by', 'name', 'status', 'segment', 'primary_contact_id')
      .orderBy('tenant_id');
    expect(rows).to.deep.equal([
      { tenant_id: 't1', event_id: 'e1', customer_id: 'CUST-1', changed_fields: ['segment', 'primaryContactId'], updated_by: 'u1', name: null, status: null, segment: 'SMB', primary_contact_id: 'CONT-1' },
      { tenant_id: 't2', event_id: 'e2', customer_id: 'CUST-1', changed_fields: ['name'], updated_by: 'u2', name: 'Other', status: null, segment: null, primary_contact_id: null },
    ]);
  });
});
