import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { createCommandHandler } from '../../src/commands/handler.js';
import { finishErasures } from '../../src/commands/erasures.js';
import { stageSetOf } from '../../src/commands/load.js';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.js';
import { localKeyWrapper } from '../../src/privacy/keyWrapper.js';
import { personalDataLayer } from '../../src/privacy/layer.js';
import { appPerSuite } from '../support/app.js';

/**
 * Who a piece of personal data belongs to (src/privacy/subjects.ts), seen from the API: the same
 * person across a changed email, different people on one record, an export that never shows
 * someone else, a refused write that leaves no trace, an interrupted erasure finished later.
 */
describe('Privacy: data subjects', function () {
  this.timeout(60_000);
  const suite = appPerSuite();
  const dpo = { roles: ['compliance'] as const, userId: 'dpo-4' };
  const req = (method: string, path: string, body?: unknown, identity?: object) => suite.app.request(method, path, { ...(body !== undefined ? { body } : {}), ...(identity ? { identity } : {}) });
  const lead = (id: string, first: string, email: string) => ({ id, source: 'webinar', first_name: first, last_name: 'Tester', email, phone: '+1-555-0111', company: 'Co', title: 'VP Engineering', industry: 'Technology', employee_count: 500, annual_revenue: 50000000 });
  const convert = async (id: string) => {
    expect((await req('POST', `/api/v1/leads/${id}/qualify`)).status).to.equal(200);
    const c = await req('POST', `/api/v1/leads/${id}/convert`, { opportunity_name: id, amount: 10, expected_close_date: '2026-09-30' });
    expect(c.status, JSON.stringify(c.body)).to.equal(201);
    return c.body.customer_id as string;
  };

  it('a person whose email changed on the customer is still erased with the lead they came from', async () => {
    expect((await req('POST', '/api/v1/leads', lead('L-BERTA', 'Berta', 'berta@old.example'))).status).to.equal(201);
    const customerId = await convert('L-BERTA');
    const patched = await req('PATCH', `/api/v1/customers/${customerId}`, { personal_data: { email: 'berta@new.example' } });
    expect(patched.status, JSON.stringify(patched.body)).to.equal(200);
    const erased = await req('POST', '/api/v1/privacy/erasures', { lead_id: 'L-BERTA' }, dpo);
    expect(erased.status, JSON.stringify(erased.body)).to.equal(201);
    const customer = await req('GET', `/api/v1/customers/${customerId}?min_position=${erased.body.position}`);
    expect(customer.body.personal_data).to.equal(null);
    const history = await req('GET', `/api/v1/customers/${customerId}/history`);
    expect(JSON.stringify(history.body)).not.to.match(/Berta|berta@/);
  });

  it("an export never shows the record's next contact person, and two people without email on one record stay two", async () => {
    expect((await req('POST', '/api/v1/leads', lead('L-CARLA', 'Carla', 'carla@example.org'))).status).to.equal(201);
    const customerId = await convert('L-CARLA');
    expect((await req('PATCH', `/api/v1/customers/${customerId}`, { personal_data: { first_name: 'Dora', last_name: 'Next', email: 'dora@example.org', phone: '+1-555-0999' } })).status).to.equal(200);
    const carla = await req('GET', '/api/v1/privacy/subjects/L-CARLA/export', undefined, dpo);
    expect(carla.status).to.equal(200);
    expect(JSON.stringify(carla.body)).to.include('carla@example.org');
    expect(JSON.stringify(carla.body)).not.to.match(/Dora|dora@|555-0999/);

    expect((await req('POST', '/api/v1/customers', { id: 'CUST-N', name: 'N', personal_data: { first_name: 'Hanna', phone: '+1-555-0001' } })).status).to.equal(201);
    expect((await req('PATCH', '/api/v1/customers/CUST-N', { personal_data: { first_name: 'Ingo', phone: '+1-555-0002' } })).status).to.equal(200);
    const subjects = await suite.app.database.db('privacy_subject_streams').where({ stream_id: 'customerProfile-tenant-001:CUST-N' });
    expect(subjects).to.have.length(2);
  });

  it('a refused write leaves no trace, so erasing again stays a no-op', async () => {
    expect((await req('POST', '/api/v1/leads', lead('L-ERNA', 'Erna', 'erna@example.org'))).status).to.equal(201);
    expect((await req('POST', '/api/v1/privacy/erasures', { email: 'erna@example.org' }, dpo)).status).to.equal(201);
    expect((await req('POST', '/api/v1/leads', lead('L-ERNA-2', 'Erna', 'erna@example.org'))).status).to.equal(409);
    const again = await req('POST', '/api/v1/privacy/erasures', { email: 'erna@example.org' }, dpo);
    expect(again.status, JSON.stringify(again.body)).to.equal(200);
    expect(again.body.records).to.deep.equal([{ type: 'lead', id: 'L-ERNA' }]);
  });

  it('an erasure interrupted after its keys were destroyed is finished from the log at the next start', async () => {
    const created = await req('POST', '/api/v1/leads', lead('L-FRIDA', 'Frida', 'frida@example.org'));
    expect(created.status).to.equal(201);
    const { database } = suite.app;
    const raw = createPostgresEventStore({ connection: database.url });
    const layer = personalDataLayer(raw, database.db, undefined);
    try {
      const [row] = await database.db('privacy_subject_refs').join('privacy_subject_streams', 'privacy_subject_refs.subject_id', 'privacy_subject_streams.subject_id').where({ stream_id: 'lead-tenant-001:L-FRIDA' }).select('privacy_subject_refs.subject_id');
      // The read model has her before the crash (a projection reading after it would read her as erased).
      expect((await req('GET', `/api/v1/leads/L-FRIDA?min_position=${created.body.position}`)).body.first_name).to.equal('Frida');
      // The crash: the key is gone, no event says so, the read model still shows her.
      await layer.vault.destroy('tenant-001', [row.subject_id], 'dpo-4', { requestedBy: 'lead', requestedFor: 'L-FRIDA', reason: null });
      expect((await req('GET', `/api/v1/leads/L-FRIDA?min_position=${created.body.position}`)).body.first_name).to.equal('Frida');
      const app = { ...layer, db: database.db, execute: createCommandHandler({ store: layer.store }), stageSetFor: (t: string) => stageSetOf(layer.store, t) };
      expect(await finishErasures(app)).to.equal(1);
      expect(await finishErasures(app), 'nothing left').to.equal(0);
      const [erasure] = await raw.readStream(`dataSubject-tenant-001:${row.subject_id}`);
      expect(erasure!.metadata.userId).to.equal('dpo-4');
      const got = await req('GET', `/api/v1/leads/L-FRIDA?min_position=${erasure!.position.commit}/${erasure!.position.prepare}`);
      expect(got.body.first_name).to.equal(null);
    } finally {
      await raw.close();
    }
  });

  it('a rotated master key still unwraps the keys the previous one wrapped, and a wrong one is named', async () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const old = localKeyWrapper(a);
    const material = randomBytes(32);
    const wrapped = await old.wrap(material);
    expect((await localKeyWrapper(b, a).unwrap(wrapped, old.name)).equals(material)).to.equal(true);
    await localKeyWrapper(b)
      .unwrap(wrapped, old.name)
      .then(
        () => expect.fail('unwrapped with the wrong master key'),
        (err: Error) => expect(err.message).to.match(/PRIVACY_MASTER_KEY_PREVIOUS/),
      );
  });
});
