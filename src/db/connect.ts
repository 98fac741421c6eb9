import type { Config } from '../config.js';
import type { Logger } from '../shared/logger.js';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from './embedded.js';

/** DATABASE_URL, or the embedded server under DATA_DIR with the service's database created. */
export async function resolveDatabase(
  config: Config,
  log: Logger,
): Promise<{ url: string; embedded?: EmbeddedPostgresHandle }> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL };
  log.info('DATABASE_URL unset: starting embedded PostgreSQL', { data_dir: config.DATA_DIR, port: config.EMBEDDED_PG_PORT });
  const embedded = await startEmbeddedPostgres({
    dataDir: `${config.DATA_DIR}/pg`,
    port: config.EMBEDDED_PG_PORT,
    log: (line) => log.debug('postgres', { line }),
  });
  await embedded.ensureDatabase(config.DATABASE_NAME);
  return { url: embedded.connectionStringFor(config.DATABASE_NAME), embedded };
}
