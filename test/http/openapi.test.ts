import { expect } from 'chai';
import type { z } from 'zod';
import { API_ENDPOINTS as API_ROUTES } from '../../src/http/endpoints/index.js';
import { type TestApp, type TestResponse, startTestApp } from '../support/app.js';
import { BASE } from './opportunityHelpers.js';

/**
 * The OpenAPI document is what clients are generated from: every answer an endpoint can give is
 * in it, and the answers the service really gives have the declared shapes.
 */
describe('HTTP API: the OpenAPI document', function () {
  this.timeout(60_000);
  let app: TestApp;
  let doc: { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }>; security: unknown[] }>> };
  before(async () => {
    app = await startTestApp();
    doc = (await app.request('GET', '/openapi.json', { auth: false })).body;
  });
  after(async () => app?.stop());

  it('declares, for every operation, its success body and every error it can answer (403 and 503 included)', () => {
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`;
        const codes = Object.keys(op.responses);
        expect(codes, where).to.include.members(['400', '401', '403', '404', '429', '503']);
        if (method !== 'get') expect(codes, where).to.include('409');
        const success = codes.find((c) => c.startsWith('2'))!;
        const content = Object.values(op.responses[success]!.content ?? {})[0];
        expect(content?.schema, `${where} success schema`).to.be.an('object');
        expect(op.security, where).to.deep.equal([{ bearer: [] }, { apiKey: [] }]);
      }
    }
  });

  it('lists every endpoint exactly once, and each refuses a caller without a known role', async () => {
    const seen = new Set(API_ROUTES.map((r) => `${r.method} ${r.path}`));
    expect(seen.size).to.equal(API_ROUTES.length);
    for (const r of API_ROUTES) {
      const path = r.path.replace(/\{(\w+)\}/g, 'X-1');
      const res = await app.request(r.method.toUpperCase(), path, { identity: { roles: ['guest'] }, ...(r.method === 'get' ? {} : { body: {} }) });
      expect(res.status, `${r.method} ${path}`).to.equal(403);
    }
  });

  it('answers have the shapes the document declares', async () => {
    const check = (method: string, template: string, res: TestResponse) => {
      const route = API_ROUTES.find((r) => r.method === method && r.path === template);
      expect(route, `${method} ${template} is documented`).to.not.equal(undefined);
      expect(res.status, `${method} ${template}: ${JSON.stringify(res.body)}`).to.equal(route!.success === 201 && res.status === 200 ? 200 : route!.success);
      const parsed = (route!.response as z.ZodType).safeParse(res.body);
      expect(parsed.success, `${method} ${template}: ${parsed.error?.message}`).to.equal(true);
      return res;
    };
    const call = async (method: string, template: string, path: string, body?: unknown) =>
      check(method, template, await app.request(method.toUpperCase(), path, body === undefined ? {} : { body }));

    await call('post', '/api/v1/customers', '/api/v1/customers', { id: 'OA-C', name: 'Shape Co', personal_data: { email: 'a@example.com' } });
    const opp = await call('post', '/api/v1/opportunities', BASE, { id: 'OA-1', customer_id: 'OA-C', amount: '10.00', expected_close_date: '2026-02-01' });
    const wait = `min_position=${opp.body.position}`;
    await call('put', '/api/v1/opportunities/{id}/stage', `${BASE}/OA-1/stage`, { stage: 'proposal' });
    await call('put', '/api/v1/opportunities/{id}/owner', `${BASE}/OA-1/owner`, { owner_id: 'user-9' });
    await call('get', '/api/v1/opportunities', `${BASE}?${wait}`);
    await call('get', '/api/v1/opportunities/{id}', `${BASE}/OA-1?${wait}`);
    await call('get', '/api/v1/opportunities/{id}/history', `${BASE}/OA-1/history`);
    await call('get', '/api/v1/opportunities/pipeline', `${BASE}/pipeline?period=Q1_2026&${wait}`);
    await call('get', '/api/v1/analytics/win-loss', '/api/v1/analytics/win-loss');
    await call('get', '/api/v1/analytics/sales-metrics', '/api/v1/analytics/sales-metrics?period=Q1_2026');
    await call('get', '/api/v1/customers/{id}', `/api/v1/customers/OA-C?${wait}`);
    await call('get', '/api/v1/customers', `/api/v1/customers?${wait}`);
    await call('put', '/api/v1/customers/{id}/consents/{type}', '/api/v1/customers/OA-C/consents/email', { status: 'granted' });
    const lead = await call('post', '/api/v1/leads', '/api/v1/leads', { id: 'OA-L', source: 'web', email: 'l@example.com', industry: 'Technology', employee_count: 500, annual_revenue: 50000000, title: 'VP Engineering' });
    await call('get', '/api/v1/leads/{id}', `/api/v1/leads/OA-L?min_position=${lead.body.position}`);
    await call('get', '/api/v1/leads/{id}/score', `/api/v1/leads/OA-L/score?min_position=${lead.body.position}`);
    await call('post', '/api/v1/leads/{id}/qualify', '/api/v1/leads/OA-L/qualify', {});
    await call('post', '/api/v1/leads/{id}/convert', '/api/v1/leads/OA-L/convert', { amount: '5.00' });
    const fc = await call('post', '/api/v1/forecasts', '/api/v1/forecasts', { id: 'OA-F', period: 'Q1_2026', forecast_type: 'commit', amount: '100.00' });
    await call('post', '/api/v1/forecasts/{id}/snapshots', '/api/v1/forecasts/OA-F/snapshots', {});
    await call('get', '/api/v1/forecasts/{id}', `/api/v1/forecasts/OA-F?min_position=${fc.body.position}`);
    await call('get', '/api/v1/forecasts', `/api/v1/forecasts?min_position=${fc.body.position}`);
    await call('post', '/api/v1/teams', '/api/v1/teams', { id: 'OA-T', name: 'Team', manager_id: 'm-1', member_ids: ['user-9'] });
    await call('get', '/api/v1/me', '/api/v1/me');
    const key = await call('post', '/api/v1/api-keys', '/api/v1/api-keys', { name: 'shape', roles: ['sales_rep'] });
    await call('get', '/api/v1/api-keys', `/api/v1/api-keys?min_position=${key.body.position}`);
    await call('get', '/api/v1/pipeline/stages', '/api/v1/pipeline/stages');
    await call('get', '/api/v1/audit/state', '/api/v1/audit/state?aggregate_type=opportunity&aggregate_id=OA-1');
  });
});
