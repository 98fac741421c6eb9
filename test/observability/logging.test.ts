import { expect } from 'chai';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { rejoinRequest, observeRequests } from '../../src/http/observe.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { REDACTION, createLogger } from '../../src/shared/logger.js';
import { type TestApp, startTestApp } from '../support/app.js';

/** A logger writing into memory: the JSON lines it wrote, parsed. */
function capture(level: 'debug' | 'info' = 'debug') {
  const raw: string[] = [];
  const log = createLogger(level, { service: 'test' }, { write: (line: string) => void raw.push(line) });
  return { log, raw, lines: () => raw.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>) };
}

describe('Observability: logs', () => {
  it('are JSON lines with ISO time, level name and message; credentials and personal data never appear', () => {
    const { log, raw, lines } = capture();
    log.warn('something about a caller', {
      headers: { authorization: 'Bearer eyJsecret.token.value', 'x-api-key': 'crm_live_KEYSECRET', accept: 'application/json' },
      password: 'hunter2-password',
      config: { JWT_SECRET: 'jwt-secret-value-0123456789abcdef0123' },
      event: { type: 'LeadCreated', data: { companyName: 'Acme GmbH', personalData: { email: 'ann@example.com', phone: '+49 30 1234' } } },
      lead: { email: 'bob@example.com', first_name: 'Bob' },
      body: { personal_data: { name: 'Carla Person' } },
      token: 'raw-token-value',
    });
    const text = raw.join('');
    for (const secret of ['eyJsecret', 'KEYSECRET', 'hunter2', 'jwt-secret-value', 'ann@example.com', '+49 30', 'bob@example.com', 'Bob', 'Carla', 'raw-token-value']) {
      expect(text, secret).not.to.include(secret);
    }
    const [line] = lines();
    expect(line).to.include({ level: 'warn', msg: 'something about a caller', service: 'test' });
    expect(Number.isNaN(Date.parse(line!.time))).to.equal(false);
    expect(line!.headers).to.deep.equal({ authorization: REDACTION, 'x-api-key': REDACTION, accept: 'application/json' });
    expect(line!.event.data).to.deep.equal({ companyName: 'Acme GmbH', personalData: REDACTION });
    expect(line!.password).to.equal(REDACTION);
  });

  it('written while serving a request carry its request id and correlation id, also past the body parser and awaits', async () => {
    const { log, lines } = capture();
    const app = express();
    app.use(observeRequests({ log, metrics: createMetrics({ defaultMetrics: false }), routeOf: () => '/echo' }));
    app.use(express.text({ type: '*/*' }), rejoinRequest);
    app.post('/echo', async (_req, res) => {
      await sleep(5);
      log.info('inside the handler');
      res.json({ ok: true });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/echo`, { method: 'POST', body: 'x'.repeat(100_000), headers: { 'x-correlation-id': 'corr-42' } });
      expect(res.status).to.equal(200);
      const requestId = res.headers.get('x-request-id');
      const inside = lines().find((l) => l.msg === 'inside the handler');
      expect(inside).to.include({ request_id: requestId, correlation_id: 'corr-42' });
    } finally {
      server.close();
    }
  });

  describe('of the service', () => {
    const captured = capture();
    let app: TestApp;
    before(async function () {
      this.timeout(60_000);
      app = await startTestApp({}, { log: captured.log });
    });
    after(async () => app?.stop());

    it('name the tenant and the user of an authenticated request, and never its token', async () => {
      const token = await app.token({ tenantId: 'tenant-log', userId: 'user-log' });
      const res = await app.request('POST', '/api/v1/customers', {
        headers: { authorization: `Bearer ${token}`, 'x-correlation-id': 'corr-service' },
        body: { id: 'LOG-C1', name: 'Logged GmbH', personal_data: { first_name: 'Dora', email: 'dora@example.com' } },
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      const line = captured.lines().find((l) => l.msg === 'request' && l.request_id === res.headers.get('x-request-id'));
      expect(line, 'the request line').to.include({
        correlation_id: 'corr-service',
        tenant_id: 'tenant-log',
        user_id: 'user-log',
        route: '/api/v1/customers',
        status: 201,
      });
      const text = captured.raw.join('');
      expect(text).not.to.include(token.split('.')[2]!);
      expect(text).not.to.include('dora@example.com');
    });
  });
});
