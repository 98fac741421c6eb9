import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROLES } from '../src/access/roles.js';
import { mintToken } from '../src/access/tokens.js';
import { startApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { createLogger } from '../src/shared/logger.js';

/**
 * npm run fuzz [-- --seconds 120 --checks not_a_server_error]
 * Fuzzes every operation of the OpenAPI document and every GraphQL query and mutation with
 * schemathesis (PyPI: pip install schemathesis), once with a token of each role, against the service on a throwaway embedded
 * PostgreSQL. Exits non-zero when a run finds a failure.
 */
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    checks: { type: 'string', default: 'not_a_server_error,status_code_conformance' },
    schemathesis: { type: 'string', default: process.env.SCHEMATHESIS ?? 'schemathesis' },
  },
});
if (spawnSync(values.schemathesis, ['--version']).status !== 0) {
  process.stderr.write(`${values.schemathesis} not found: pip install schemathesis (or --schemathesis <path>)\n`);
  process.exit(2);
}

const dir = await mkdtemp(path.join(tmpdir(), 'crm-fuzz-'));
await chmod(dir, 0o755); // PostgreSQL runs as its own OS user
const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: 55400 + Math.floor(Math.random() * 500) });
await pg.ensureDatabase('fuzz');
const secret = 'fuzz-secret-0123456789abcdef0123456789abcdef';
const config = loadConfig({
  PORT: '0',
  HOST: '127.0.0.1',
  DATABASE_URL: pg.connectionStringFor('fuzz'),
  JWT_SECRET: secret,
  LOG_LEVEL: 'error',
  // Fuzzing is a flood by design; the limits have suites of their own.
  RATE_LIMIT_PER_MINUTE: '0',
  RATE_LIMIT_BURST_PER_SECOND: '0',
  RATE_LIMIT_GLOBAL_PER_MINUTE: '0',
});
const app = await startApp(config, createLogger('error'));
let failed = 0;
try {
  for (const role of ROLES) {
    const token = await mintToken(secret, { tenantId: 'tenant-fuzz', userId: `fuzz-${role}`, roles: [role] });
    // REST from its OpenAPI document; GraphQL from introspection, with our own check
    // (fuzz_graphql_hooks.py: no 5xx, every error with a seed 004 code, none internal).
    for (const [what, target, checks] of [
      ['REST', `${app.url}/openapi.json`, values.checks],
      ['GraphQL', `${app.url}/graphql`, 'seed004_error_codes'],
    ] as const) {
      process.stdout.write(`\n== ${what}, ${role}\n`);
      // Asynchronously: the service answers from this very process meanwhile.
      const run = spawn(
        values.schemathesis,
        ['run', target, '-H', `Authorization: Bearer ${token}`, '--checks', checks, '--max-time', values.seconds, '--suppress-health-check', 'all'],
        { stdio: 'inherit', env: { ...process.env, PYTHONPATH: import.meta.dirname, SCHEMATHESIS_HOOKS: 'fuzz_graphql_hooks' } },
      );
      const status = await new Promise<number | null>((resolve) => run.on('exit', resolve));
      if (status !== 0) failed++;
    }
  }
} finally {
  await app.stop();
  await pg.stop();
  await rm(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
