import { expect } from 'chai';
import type { TestApp, TestResponse } from '../support/app.js';

/** Shared assertions of the Opportunity HTTP suites (not a test file itself). */

export const BASE = '/api/v1/opportunities';

export const POSITION = /^\d+\/\d+$/;

/**
 * The seed 004 error envelope, exactly: {error:{code,message,details,request_id,timestamp}},
 * with the status the code maps to and the request id the response header carries.
 */
export function expectError(res: TestResponse, status: number, code: string): Record<string, any> {
  expect(res.status, `status of ${JSON.stringify(res.body)}`).to.equal(status);
  expect(res.headers.get('content-type') ?? '').to.match(/^application\/json/);
  expect(res.body).to.be.an('object').with.keys(['error']);
  const error = res.body.error;
  expect(error).to.have.all.keys('code', 'message', 'details', 'request_id', 'timestamp');
  expect(error.code).to.equal(code);
  expect(error.message).to.be.a('string').and.not.equal('');
  expect(error.details).to.be.an('object');
  expect(error.request_id).to.be.a('string').and.not.equal('');
  expect(error.timestamp).to.be.a('string');
  expect(Number.isNaN(Date.parse(error.timestamp)), 'timestamp is ISO-8601').to.equal(false);
  return error;
}

/** The field names a zod failure reports in details.fields. */
export function fieldsOf(error: Record<string, any>): string[] {
  expect(error.details.fields, 'details.fields').to.be.an('array').that.is.not.empty;
  return (error.details.fields as { field: string; message: string }[]).map((f) => f.field);
}

export interface CreatedOpportunity {
  readonly id: string;
  readonly etag: string;
  readonly position: string;
  readonly body: any;
}

/** POSTs an opportunity and insists on 201; returns what the later steps need. */
export async function createOpportunity(
  app: TestApp,
  body: Record<string, unknown>,
  options: { identity?: { tenantId?: string; userId?: string }; headers?: Record<string, string> } = {},
): Promise<CreatedOpportunity> {
  const res = await app.request('POST', BASE, {
    body: { customer_id: 'CUST-1', amount: '1000.00', currency: 'USD', ...body },
    ...(options.identity ? { identity: options.identity } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
  });
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  expect(res.body.position).to.match(POSITION);
  return { id: res.body.id, etag: res.headers.get('etag')!, position: res.body.position, body: res.body };
}

/** The stream's events, from GET /:id/history (strongly consistent: read from the stream). */
export async function historyOf(app: TestApp, id: string, identity?: { tenantId?: string }): Promise<any[]> {
  const res = await app.request('GET', `${BASE}/${id}/history`, identity ? { identity } : {});
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  expect(res.body.id).to.equal(id);
  return res.body.data;
}
