import type { TestApp } from '../support/app.js';

/** Helpers of the GraphQL suites (not a test file itself). */
export interface Who {
  readonly tenantId: string;
  readonly userId: string;
  readonly roles: string[];
}

export interface GraphQLAnswer {
  readonly status: number;
  // The suites read fields freely; the shapes are what they assert.
  readonly data: any;
  readonly errors: { message: string; path?: string[]; extensions: { code: string; details: any; request_id: string } }[] | undefined;
}

export async function gql(app: TestApp, who: Who, query: string, variables?: Record<string, unknown>): Promise<GraphQLAnswer> {
  const res = await app.request('POST', '/graphql', { identity: who, body: { query, ...(variables ? { variables } : {}) } });
  return { status: res.status, data: res.body?.data, errors: res.body?.errors };
}

/** The one error an answer carries, with its code and the fields it names. */
export function onlyError(answer: GraphQLAnswer) {
  if (!answer.errors || answer.errors.length !== 1) throw new Error(`expected one error, got ${JSON.stringify(answer.errors ?? answer.data)}`);
  const e = answer.errors[0]!;
  const fields = ((e.extensions.details?.fields ?? []) as { field: string }[]).map((f) => f.field);
  return { code: e.extensions.code, fields, message: e.message, requestId: e.extensions.request_id };
}
