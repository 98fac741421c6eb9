import { expect } from 'chai';
import { SignJWT } from 'jose';
import { TokenError, createTokenVerifier, mintToken } from '../../src/access/tokens.js';

/** Verified HS256 tokens are remembered (issue 14); what a fresh verification refuses stays refused. */
describe('token verification, remembered', () => {
  const secret = 'cache-secret-0123456789abcdef0123456789';
  const verify = createTokenVerifier({ hsSecret: secret });

  it('answers a token seen before with the same identity, and still refuses a tampered copy of it', async () => {
    const token = await mintToken(secret, { tenantId: 'tenant-001', userId: 'user-1', roles: ['sales_rep'] });
    const first = await verify(token);
    expect(await verify(token)).to.deep.equal(first);
    const [h, p, s] = token.split('.');
    const other = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'user-2' })).toString('base64url');
    const err = await verify(`${h}.${other}.${s}`).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(TokenError);
  });

  it('checks the signature once for requests that arrive together with a new token, and refuses every one of a bad token', async () => {
    const subtle = globalThis.crypto.subtle;
    const original = subtle.verify.bind(subtle);
    let checks = 0;
    subtle.verify = (...args: Parameters<SubtleCrypto['verify']>) => {
      checks++;
      return original(...args);
    };
    try {
      const token = await mintToken(secret, { tenantId: 'tenant-001', userId: 'user-3', roles: ['sales_rep'] });
      const identities = await Promise.all(Array.from({ length: 20 }, () => verify(token)));
      expect(new Set(identities.map((i) => i.userId))).to.deep.equal(new Set(['user-3']));
      expect(checks).to.equal(1);
      const bad = `${token.slice(0, -4)}AAAA`;
      const refused = await Promise.all(Array.from({ length: 5 }, () => verify(bad).catch((e: unknown) => e)));
      expect(refused.every((e) => e instanceof TokenError)).to.equal(true);
      // A failure is not remembered: the next attempt checks again.
      await verify(bad).catch(() => undefined);
      expect(checks).to.equal(3);
    } finally {
      subtle.verify = original;
    }
  });

  it('refuses a remembered token once it has expired', async () => {
    const exp = Math.floor(Date.now() / 1000) + 1;
    const token = await new SignJWT({ tenant_id: 'tenant-001', roles: ['sales_rep'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('user-1')
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(secret));
    await verify(token);
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
    const err = await verify(token).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(TokenError).with.property('reason', 'token expired');
  });
});
