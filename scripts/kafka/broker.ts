/**
 * A real Apache Kafka broker for tests and local runs, without Docker.
 *
 * The broker jars come from Maven Central (fetched once into .cache/kafka/<version>/libs with
 * a project-local Maven repository, so a fresh machine needs only Java 17 and Maven). Each start
 * runs one combined-mode KRaft node (broker + controller) on loopback in a child JVM.
 *
 *   npx tsx scripts/kafka/broker.ts fetch   # download the jars only
 *   npx tsx scripts/kafka/broker.ts start   # prints KAFKA_BROKERS=127.0.0.1:<port>, runs until SIGINT/SIGTERM
 *        [--port N] [--controller-port N] [--data-dir DIR]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Admin } from '@platformatic/kafka';

/**
 * Newest 3.9.x on Maven Central (3.9.0, 3.9.1, 3.9.2 exist). 3.9 is the last line before 4.0,
 * which dropped old protocol API versions (KIP-896), so clients of either generation (kafkajs,
 * which the bridge used first, and @platformatic/kafka) work against it; scripts/kafka/verify.ts
 * shows the bridge's transport doing so.
 */
export const KAFKA_VERSION = '3.9.2';
// Kafka's own distribution ships these versions of the logging backend for 3.9.
const SLF4J_VERSION = '1.7.36';
const RELOAD4J_VERSION = '1.2.25';
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE = path.join(ROOT, '.cache');
const KAFKA_HOME = path.join(CACHE, 'kafka', KAFKA_VERSION);
const LIBS = path.join(KAFKA_HOME, 'libs');
const MARKER = path.join(LIBS, '.complete');

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
const TAIL_LINES = 200;

export interface StartBrokerOptions {
  /** PLAINTEXT listener port; a free ephemeral port by default. */
  port?: number;
  /** KRaft controller listener port; a free ephemeral port by default. */
  controllerPort?: number;
  /** log.dirs; reused as-is when it is already formatted. A fresh temp dir (removed on stop) by default. */
  dataDir?: string;
  /** Receives every line the broker JVM prints. */
  log?: (line: string) => void;
}

export interface BrokerHandle {
  /** Bootstrap address: "127.0.0.1:<port>". */
  readonly brokers: string;
  stop(): Promise<void>;
}

/** Fetch progress goes to stderr: it happens once per machine and is slow, so it should be seen. */
function progress(message: string): void {
  process.stderr.write(`[kafka] ${message}\n`);
}

/** Runs a command; resolves with its exit code, feeding each output line to onLine. */
function runLines(cmd: string, args: string[], cwd: string, onLine: (line: string) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    pipeLines(child, onLine);
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 1));
  });
}

function pipeLines(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) onLine(line.trimEnd());
    });
    stream.on('end', () => {
      if (buffered) onLine(buffered.trimEnd());
    });
  }
}

function pomXml(): string {
  const dep = (g: string, a: string, v: string) =>
    `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.crm</groupId>
  <artifactId>kafka-broker-libs</artifactId>
  <version>${KAFKA_VERSION}</version>
  <packaging>pom</packaging>
  <dependencies>
${dep('org.apache.kafka', 'kafka_2.13', KAFKA_VERSION)}
    <!-- kafka_2.13's POM carries no logging backend; the distribution adds these two. -->
${dep('org.slf4j', 'slf4j-reload4j', SLF4J_VERSION)}
${dep('ch.qos.reload4j', 'reload4j', RELOAD4J_VERSION)}
  </dependencies>
</project>
`;
}

/**
 * Downloads the broker jars into .cache/kafka/<version>/libs unless the completion marker is
 * there. Copies into a temp dir and renames it into place, so a concurrent or interrupted fetch
 * never leaves a half-filled libs dir that looks complete. Returns the libs dir.
 */
export async function fetchKafka(): Promise<string> {
  if (existsSync(MARKER)) return LIBS;
  requireMaven();
  await mkdir(KAFKA_HOME, { recursive: true });
  await writeFile(path.join(KAFKA_HOME, 'pom.xml'), pomXml());

  const staging = `libs.tmp-${process.pid}`;
  await rm(path.join(KAFKA_HOME, staging), { recursive: true, force: true });
  const started = Date.now();
  progress(`fetching Apache Kafka ${KAFKA_VERSION} jars with Maven into ${LIBS} (first run only, takes a minute or two)`);

  const tail: string[] = [];
  let downloaded = 0;
  let lastReport = Date.now();
  const code = await runLines(
    'mvn',
    [
      '-B',
      `-Dmaven.repo.local=${path.join(CACHE, 'm2')}`,
      `${DEPENDENCY_PLUGIN}:copy-dependencies`,
      `-DoutputDirectory=${staging}`,
      '-DincludeScope=runtime',
    ],
    KAFKA_HOME,
    (line) => {
      tail.push(line);
      if (tail.length > 60) tail.shift();
      // Batch mode prints one "[INFO] Downloaded from central: <url> (size ...)" line per file.
      if (line.includes('] Downloaded from ')) {
        downloaded++;
        if (Date.now() - lastReport > 5_000) {
          lastReport = Date.now();
          const file = /\/([^/\s]+) \(/.exec(line)?.[1] ?? '';
          progress(`  ${downloaded} files downloaded, ${Math.round((Date.now() - started) / 1000)} s (${file})`);
        }
      }
    },
  );
  if (code !== 0) {
    await rm(path.join(KAFKA_HOME, staging), { recursive: true, force: true });
    throw new Error(`Maven failed to fetch Kafka ${KAFKA_VERSION} (exit ${code}):\n${tail.join('\n')}`);
  }
  await writeFile(path.join(KAFKA_HOME, staging, '.complete'), `${new Date().toISOString()}\n`);
  // A libs dir without the marker is debris from an older or manual fetch: replace it.
  if (!existsSync(MARKER)) await rm(LIBS, { recursive: true, force: true });
  try {
    await rename(path.join(KAFKA_HOME, staging), LIBS);
  } catch (err) {
    // Another process finished first; its copy is as good as ours.
    await rm(path.join(KAFKA_HOME, staging), { recursive: true, force: true });
    if (!existsSync(MARKER)) throw err;
  }
  progress(`fetched ${downloaded} files in ${Math.round((Date.now() - started) / 1000)} s`);
  return LIBS;
}

/** Asks the OS for `count` distinct free loopback ports (all held open until each is known). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no TCP address');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** A Kafka cluster id: 16 random bytes, base64url without padding (as StorageTool random-uuid makes). */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    // Kafka's generator rejects ids starting with '-' so they never look like CLI flags.
    if (!id.startsWith('-')) return id;
  }
}

function javaBin(): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

const INSTALL_HINT = 'install them with: sudo apt-get install openjdk-17-jre-headless maven';

/** A missing prerequisite: its message says what to install, and a stack trace would only bury it. */
export class MissingToolError extends Error {
  override name = 'MissingToolError';
  constructor(message: string) {
    super(message);
    this.stack = `${this.name}: ${message}`;
  }
}

/** Fails with one clear message unless `java` (17 or newer) runs. */
function requireJava(): void {
  const bin = javaBin();
  const where = process.env.JAVA_HOME ? `JAVA_HOME=${process.env.JAVA_HOME}` : 'PATH';
  const run = spawnSync(bin, ['-version'], { encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    throw new MissingToolError(`The Kafka test broker needs Java 17 or newer and Maven; no java found on ${where}: ${INSTALL_HINT}`);
  }
  // 'openjdk version "17.0.15"' or, before Java 9, 'java version "1.8.0_392"'.
  const version = /version "(\d+)(?:\.(\d+))?/.exec(run.stderr)?.slice(1).map(Number);
  const major = version ? (version[0] === 1 ? (version[1] ?? 0) : version[0]!) : 0;
  if (major < 17) {
    throw new MissingToolError(`The Kafka test broker needs Java 17 or newer; ${bin} is Java ${major || '(unknown version)'}: ${INSTALL_HINT}`);
  }
}

/** Fails with one clear message unless `mvn` runs (needed only for the first fetch). */
function requireMaven(): void {
  const run = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    throw new MissingToolError(`The Kafka test broker's first run fetches its jars with Maven, and no mvn was found on PATH: ${INSTALL_HINT}`);
  }
}

function serverProperties(port: number, controllerPort: number, dataDir: string): string {
  return `# single combined-mode KRaft node on loopback, generated by scripts/kafka/broker.ts
process.roles=broker,controller
node.id=1
# static voters: the node format needs no --standalone and a reused data dir survives port changes
controller.quorum.voters=1@127.0.0.1:${controllerPort}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=${dataDir}
num.partitions=1
auto.create.topics.enable=false
# one node: internal topics cannot have more replicas than that
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# tests want consumers to join at once, not after the default 3 s grace period
group.initial.rebalance.delay.ms=0
# one partition instead of 50 for the internal topics: the first consumer group (which creates
# __consumer_offsets) then waits ~1 s instead of up to ~6 s on a busy 2-core machine
offsets.topic.num.partitions=1
transaction.state.log.num.partitions=1
`;
}

const LOG4J_PROPERTIES = `log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
`;

/**
 * Kills the broker if this process dies in a way that skips 'exit' handlers (SIGKILL, an
 * unhandled signal): a shell holding the read end of a pipe whose write end only we hold; when
 * we die the pipe closes, `read` returns and the shell stops the JVM (TERM, then KILL after 20 s)
 * and removes the per-run temp dir.
 */
function spawnWatchdog(pid: number, runDir: string): ChildProcess {
  const script =
    `trap '' INT TERM HUP; read _; kill -TERM "$1" 2>/dev/null; i=0; ` +
    `while kill -0 "$1" 2>/dev/null && [ $i -lt ${STOP_TIMEOUT_MS / 1000} ]; do sleep 1; i=$((i+1)); done; ` +
    `kill -KILL "$1" 2>/dev/null; rm -rf "$2"`;
  const watchdog = spawn('sh', ['-c', script, 'kafka-watchdog', String(pid), runDir], { stdio: ['pipe', 'ignore', 'ignore'] });
  watchdog.on('error', () => undefined); // best effort: the 'exit' hook still covers normal exits
  watchdog.stdin?.on('error', () => undefined);
  // Neither the watchdog nor its pipe may keep the event loop alive on their own.
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Starts a fresh single-node KRaft broker and resolves once an admin client sees it. */
export async function startBroker(opts: StartBrokerOptions = {}): Promise<BrokerHandle> {
  requireJava();
  const libs = await fetchKafka();

  const free = opts.port !== undefined && opts.controllerPort !== undefined ? [] : await freePorts(2);
  const port = opts.port ?? free[0]!;
  const controllerPort = opts.controllerPort ?? free.find((p) => p !== port)!;
  if (port === controllerPort) throw new Error(`port and controllerPort must differ (both ${port})`);

  // Config files always live in a per-run temp dir; the data too unless dataDir was given.
  const runDir = await mkdtemp(path.join(os.tmpdir(), 'kafka-run-'));
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : path.join(runDir, 'data');
  await mkdir(dataDir, { recursive: true });
  const serverProps = path.join(runDir, 'server.properties');
  const log4jProps = path.join(runDir, 'log4j.properties');
  await writeFile(serverProps, serverProperties(port, controllerPort, dataDir));
  await writeFile(log4jProps, LOG4J_PROPERTIES);

  const tail: string[] = [];
  const onLine = (line: string) => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    opts.log?.(line);
  };
  const cleanupRunDir = () => rm(runDir, { recursive: true, force: true });
  const classpath = `${libs}/*`; // expanded by the JVM itself: no shell involved
  const jvmBase = [
    '-cp',
    classpath,
    `-Dlog4j.configuration=${pathToFileURL(log4jProps).href}`,
    '-Djava.awt.headless=true',
    // Startup over peak throughput: C1 only and the serial GC roughly halve the time to ready on
    // a loaded 2-core machine (~10 s instead of ~19 s), and a test broker never needs C2.
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
  ];

  if (!existsSync(path.join(dataDir, 'meta.properties'))) {
    const code = await runLines(javaBin(), [...jvmBase, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', serverProps], runDir, onLine).catch(
      async (err: unknown) => {
        await cleanupRunDir();
        throw err;
      },
    );
    if (code !== 0) {
      await cleanupRunDir();
      throw new Error(`kafka StorageTool format failed (exit ${code}):\n${tail.join('\n')}`);
    }
  }

  const child = spawn(javaBin(), ['-Xms256m', '-Xmx512m', ...jvmBase, 'kafka.Kafka', serverProps], {
    cwd: runDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  pipeLines(child, onLine);
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(`broker exited (${signal ?? `code ${code}`})`)),
  );
  // Last resort when this process exits without stop(): only synchronous work is possible here,
  // so no graceful shutdown; KRaft recovers a reused dataDir from an unclean stop.
  const running = () => child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  const killOnExit = () => {
    if (running()) child.kill('SIGKILL');
    rmSync(runDir, { recursive: true, force: true });
  };
  process.on('exit', killOnExit);
  const watchdog = child.pid !== undefined ? spawnWatchdog(child.pid, runDir) : undefined;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (running()) {
        child.kill('SIGTERM'); // Kafka's shutdown hook does a controlled shutdown
        if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
          child.kill('SIGKILL');
          await waitForExit(child, 5_000);
        }
      }
      watchdog?.kill('SIGKILL');
      process.off('exit', killOnExit);
      await cleanupRunDir();
    })());

  const brokers = `127.0.0.1:${port}`;
  const probe = { cancelled: false };
  try {
    await Promise.race([
      waitUntilReady(brokers, probe),
      exited.then((why) => Promise.reject(new Error(why))),
      spawnError.then((err) => Promise.reject(err)),
    ]);
  } catch (err) {
    probe.cancelled = true;
    await stop();
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`Kafka broker did not start on ${brokers}: ${reason}\n--- broker output (last ${tail.length} lines) ---\n${tail.join('\n')}`);
  }
  return { brokers, stop };
}

/** Polls with an admin client until the metadata lists our broker and the group coordinator answers. */
async function waitUntilReady(brokers: string, probe: { cancelled: boolean }): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = 'no attempt';
  while (Date.now() < deadline && !probe.cancelled) {
    // A new client per attempt with no retries: the client's own backoff would outlive our
    // deadline, and refused connections before the JVM listens are expected.
    const admin = new Admin({
      clientId: 'broker-ready-probe',
      bootstrapBrokers: [brokers],
      connectTimeout: 1_000,
      timeout: 5_000,
      retries: 0,
    });
    try {
      const metadata = await admin.metadata({ topics: [], forceUpdate: true });
      if (!metadata.brokers.has(1)) {
        lastError = `metadata listed brokers ${JSON.stringify([...metadata.brokers.keys()])}`;
      } else {
        // Also wait for the group coordinator: describing a group looks it up, and the first
        // lookup creates __consumer_offsets. Done here, a test's first consumer group joins at
        // once instead of retrying "The group coordinator is not available".
        await admin.describeGroups({ groups: ['broker-ready-probe'] });
        return;
      }
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    } finally {
      await admin.close().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`not ready after ${READY_TIMEOUT_MS / 1000} s (last error: ${lastError})`);
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      'controller-port': { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  const command = positionals[0];
  if (command === 'fetch') {
    const libs = await fetchKafka();
    progress(`Kafka ${KAFKA_VERSION} jars ready in ${libs}`);
    return;
  }
  if (command !== 'start') {
    process.stderr.write('usage: npx tsx scripts/kafka/broker.ts start|fetch [--port N] [--controller-port N] [--data-dir DIR]\n');
    process.exitCode = 2;
    return;
  }
  const started = Date.now();
  const broker = await startBroker({
    port: values.port ? Number(values.port) : undefined,
    controllerPort: values['controller-port'] ? Number(values['controller-port']) : undefined,
    dataDir: values['data-dir'],
    // stdout carries only the KAFKA_BROKERS line; the broker's own output goes to stderr.
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`KAFKA_BROKERS=${broker.brokers}\n`);
  progress(`Kafka ${KAFKA_VERSION} ready in ${((Date.now() - started) / 1000).toFixed(1)} s; Ctrl-C to stop`);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      progress(`${signal}: stopping the broker`);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await broker.stop();
  progress('broker stopped');
}

// Run the CLI only when executed directly, not when imported by tests or verify.ts.
function invokedDirectly(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}
if (invokedDirectly()) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
