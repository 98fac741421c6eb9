import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import pg from 'pg';
import { printStatements, resetStatements } from './statements.js';
import { mintToken } from '../src/access/tokens.js';
import { cpuSeconds, describeMachine, machineTicks, postgresCpuSeconds } from './cpu.js';
import { describePhase, describeWhere, scrapeService } from './serviceMetrics.js';
import { type Failures, count, failed, openLoop, percentile } from './openLoop.js';

/**
 * W2 (issue 14): stage changes over HTTP against the service as a separate process, compiled as
 * `npm start` runs it (the caller builds it first: npm run build), with its projections, the access policy (sales reps acting on
 * their own deals) and seed 004's default rate limits on. Three phases on one database:
 *
 * - max rate: `clients` closed-loop clients, each sending its next command when the last answers;
 * - fixed rate: an open-loop generator sends `rate` commands a second on a fixed schedule whatever
 *   the answers, and a latency is counted from the scheduled instant (no coordinated omission);
 * - soak (optional): the fixed rate for `soakSeconds`, the service's RSS every 30 s.
 *
 * RSS is the service process's VmRSS (/proc/<pid>/status), sampled every second. Statements per
 * command are PostgreSQL's own count of transactions in the database (pg_stat_database) over the
 * max-rate phase, divided by its commands: every statement outside a transaction is one, so it
 * includes the projections' and leases' work in the background, which is what the load costs.
 */
export interface CommandBenchOptions {
  /** The benchmark database (already migrated or not: the service migrates it). */
  readonly url: string;
  /** The embedded PostgreSQL's data directory: its backends' CPU is counted per command. */
  readonly pgDataDir?: string;
  readonly clients: number;
  readonly rate: number;
  /** Length of the max-rate and of the fixed-rate phase. */
  readonly seconds: number;
  readonly soakSeconds: number;
  /** Sales reps; each owns `opportunities / users` deals and stays under seed 004's per-user limits. */
  readonly users: number;
  readonly opportunities: number;
  /** The compiled service to run (default dist/src/main.js): another build, to compare two versions back to back. */
  readonly service?: string;
  /** Extra node flags for the service, e.g. heap limits (--max-old-space-size=1024). */
  readonly nodeFlags?: readonly string[];
  /** Print statements per command from pg_stat_statements (the server loads it: benchDatabase's `statements`). */
  readonly statements?: boolean;
  /**
   * The workflows get work: a task template on PROPOSAL (a task per deal entering it) and one open
   * forecast of the current quarter in which every deal closes (a snapshot per deal change).
   */
  readonly workflows?: boolean;
  /** A directory: the service writes a V8 CPU profile there when it stops (node --cpu-prof). */
  readonly cpuProfileDir?: string;
}

export const SECRET = 'bench-secret-0123456789abcdef0123456789';
export const STAGES = ['QUALIFICATION', 'PROPOSAL', 'NEGOTIATION', 'PROSPECTING'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export interface Service {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

export async function startService(
  url: string,
  main: string,
  cpuProfileDir: string | undefined,
  nodeFlags: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
): Promise<Service> {
  const port = await freePort();
  const args = [...nodeFlags, ...(cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : []), main];
  let output = '';
  // BENCH_SERVICE_STDOUT=prefix: each process's stdout to prefix.<its main> (V8's GC traces, say);
  // a file, since a pipe loses V8's own output once it fills.
  const stdoutTo = process.env.BENCH_SERVICE_STDOUT;
  const stdout = stdoutTo ? openSync(`${stdoutTo}.${main.replace(/\W/g, '_')}`, 'w') : 'pipe';
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: url, JWT_SECRET: SECRET, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', stdout, 'pipe'],
  });
  if (typeof stdout === 'number') closeSync(stdout); // the child holds its own copy
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  // Exited on its own, or killed by a signal (an out-of-memory abort): then exitCode stays null.
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  for (let i = 0; ; i++) {
    if (gone()) throw new Error(`the service exited:\n${output.slice(-3000)}`);
    const ok = await fetch(`${base}/health/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 600) {
      child.kill('SIGKILL');
      throw new Error(`the service did not become ready:\n${output.slice(-3000)}`);
    }
    await sleep(200);
  }
  return {
    url: base,
    child,
    async stop() {
      if (gone()) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** One request on a keep-alive connection; resolves with the status once the body is read. */
export function send(agent: http.Agent, url: URL, method: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(body);
  });
}

interface Deal {
  readonly id: string;
  readonly headers: Record<string, string>;
  next: number;
}

/** The RSS sampler: every second, the peak and the samples kept. */
function watchRss(pid: number) {
  const samples: { at: number; mb: number }[] = [];
  const started = Date.now();
  const timer = setInterval(() => samples.push({ at: Date.now() - started, mb: rssMb(pid) }), 1000);
  return {
    samples,
    peak: () => Math.max(...samples.map((s) => s.mb)),
    stop: () => clearInterval(timer),
  };
}

async function transactions(admin: pg.Client, database: string): Promise<number> {
  const { rows } = await admin.query<{ n: string }>('select (xact_commit + xact_rollback)::text as n from pg_stat_database where datname = $1', [database]);
  return Number(rows[0]!.n);
}

/**
 * How far the background work is behind the log as a phase ends: events past each subscription's
 * stored checkpoint (of its types or not), the furthest first. Work left behind is not in the
 * phase's CPU figures, and a subscription that keeps falling behind cannot follow that rate.
 */
async function behind(admin: pg.Client): Promise<string> {
  const { rows } = await admin.query<{ name: string; behind: string }>(
    `select c.name, (select count(*) from es_events e
       where (e.transaction_id, e.seq) > (c.position_commit::text::xid8, c.position_prepare::bigint))::text as behind
     from projection_checkpoints c order by c.name`,
  );
  const lagging = rows.filter((r) => Number(r.behind) > 0).sort((a, b) => Number(b.behind) - Number(a.behind));
  return lagging.length === 0 ? 'every subscription at the head' : lagging.slice(0, 5).map((r) => `${r.name} ${r.behind}`).join(', ');
}

/**
 * As an admin: a one-task template on PROPOSAL and an open forecast of the current quarter.
 * Returns the close date to give the deals (the quarter's last day), so that each counts in it.
 */
async function giveWorkflowsWork(agent: http.Agent, base: string): Promise<string> {
  const token = await mintToken(SECRET, { tenantId: 'bench', userId: 'bench-admin', roles: ['admin'] }, { expiresIn: '24h' });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const now = new Date();
  const quarter = Math.floor(now.getUTCMonth() / 3) + 1;
  const lastDay = new Date(Date.UTC(now.getUTCFullYear(), quarter * 3, 0)).toISOString().slice(0, 10);
  const template = { tasks: [{ title: 'Send the proposal', due_in_days: 2 }] };
  const forecast = { id: 'W2-FORECAST', period: `Q${quarter}_${now.getUTCFullYear()}`, forecast_type: 'commit', amount: '100000.00' };
  for (const [method, path, body] of [
    ['PUT', '/api/v1/pipeline/stages/proposal/task-template', template],
    ['POST', '/api/v1/forecasts', forecast],
  ] as const) {
    const status = await send(agent, new URL(path, base), method, headers, JSON.stringify(body));
    if (status >= 300) throw new Error(`${method} ${path}: ${status}`);
  }
  console.log(`W2: workflows at work: a task per deal entering PROPOSAL, a snapshot of ${forecast.period}'s forecast per deal change`);
  return lastDay;
}

export async function benchCommands(o: CommandBenchOptions): Promise<void> {
  const service = await startService(o.url, o.service ?? 'dist/src/main.js', o.cpuProfileDir, o.nodeFlags);
  const pid = service.child.pid!;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const admin = new pg.Client({ connectionString: o.url });
  await admin.connect();
  const database = new URL(o.url).pathname.slice(1);
  try {
    console.log(`W2: service pid ${pid} (node ${process.version}, ${o.service ?? 'dist/src/main.js'}, embedded PostgreSQL on this machine), RSS at start ${rssMb(pid).toFixed(0)} MB${o.nodeFlags?.length ? `, node ${o.nodeFlags.join(' ')}` : ''}`);
    const deals: Deal[] = [];
    const perUser = Math.max(1, Math.ceil(o.opportunities / o.users));
    for (let u = 0; u < o.users; u++) {
      const token = await mintToken(SECRET, { tenantId: 'bench', userId: `rep-${u}`, roles: ['sales_rep'] }, { expiresIn: '24h' });
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      for (let k = 0; k < perUser; k++) deals.push({ id: `W2-${u}-${k}`, headers, next: 0 });
    }
    const closeDate = o.workflows ? await giveWorkflowsWork(agent, service.url) : undefined;
    const create = new URL('/api/v1/opportunities', service.url);
    let refused = 0;
    for (let i = 0; i < deals.length; i += 16) {
      const statuses = await Promise.all(
        deals.slice(i, i + 16).map((d, j) =>
          send(agent, create, 'POST', d.headers, JSON.stringify({ id: d.id, customer_id: `C-${(i + j) % 97}`, amount: '1000.00', stage: 'PROSPECTING', ...(closeDate ? { expected_close_date: closeDate } : {}) })),
        ),
      );
      refused += statuses.filter((s) => s !== 201).length;
    }
    if (refused) throw new Error(`${refused} of ${deals.length} opportunities not created`);
    console.log(`W2: ${deals.length} opportunities of ${o.users} sales reps (tenant bench, default rate limits, projections running)`);

    let turn = 0;
    const stageChange = async (): Promise<number> => {
      const d = deals[turn++ % deals.length]!;
      const stage = STAGES[d.next++ % STAGES.length]!;
      return send(agent, new URL(`/api/v1/opportunities/${d.id}/stage`, service.url), 'PUT', d.headers, JSON.stringify({ stage }));
    };
    const report = (label: string, latencies: number[], count: number, failures: Failures, seconds: number) => {
      latencies.sort((a, b) => a - b);
      const fails = [...failures].map(([s, n]) => `${n}×${s}`).join(', ') || 'none';
      console.log(
        `W2 ${label}: ${count} commands in ${seconds.toFixed(1)} s = ${Math.round(count / seconds)} commands/s; ` +
          `p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms; non-200: ${fails}`,
      );
    };

    // Warm-up: JIT, pools, prepared plans; not counted.
    {
      const until = performance.now() + 3000;
      await Promise.all(Array.from({ length: o.clients }, async () => { while (performance.now() < until) await stageChange(); }));
    }

    // 1. Max rate, closed loop.
    {
      const rss = watchRss(pid);
      const latencies: number[] = [];
      const failures: Failures = new Map();
      if (o.statements) await resetStatements(admin);
      const xactBefore = await transactions(admin, database);
      const cpuBefore = cpuSeconds(pid);
      const pgCpuBefore = o.pgDataDir ? postgresCpuSeconds(o.pgDataDir) : 0;
      const machineBefore = machineTicks();
      const t0 = performance.now();
      const until = t0 + o.seconds * 1000;
      await Promise.all(
        Array.from({ length: o.clients }, async () => {
          while (performance.now() < until) {
            const started = performance.now();
            const status = await stageChange().catch(failed);
            count(failures, status);
            // Answered commands only: they are the rate, and what CPU and statements are divided by.
            if (typeof status === 'number') latencies.push(performance.now() - started);
          }
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      const machine = describeMachine(machineBefore, machineTicks());
      const xact = (await transactions(admin, database)) - xactBefore;
      const cpuMs = ((cpuSeconds(pid) - cpuBefore) * 1000) / latencies.length;
      const pgCpuMs = o.pgDataDir ? ((postgresCpuSeconds(o.pgDataDir) - pgCpuBefore) * 1000) / latencies.length : NaN;
      rss.stop();
      report(`max rate, ${o.clients} clients (closed loop)`, latencies, latencies.length, failures, seconds);
      console.log(
        `W2 max rate per command: ${(xact / latencies.length).toFixed(1)} database transactions (pg_stat_database, background work included), ` +
          `service CPU ${cpuMs.toFixed(2)} ms, PostgreSQL CPU ${pgCpuMs.toFixed(2)} ms; service peak RSS ${rss.peak().toFixed(0)} MB; ${machine}`,
      );
      console.log(`W2 target: >= 1,000 commands/s with ${o.clients} clients`);
      console.log(`W2 max rate, events behind the log at the end: ${await behind(admin)}`);
      if (o.statements) await printStatements(admin, 'max rate', latencies.length);
    }

    // 2. Fixed rate, open loop: latency from the scheduled instant (openLoop.ts).
    const fixedRate = (seconds: number, onTick?: (elapsedMs: number) => void) => openLoop(o.rate, seconds, stageChange, onTick);
    {
      const rss = watchRss(pid);
      if (o.statements) await resetStatements(admin);
      const cpuBefore = cpuSeconds(pid);
      const pgCpuBefore = o.pgDataDir ? postgresCpuSeconds(o.pgDataDir) : 0;
      const serviceBefore = await scrapeService(service.url);
      const clientBefore = process.cpuUsage();
      const machineBefore = machineTicks();
      const r = await fixedRate(o.seconds);
      const machine = describeMachine(machineBefore, machineTicks());
      const client = process.cpuUsage(clientBefore);
      const serviceAfter = await scrapeService(service.url);
      const cpuMs = ((cpuSeconds(pid) - cpuBefore) * 1000) / Math.max(1, r.latencies.length);
      const pgCpuMs = o.pgDataDir ? ((postgresCpuSeconds(o.pgDataDir) - pgCpuBefore) * 1000) / Math.max(1, r.latencies.length) : NaN;
      rss.stop();
      report(`fixed rate ${o.rate}/s (open loop, latency from the scheduled time)`, r.latencies, r.total, r.failures, r.seconds);
      console.log(
        `W2 fixed rate: service CPU ${cpuMs.toFixed(2)} ms, PostgreSQL CPU ${pgCpuMs.toFixed(2)} ms per command answered; ` +
          `service peak RSS ${rss.peak().toFixed(0)} MB; target p95 <= 15 ms, RSS < 250 MB`,
      );
      console.log(`W2 fixed rate, the service: ${describePhase(serviceBefore, serviceAfter, r.seconds)}`);
      r.sentLate.sort((a, b) => a - b);
      console.log(
        `W2 fixed rate, where the time goes: ${describeWhere(serviceBefore, serviceAfter, r.latencies)}; ` +
          `the bench sent late by p50 ${percentile(r.sentLate, 50).toFixed(1)}, p95 ${percentile(r.sentLate, 95).toFixed(1)} ms`,
      );
      console.log(`W2 fixed rate, this bench's own CPU (the clients, on the same cores): ${((client.user + client.system) / 1000 / Math.max(1, r.latencies.length)).toFixed(2)} ms per command; ${machine}`);
      console.log(`W2 fixed rate, events behind the log at the end: ${await behind(admin)}`);
      if (o.statements) await printStatements(admin, `fixed rate ${o.rate}/s`, r.latencies.length);
    }

    // 3. Soak: does the service's memory grow under a steady load?
    if (o.soakSeconds > 0) {
      const rss = watchRss(pid);
      const points: string[] = [];
      const r = await fixedRate(o.soakSeconds, (ms) => {
        const mb = rssMb(pid);
        points.push(`${Math.round(ms / 1000)} s ${mb.toFixed(0)} MB`);
        console.log(`W2 soak: ${Math.round(ms / 1000)} s, RSS ${mb.toFixed(0)} MB`);
      });
      rss.stop();
      report(`soak at ${o.rate}/s`, r.latencies, r.total, r.failures, r.seconds);
      // Growth: the last third's average against the second third's (the first warms up).
      const s = rss.samples.map((x) => x.mb);
      const avg = (a: number[]) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
      const third = Math.floor(s.length / 3);
      const middle = avg(s.slice(third, 2 * third));
      const last = avg(s.slice(2 * third));
      console.log(
        `W2 soak: RSS peak ${rss.peak().toFixed(0)} MB; second third avg ${middle.toFixed(0)} MB, last third avg ${last.toFixed(0)} MB: ` +
          `${last > middle * 1.05 ? 'GREW' : 'flat'} (${(((last - middle) / middle) * 100).toFixed(1)}%)`,
      );
    }
  } finally {
    agent.destroy();
    await admin.end();
    await service.stop();
  }
}
