import { expect } from 'chai';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../support/postgres.js';
import { sleep } from '../support/service.js';

/** Live pids whose parent is `pid`, and theirs (Linux /proc). */
function descendants(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = /^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
      if (Number(ppid) === pid) children.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return children.flatMap((c) => [c, ...descendants(c)]);
}

/** Whether `pid` is still the process we saw, running (an exited one has no cmdline). */
function stillThere(pid: number, cmdline: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === cmdline;
  } catch {
    return false;
  }
}

/**
 * `npm start` as a user runs it, stopped from outside: npm must pass the signal on to the
 * service, which stops HTTP, projections and its embedded PostgreSQL and exits 0, so nothing is
 * left behind (a shell between npm and node used to leave node and PostgreSQL running).
 */
describe('npm start, stopped by a signal to npm', function () {
  this.timeout(120_000);
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let port: number;
  /** Every process a run started, so a failing run does not leave them behind. */
  const started = new Map<number, string>();

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'crm-npm-start-'));
    await chmod(dataDir, 0o755); // PostgreSQL runs as its own OS user and must reach its directory
    port = await freePort();
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      EMBEDDED_PG_PORT: String(await freePort()),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    };
  });
  after(async () => {
    for (const [pid, cmd] of started) if (stillThere(pid, cmd)) process.kill(pid, 'SIGKILL');
    await sleep(500);
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Starts `npm start` in its own process group, waits for readiness, returns its processes. */
  async function npmStart(): Promise<{ npm: ChildProcess; output: () => string; exit: Promise<number | null>; tree: Map<number, string> }> {
    let output = '';
    // detached: npm leads a process group of its own, as in a terminal
    const npm = spawn('npm', ['start'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    npm.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    npm.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exit = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (npm.exitCode !== null) throw new Error(`npm start exited ${npm.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`npm start did not become ready:\n${output}`);
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok, () => false);
      if (ready) break;
      await sleep(250);
    }
    const tree = new Map(descendants(npm.pid!).map((pid) => [pid, readFileSync(`/proc/${pid}/cmdline`, 'utf8')]));
    for (const [pid, cmd] of tree) started.set(pid, cmd);
    return { npm, output: () => output, exit, tree };
  }

  const expectAllGone = (tree: Map<number, string>) => {
    const left = [...tree].filter(([pid, cmd]) => stillThere(pid, cmd)).map(([pid, cmd]) => `${pid} ${cmd.replaceAll('\0', ' ')}`);
    expect(left, 'processes left behind').to.deep.equal([]);
  };

  it('SIGTERM to npm stops node and its PostgreSQL cleanly', async () => {
    const { npm, output, exit, tree } = await npmStart();
    const commands = [...tree.values()].map((c) => c.replaceAll('\0', ' '));
    expect(commands.some((c) => c.includes('dist/src/main.js')), commands.join('\n')).to.equal(true);
    expect(commands.some((c) => c.includes(`${dataDir}/pg`)), commands.join('\n')).to.equal(true);

    npm.kill('SIGTERM');
    expect(await exit, output()).to.equal(0);
    const shutdown = output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; signal?: string })
      .find((l) => l.msg === 'shutting down');
    expect(shutdown?.signal, output()).to.equal('SIGTERM');
    expectAllGone(tree);
  });

  it('Ctrl-C (SIGINT to the whole process group: npm, node, PostgreSQL) stops it cleanly too', async () => {
    const { npm, output, exit, tree } = await npmStart();
    process.kill(-npm.pid!, 'SIGINT');
    // node gets SIGINT twice (the group's and npm's forwarded one): still one orderly shutdown
    expect(await exit, output()).to.equal(0);
    expect(output()).to.not.include('second signal');
    expectAllGone(tree);
  });
});
