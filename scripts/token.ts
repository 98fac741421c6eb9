import { parseArgs } from 'node:util';
import { hsSecretOf, loadConfig } from '../src/config.js';
import { mintToken } from '../src/access/tokens.js';

/**
 * Mints a development bearer token signed with JWT_SECRET (the development default when unset):
 *   npm run token -- --tenant tenant-001 --user user-200 --roles sales_rep,sales_manager
 * Roles: sales_rep, sales_manager, admin, compliance (case-insensitive; others are ignored).
 */
const { values } = parseArgs({
  options: {
    tenant: { type: 'string', default: 'tenant-001' },
    user: { type: 'string', default: 'user-200' },
    roles: { type: 'string', default: 'sales_rep' },
    expires: { type: 'string', default: '8h' },
  },
});
const config = loadConfig();
const secret = hsSecretOf(config);
if (!secret) {
  process.stderr.write('JWT_JWKS_URL is set without JWT_SECRET: tokens come from the identity provider, none can be minted here\n');
  process.exit(2);
}
const token = await mintToken(
  secret,
  { tenantId: values.tenant, userId: values.user, roles: values.roles.split(',').map((r) => r.trim()).filter(Boolean) },
  { expiresIn: values.expires, ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}), ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}) },
);
process.stdout.write(`${token}\n`);
