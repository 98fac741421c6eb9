/**
 * Stream names: `<category>-<tenantId>:<aggregateId>`. EventStoreDB splits a category at the
 * first dash, so the category holds none; tenant ids hold no colon, so the first colon after
 * the category ends the tenant. A tenant's streams of one category share the prefix
 * `<category>-<tenantId>:`, which is how tenant-wide reads filter.
 */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const AGGREGATE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const CATEGORY_PATTERN = /^[a-z][A-Za-z0-9]*$/;

export interface StreamIdentity {
  readonly category: string;
  readonly tenantId: string;
  readonly aggregateId: string;
}

export function streamName({ category, tenantId, aggregateId }: StreamIdentity): string {
  if (!CATEGORY_PATTERN.test(category)) throw new Error(`invalid stream category ${category}`);
  if (!TENANT_ID_PATTERN.test(tenantId)) throw new Error(`invalid tenant id ${tenantId}`);
  if (!AGGREGATE_ID_PATTERN.test(aggregateId)) throw new Error(`invalid aggregate id ${aggregateId}`);
  return `${category}-${tenantId}:${aggregateId}`;
}

export function tenantStreamPrefix(category: string, tenantId: string): string {
  return `${category}-${tenantId}:`;
}

export function parseStreamName(name: string): StreamIdentity | undefined {
  const m = /^([a-z][A-Za-z0-9]*)-([A-Za-z0-9][A-Za-z0-9_-]{0,63}):(.+)$/.exec(name);
  return m ? { category: m[1]!, tenantId: m[2]!, aggregateId: m[3]! } : undefined;
}
