import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { verifyChains } from '../../src/compliance/verify.js';
import { SCHEMA_VERSION, toEventToAppend } from '../../src/eventstore/envelope.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { localKeyWrapper } from '../../src/privacy/keyWrapper.js';
import { sealExistingPersonalData } from '../../src/privacy/sealExisting.js';
import { createSubjectVault } from '../../src/privacy/subjects.js';
import { appPerSuite } from '../support/app.js';

/**
 * A log written before personal data was sealed (an upgrade): erasure refuses to pretend, the
 * one-off seal encrypts the old events in place and re-chains them, and erasure then works.
 */
describe('Privacy: sealing personal data written before encryption', function () {
  this.timeout(60_000);
  const suite = appPerSuite();
  const dpo = { roles: ['compliance'] as const, userId: 'dpo-3' };
  const person = { firstName: 'Olga', lastName: 'Legacy', email: 'olga.legacy@example.org', phone: '+43-1-5550-321' };

  it('refuses to erase unsealed data, seals it with the chain recomputed, and then erases it', async () => {
    const raw = createPostgresEventStore({ connection: suite.app.database.url });
    try {
      // As the service wrote it before: LeadCreatedEvent with the person in the clear, then a score.
      const created = { leadId: 'LEAD-OLD', source: 'webinar', ownerId: 'user-200', territoryId: null, companyName: 'Alt AG', title: null, industry: null, employeeCount: null, annualRevenue: null, currency: null, marketingScore: null, metadata: {}, personalData: person, createdAt: '2025-06-01T10:00:00.000Z' };
      const env = { aggregateId: 'LEAD-OLD', tenantId: 'tenant-001', timestamp: new Date('2025-06-01T10:00:00Z'), metadata: { correlationId: randomUUID(), causationId: null, userId: 'user-200', schemaVersion: SCHEMA_VERSION } };
      await raw.append('lead-tenant-001:LEAD-OLD', [toEventToAppend({ type: 'LeadCreatedEvent', data: created }, { ...env, eventId: randomUUID() })], 'no_stream');
      const scored = { leadId: 'LEAD-OLD', score: 10, breakdown: { companySize: 0, industry: 0, budget: 0, timeline: 0, decisionMaker: 10 }, basis: {}, rubricVersion: 1, timeline: null };
      await raw.append('lead-tenant-001:LEAD-OLD', [toEventToAppend({ type: 'LeadScoredEvent', data: scored }, { ...env, eventId: randomUUID() })], 0n);

      const refused = await suite.app.request('POST', '/api/v1/privacy/erasures', { identity: dpo, body: { lead_id: 'LEAD-OLD' } });
      expect(refused.status, JSON.stringify(refused.body)).to.equal(409);
      expect(refused.body.error.details.reason).to.equal('UNSEALED_PERSONAL_DATA');

      const result = await sealExistingPersonalData(suite.app.database.db, createSubjectVault(suite.app.database.db, localKeyWrapper(undefined)));
      expect(result).to.deep.equal({ sealed: 1, streams: 1 });
      const { rows } = await suite.app.database.db.raw(`select data::text as data from es_events where stream_id = 'lead-tenant-001:LEAD-OLD'`);
      expect(JSON.stringify(rows)).not.to.match(/Olga|Legacy|olga\.legacy|5550-321/);
      const report = await verifyChains(raw, { kind: 'stream', streamId: 'lead-tenant-001:LEAD-OLD' });
      expect(report.broken).to.deep.equal([]);
      const state = await suite.app.request('GET', '/api/v1/audit/state?aggregate_type=lead&aggregate_id=LEAD-OLD', { identity: dpo });
      expect(state.body.state.personal_data, 'still readable with its key').to.deep.equal({ first_name: 'Olga', last_name: 'Legacy', email: person.email, phone: person.phone });
      expect(await sealExistingPersonalData(suite.app.database.db, createSubjectVault(suite.app.database.db, localKeyWrapper(undefined))), 'a second run').to.deep.equal({ sealed: 0, streams: 0 });

      const erased = await suite.app.request('POST', '/api/v1/privacy/erasures', { identity: dpo, body: { email: person.email } });
      expect(erased.status, JSON.stringify(erased.body)).to.equal(201);
      const after = await suite.app.request('GET', '/api/v1/audit/state?aggregate_type=lead&aggregate_id=LEAD-OLD', { identity: dpo });
      expect(JSON.stringify(after.body)).not.to.match(/Olga|Legacy|olga\.legacy|5550-321/);
    } finally {
      await raw.close();
    }
  });
});
