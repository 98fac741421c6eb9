import { expect } from 'chai';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, type JWK, SignJWT, exportJWK, generateKeyPair } from 'jose';
import { type TestApp, startTestApp } from '../support/app.js';
import { BASE, expectError } from './opportunityHelpers.js';

/**
 * Credentials other than the development HS256 token: API keys (seed 004 X-API-Key) and tokens
 * from a real identity provider, verified against a JWKS served on loopback that rotates keys.
 */
describe('HTTP API: API keys', function () {
  this.timeout(60_000);
  let app: TestApp;
  const T = 'tenant-keys';
  const admin = { tenantId: T, userId: 'admin-1', roles: ['admin'] };
  const withKey = (key: string, method: string, path: string, body?: unknown, extra: Record<string, unknown> = {}) =>
    app.request(method, path, { auth: false, headers: { 'x-api-key': key }, ...(body !== undefined ? { body } : {}), ...extra });
  const issue = async (body: Record<string, unknown>) => {
    const res = await app.request('POST', '/api/v1/api-keys', { identity: admin, body });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as { id: string; key: string; roles: string[]; actor: string; position: string };
  };

  before(async () => {
    app = await startTestApp();
  });
  after(async () => app?.stop());

  it('is created by an admin, shown once, used as apikey:<id>, and refused everywhere once revoked', async () => {
    const created = await issue({ name: 'billing sync', roles: ['sales_rep'] });
    expect(created.key).to.match(new RegExp(`^crm\\.${T}\\.${created.id}\\.[A-Za-z0-9_-]{43}$`));
    expect(created).to.include({ actor: `apikey:${created.id}` });

    const made = await withKey(created.key, 'POST', BASE, { id: 'KEY-OPP', customer_id: 'C-1', amount: '10.00' });
    expect(made.status, JSON.stringify(made.body)).to.equal(201);
    const history = await withKey(created.key, 'GET', `${BASE}/KEY-OPP/history`);
    expect(history.body.data[0]).to.include({ actor: `apikey:${created.id}`, api_key_id: created.id });
    // A rep-scoped key sees what its actor owns, and nothing of others.
    const other = await app.request('POST', BASE, { identity: { tenantId: T, userId: 'rep-x', roles: ['sales_rep'] }, body: { id: 'REP-OPP', customer_id: 'C-1', amount: '1.00' } });
    expect((await withKey(created.key, 'GET', `${BASE}/REP-OPP?min_position=${other.body.position}`)).status).to.equal(403);

    // Listed without its secret or hash, with its last use.
    const listed = await app.request('GET', `/api/v1/api-keys?min_position=${made.body.position}`, { identity: admin });
    const entry = listed.body.data.find((k: { id: string }) => k.id === created.id);
    expect(JSON.stringify(listed.body)).not.to.include(created.key.split('.').at(-1));
    expect(entry).to.include({ name: 'billing sync', revoked: false });
    expect(entry).not.to.have.any.keys('key', 'secret_hash');
    expect(entry.last_used_at).to.be.a('string');
    const trail = await app.request('GET', `/api/v1/api-keys/${created.id}/history`, { identity: admin });
    expect(trail.body.data[0].changes).not.to.have.property('secret_hash');

    // Not even an Idempotency-Key replay shows the secret again, nor does the key table hold it.
    const once = await app.request('POST', '/api/v1/api-keys', { identity: admin, headers: { 'idempotency-key': 'key-once' }, body: { name: 'once', roles: ['sales_rep'] } });
    const replay = await app.request('POST', '/api/v1/api-keys', { identity: admin, headers: { 'idempotency-key': 'key-once' }, body: { name: 'once', roles: ['sales_rep'] } });
    expect(once.body.key).to.be.a('string');
    expect(replay.headers.get('idempotent-replayed')).to.equal('true');
    expect(replay.body).to.include({ id: once.body.id, key: null });
    const stored = await app.database.db('idempotency_keys').where({ key: 'key-once' }).first();
    expect(JSON.stringify(stored.response)).not.to.include(once.body.key.split('.').at(-1));
    const state = await app.request('GET', `/api/v1/audit/state?aggregate_type=apiKey&aggregate_id=${created.id}`, { identity: admin });
    expect(state.body.state).not.to.have.property('secret_hash');

    const revoked = await app.request('POST', `/api/v1/api-keys/${created.id}/revoke`, { identity: admin, body: { reason: 'rotated' } });
    expect(revoked.status).to.equal(200);
    expectError(await withKey(created.key, 'GET', BASE), 401, 'UNAUTHORIZED');
    expectError(await withKey(created.key, 'POST', BASE, { customer_id: 'C-1', amount: '1.00' }), 401, 'UNAUTHORIZED');
  });

  it('refuses unknown, malformed, tampered and expired keys with 401', async () => {
    const good = await issue({ name: 'short-lived', roles: ['compliance'], expires_at: new Date(Date.now() + 1500).toISOString() });
    expect((await withKey(good.key, 'GET', BASE)).status).to.equal(200);
    // A compliance key reads but never writes.
    expectError(await withKey(good.key, 'POST', BASE, { customer_id: 'C-1', amount: '1.00' }), 403, 'FORBIDDEN');
    const tampered = `${good.key.slice(0, -1)}${good.key.endsWith('A') ? 'B' : 'A'}`;
    for (const key of ['nonsense', `crm.${T}.00000000-0000-4000-8000-000000000000.${'a'.repeat(43)}`, tampered, good.key.replace(T, 'tenant-other')]) {
      expectError(await withKey(key, 'GET', BASE), 401, 'UNAUTHORIZED');
    }
    await new Promise((r) => setTimeout(r, 1600));
    expectError(await withKey(good.key, 'GET', BASE), 401, 'UNAUTHORIZED');
    expectError(await app.request('POST', '/api/v1/api-keys', { identity: admin, body: { name: 'x', roles: ['root'] } }), 400, 'VALIDATION_ERROR');
    expectError(await app.request('POST', '/api/v1/api-keys', { identity: admin, body: { name: 'x', roles: ['admin'], expires_at: '2001-01-01T00:00:00Z' } }), 400, 'VALIDATION_ERROR');
  });

  it('with a bearer token too: both must be valid and of one tenant; the user acts, the key is recorded', async () => {
    const key = (await issue({ name: 'crm app', roles: ['admin'] })).key;
    const rep = { tenantId: T, userId: 'rep-both', roles: ['sales_rep'] };
    const both = await app.request('POST', BASE, { identity: rep, headers: { 'x-api-key': key }, body: { id: 'BOTH-OPP', customer_id: 'C-1', amount: '3.00' } });
    expect(both.status, JSON.stringify(both.body)).to.equal(201);
    expect(both.body.owner_id).to.equal('rep-both');
    const first = (await app.request('GET', `${BASE}/BOTH-OPP/history`, { identity: rep })).body.data[0];
    expect(first).to.include({ actor: 'rep-both', api_key_id: key.split('.')[2] });
    // The key's admin role lends the rep nothing.
    expect((await app.request('GET', '/api/v1/api-keys', { identity: rep, headers: { 'x-api-key': key } })).status).to.equal(403);
    expectError(await app.request('GET', BASE, { identity: { ...rep, tenantId: 'tenant-else' }, headers: { 'x-api-key': key } }), 401, 'UNAUTHORIZED');
    expectError(await app.request('GET', BASE, { identity: rep, headers: { 'x-api-key': 'crm.bad' } }), 401, 'UNAUTHORIZED');
  });
});

/** A JWKS endpoint on loopback whose keys the test rotates. */
async function jwksServer(): Promise<{ url: string; serve(keys: JWK[]): void; fail(on: boolean): void; fetches(): number; close(): Promise<void> }> {
  let keys: JWK[] = [];
  let fetches = 0;
  let failing = false;
  const server: Server = createServer((req, res) => {
    fetches++;
    if (failing) return void res.writeHead(500).end('down for maintenance');
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    serve: (k) => void (keys = k),
    fail: (on) => void (failing = on),
    fetches: () => fetches,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function keyPair(alg: 'RS256' | 'ES256', kid: string) {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

describe('HTTP API: tokens from an identity provider (JWKS)', function () {
  this.timeout(60_000);
  let app: TestApp;
  let idp: Awaited<ReturnType<typeof jwksServer>>;
  const ISSUER = 'https://idp.example.test/realms/sales';

  // Keycloak-shaped claims: roles under realm_access, the tenant in a custom claim.
  const sign = (k: { alg: string; kid: string; privateKey: CryptoKey }, claims: Record<string, unknown> = {}, iss = ISSUER) =>
    new SignJWT({ org: 'tenant-idp', realm_access: { roles: ['sales_rep', 'offline_access'] }, ...claims })
      .setProtectedHeader({ alg: k.alg, kid: k.kid })
      .setSubject('rep-idp')
      .setIssuer(iss)
      .setAudience('crm-api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(k.privateKey);
  const call = (token: string) => app.request('GET', BASE, { auth: false, headers: { authorization: `Bearer ${token}` } });

  before(async () => {
    idp = await jwksServer();
    app = await startTestApp({
      JWT_SECRET: '', // JWKS only: HS256 is then refused
      JWT_JWKS_URL: idp.url,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: 'crm-api',
      JWT_CLAIM_TENANT: 'org',
      JWT_CLAIM_ROLES: 'realm_access.roles',
      JWT_JWKS_CACHE_MAX_AGE_MS: '1000',
    });
  });
  after(async () => {
    await app?.stop();
    await idp?.close();
  });

  it('accepts RS256 and ES256 tokens of the published keys; after rotation the new key works, the removed one is refused', async () => {
    const rsa1 = await keyPair('RS256', 'rsa-1');
    const ec1 = await keyPair('ES256', 'ec-1');
    idp.serve([rsa1.jwk, ec1.jwk]);
    expect((await call(await sign(rsa1))).status).to.equal(200);
    expect((await call(await sign(ec1))).status).to.equal(200);
    const me = await app.request('GET', '/api/v1/me', { auth: false, headers: { authorization: `Bearer ${await sign(rsa1)}` } });
    expect(me.body).to.deep.include({ tenant_id: 'tenant-idp', user_id: 'rep-idp', roles: ['sales_rep'] });

    const rsa2 = await keyPair('RS256', 'rsa-2');
    idp.serve([rsa2.jwk]);
    expect((await call(await sign(rsa2))).status).to.equal(200);
    expectError(await call(await sign(rsa1)), 401, 'UNAUTHORIZED');
    expectError(await call(await sign(ec1)), 401, 'UNAUTHORIZED');
  });

  it('checks issuer, audience, expiry and the mapped claims; refuses HS256 when only a JWKS is configured', async () => {
    const k = await keyPair('RS256', 'rsa-3');
    idp.serve([k.jwk]);
    expect((await call(await sign(k))).status).to.equal(200);
    expectError(await call(await sign(k, {}, 'https://evil.example.test')), 401, 'UNAUTHORIZED');
    const noTenant = expectError(await call(await sign(k, { org: undefined })), 401, 'UNAUTHORIZED');
    expect(noTenant.details.fields).to.deep.equal(['org']);
    const other = await keyPair('RS256', 'rsa-3'); // same kid, another key: a forgery
    expectError(await call(await sign(other)), 401, 'UNAUTHORIZED');
    expectError(await app.request('GET', BASE), 401, 'UNAUTHORIZED'); // the helper's HS256 token
    // The provider down: the keys fetched before keep working; a key it never served is still refused.
    idp.fail(true);
    await new Promise((r) => setTimeout(r, 1100)); // past the cache age this suite configures
    expect((await call(await sign(k))).status).to.equal(200);
    const fresh = await keyPair('RS256', 'rsa-new');
    expectError(await call(await sign(fresh)), 401, 'UNAUTHORIZED');
    idp.fail(false);
    // Unknown key ids refetch the set, but not without bound.
    const before = idp.fetches();
    for (let i = 0; i < 30; i++) await call(await sign({ ...k, kid: `forged-${i}` }));
    expect(idp.fetches() - before).to.be.at.most(10);
  });
});
