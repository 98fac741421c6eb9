import type { Knex } from 'knex';
import { API_KEYS_TABLE } from './apiKeys.js';

export interface ApiKeyRow {
  tenant_id: string;
  key_id: string;
  name: string;
  roles: string[];
  expires_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  revision: string;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  last_used_at: Date | null;
}

const withUsage = (db: Knex, tenantId: string) =>
  db(`${API_KEYS_TABLE} as k`)
    .leftJoin('api_key_usage as u', function () {
      this.on('u.tenant_id', 'k.tenant_id').andOn('u.key_id', 'k.key_id');
    })
    .where('k.tenant_id', tenantId)
    .select('k.*', 'u.last_used_at');

export async function getApiKey(db: Knex, tenantId: string, keyId: string): Promise<ApiKeyRow | undefined> {
  return (await withUsage(db, tenantId).where('k.key_id', keyId).first()) as ApiKeyRow | undefined;
}

export async function listApiKeys(
  db: Knex,
  tenantId: string,
  filters: { includeRevoked: boolean },
  page: { limit: number; offset: number },
): Promise<{ rows: ApiKeyRow[]; total: number }> {
  const where = (q: Knex.QueryBuilder) => (filters.includeRevoked ? q : q.whereNull('k.revoked_at'));
  const [rows, count] = await Promise.all([
    withUsage(db, tenantId).modify(where).orderBy([{ column: 'k.created_at', order: 'desc' }, { column: 'k.key_id' }]).limit(page.limit).offset(page.offset),
    db(`${API_KEYS_TABLE} as k`).where('k.tenant_id', tenantId).modify(where).count<{ count: string }[]>({ count: '*' }),
  ]);
  return { rows: rows as ApiKeyRow[], total: Number(count[0]?.count ?? 0) };
}

/** Records that a key authenticated a request (at most once a minute per key and process). */
export async function touchApiKey(db: Knex, tenantId: string, keyId: string, at: Date): Promise<void> {
  await db('api_key_usage')
    .insert({ tenant_id: tenantId, key_id: keyId, last_used_at: at })
    .onConflict(['tenant_id', 'key_id'])
    .merge(['last_used_at']);
}
