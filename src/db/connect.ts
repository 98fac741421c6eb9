import type { Config } from '../config.js';
import type { Logger } from '../shared/logger.js';
import { DataDirInUseError, type EmbeddedPostgresHandle, embeddedConnectionString, startEmbeddedPostgres } from './embedded.js';

/** DATABASE_URL, or the embedded server under DATA_DIR with the service's database created. */
export async function resolveDatabase(
  config: Config,
  log: Logger,
  options: { shareRunning?: boolean } = {},
): Promise<{ url: string; embedded?: EmbeddedPostgresHandle }> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL };
  if (options.shareRunning) {
    // Tools (replay) run beside a live service: use its embedded server rather than fail.
    try {
      return await startOwn(config, log);
    } catch (err) {
      if (!(err instanceof DataDirInUseError)) throw err;
      log.info('using the embedded PostgreSQL of the running service', { port: config.EMBEDDED_PG_PORT });
      return { url: embeddedConnectionString(config.EMBEDDED_PG_PORT, config.DATABASE_NAME) };
    }
  }
  return startOwn(config, log);
}

async function startOwn(config: Config, log: Logger): Promise<{ url: string; embedded: EmbeddedPostgresHandle }> {
  log.info('DATABASE_URL unset: starting embedded PostgreSQL', { data_dir: config.DATA_DIR, port: config.EMBEDDED_PG_PORT });
  const embedded = await startEmbeddedPostgres({
    dataDir: `${config.DATA_DIR}/pg`,
    port: config.EMBEDDED_PG_PORT,
    log: (line) => log.debug('postgres', { line }),
  });
  const text = await embedded.ensureDatabase(config.DATABASE_NAME);
  if (text.encoding !== 'UTF8' || text.builtinLocale !== 'C.UTF-8') {
    // Made by an older version with the machine's locale; a database is not re-encoded in place.
    const why = text.encoding === 'UTF8' ? 'text compares slower and may sort differently' : `${text.encoding} checks no UTF-8`;
    log.warn(`the embedded database was created with the machine's locale (${why}); dump it and restore it into a new DATABASE_NAME to switch`, {
      database: config.DATABASE_NAME,
      encoding: text.encoding,
      builtin_locale: text.builtinLocale,
    });
  }
  return { url: embedded.connectionStringFor(config.DATABASE_NAME), embedded };
}
