import { expect } from 'chai';
import { type TestApp, startTestApp } from '../support/app.js';
import { BASE, createOpportunity, expectError, historyOf } from './opportunityHelpers.js';

/**
 * Racing writers through the HTTP API (If-Match, creates, Idempotency-Key), and the bounded
 * read-your-writes wait. This app waits at most 300 ms for its read model.
 */
describe('HTTP API: opportunities, concurrency and read-your-writes', function () {
  this.timeout(30_000);
  const MAX_WAIT_MS = 300;
  let app: TestApp;

  before(async function () {
    this.timeout(60_000);
    app = await startTestApp({ MAX_CONSISTENCY_WAIT_MS: String(MAX_WAIT_MS) });
  });
  after(async function () {
    this.timeout(60_000);
    await app?.stop();
  });

  const expectGaplessRevisions = (history: any[]) =>
    expect(history.map((e) => e.revision)).to.deep.equal(history.map((_, i) => String(i)));

  describe('concurrent writers', () => {
    it('50 stage changes with the same If-Match: exactly one 200, 49 × 409 CONFLICT, one event', async () => {
      const c = await createOpportunity(app, { id: 'RACE-STAGE', stage: 'QUALIFICATION' });
      expect(c.etag).to.equal('"0"');
      const targets = ['PROPOSAL', 'NEGOTIATION', 'PROSPECTING'];
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          app.request('PUT', `${BASE}/RACE-STAGE/stage`, { body: { stage: targets[i % 3] }, headers: { 'if-match': c.etag } }),
        ),
      );
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 200), JSON.stringify(statuses)).to.have.length(1);
      expect(statuses.filter((s) => s === 409), JSON.stringify(statuses)).to.have.length(49);
      for (const r of responses.filter((x) => x.status === 409)) {
        const err = expectError(r, 409, 'CONFLICT');
        expect(err.details).to.include({ expected_revision: '0', current_revision: '1' });
      }
      const winner = responses.find((r) => r.status === 200)!;
      expect(winner.headers.get('etag')).to.equal('"1"');

      const history = await historyOf(app, 'RACE-STAGE');
      expectGaplessRevisions(history);
      expect(history.map((e) => e.event_type)).to.deep.equal(['OpportunityCreatedEvent', 'OpportunityStageChangedEvent']);
      expect(history[1]).to.include({ from_stage: 'QUALIFICATION', to_stage: winner.body.stage });
      const got = await app.request('GET', `${BASE}/RACE-STAGE?min_position=${winner.body.position}`);
      expect(got.body).to.include({ stage: winner.body.stage, revision: '1' });
    });

    it('30 concurrent PATCHes without If-Match: each 200 or 409, every 200 its own revision, no gaps', async () => {
      await createOpportunity(app, { id: 'RACE-PATCH', amount: '0.00' });
      const responses = await Promise.all(
        Array.from({ length: 30 }, (_, i) => app.request('PATCH', `${BASE}/RACE-PATCH`, { body: { amount: `${i + 1}.00` } })),
      );
      const ok = responses.filter((r) => r.status === 200);
      for (const r of responses.filter((x) => x.status !== 200)) expectError(r, 409, 'CONFLICT');
      expect(ok.length).to.be.greaterThan(0);
      const revisions = ok.map((r) => Number(r.body.revision));
      expect(new Set(revisions).size, `revisions ${revisions}`).to.equal(ok.length);

      const history = await historyOf(app, 'RACE-PATCH');
      expectGaplessRevisions(history);
      expect(history).to.have.length(ok.length + 1);
      // Each success is the event at its revision, with its own amount.
      for (const r of ok) expect(history[Number(r.body.revision)].changes.amount).to.equal(r.body.amount);
      const lastWriter = ok.reduce((a, b) => (Number(a.body.revision) > Number(b.body.revision) ? a : b));
      const got = await app.request('GET', `${BASE}/RACE-PATCH?min_position=${lastWriter.body.position}`);
      expect(got.body).to.include({ amount: lastWriter.body.amount, revision: String(ok.length) });
    });

    it('20 concurrent creates of one id: exactly one 201, the rest 409 CONFLICT', async () => {
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          app.request('POST', BASE, { body: { id: 'RACE-CREATE', customer_id: `CUST-${i}`, amount: `${i}.00` } }),
        ),
      );
      const created = responses.filter((r) => r.status === 201);
      expect(created).to.have.length(1);
      for (const r of responses.filter((x) => x.status !== 201)) expectError(r, 409, 'CONFLICT');
      const history = await historyOf(app, 'RACE-CREATE');
      expect(history).to.have.length(1);
      expect(history[0].changes.customer_id).to.equal(created[0]!.body.customer_id);
    });

    it('10 concurrent POSTs with one Idempotency-Key: one execution, the others replay or wait', async () => {
      const responses = await Promise.all(
        Array.from({ length: 10 }, () =>
          app.request('POST', BASE, {
            body: { id: 'RACE-IDEM', customer_id: 'CUST-1', amount: '42.00' },
            headers: { 'idempotency-key': 'race-key-1' },
          }),
        ),
      );
      const fresh = responses.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === null);
      expect(fresh, JSON.stringify(responses.map((r) => r.status))).to.have.length(1);
      for (const r of responses) {
        if (r.status === 201) expect(r.body).to.deep.equal(fresh[0]!.body);
        else expect(expectError(r, 409, 'CONFLICT').details.idempotency_key).to.equal('race-key-1');
      }
      expect(await historyOf(app, 'RACE-IDEM')).to.have.length(1);
      const replay = await app.request('POST', BASE, {
        body: { id: 'RACE-IDEM', customer_id: 'CUST-1', amount: '42.00' },
        headers: { 'idempotency-key': 'race-key-1' },
      });
      expect(replay.status).to.equal(201);
      expect(replay.headers.get('idempotent-replayed')).to.equal('true');
      expect(replay.body).to.deep.equal(fresh[0]!.body);
    });
  });

  describe('read-your-writes (min_position)', () => {
    it('a malformed min_position → 400 VALIDATION_ERROR', async () => {
      for (const p of ['abc', '1/2/3', '-1/0', '12', '1/x', '']) {
        const one = await app.request('GET', `${BASE}/ANY?min_position=${encodeURIComponent(p)}`);
        expect(expectError(one, 400, 'VALIDATION_ERROR').details.field, p).to.equal('min_position');
        expectError(await app.request('GET', `${BASE}?min_position=${encodeURIComponent(p)}`), 400, 'VALIDATION_ERROR');
      }
      expectError(await app.request('GET', BASE, { headers: { 'x-min-position': 'soon' } }), 400, 'VALIDATION_ERROR');
    });

    it('a position the read model has reached answers at once', async () => {
      const c = await createOpportunity(app, { id: 'RYW-OK' });
      const got = await app.request('GET', `${BASE}/RYW-OK?min_position=${c.position}`);
      expect(got.status, JSON.stringify(got.body)).to.equal(200);
      expect(got.body.id).to.equal('RYW-OK');
      expect((await app.request('GET', `${BASE}?min_position=0/0`)).status).to.equal(200);
    });

    it('a position past the end of the log → 400 at once: no command answered with it', async () => {
      const future = '999999999/1';
      for (const [path, headers] of [
        [`${BASE}/RYW-OK?min_position=${encodeURIComponent(future)}`, {}],
        [`${BASE}?min_position=${encodeURIComponent(future)}`, {}],
        [`${BASE}/RYW-OK`, { 'x-min-position': future }],
      ] as [string, Record<string, string>][]) {
        const started = performance.now();
        const err = expectError(await app.request('GET', path, { headers }), 400, 'VALIDATION_ERROR');
        expect(err.details).to.deep.include({ field: 'min_position', min_position: future });
        expect(performance.now() - started).to.be.below(MAX_WAIT_MS);
      }
    });

    it('a real position the read model cannot reach in time → 503 SERVICE_UNAVAILABLE after the configured bound', async () => {
      // A transaction left open holds back what the event store lets readers see (it might
      // still commit below), so the projection cannot pass the next command's position.
      const blocker = await app.database.db.transaction();
      try {
        await blocker.raw('select pg_current_xact_id()');
        const c = await createOpportunity(app, { id: 'RYW-HELD' });
        for (const [path, headers] of [
          [`${BASE}/RYW-HELD?min_position=${encodeURIComponent(c.position)}`, {}],
          [`${BASE}/RYW-HELD`, { 'x-min-position': c.position }],
        ] as [string, Record<string, string>][]) {
          const started = performance.now();
          const res = await app.request('GET', path, { headers });
          const elapsed = performance.now() - started;
          const err = expectError(res, 503, 'SERVICE_UNAVAILABLE');
          expect(err.details).to.deep.equal({ min_position: c.position, waited_ms: MAX_WAIT_MS });
          expect(res.headers.get('retry-after')).to.equal('1');
          expect(elapsed, `${path} waited ${elapsed} ms`).to.be.within(MAX_WAIT_MS - 20, MAX_WAIT_MS + 2_000);
        }
        await blocker.rollback();
        expect((await app.request('GET', `${BASE}/RYW-HELD?min_position=${encodeURIComponent(c.position)}`)).status).to.equal(200);
      } finally {
        if (!blocker.isCompleted()) await blocker.rollback();
      }
    });
  });
});
