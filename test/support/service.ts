import { type ChildProcess, spawn } from 'node:child_process';
import { mintToken } from '../../src/access/tokens.js';
import { TEST_JWT_SECRET } from './app.js';
import { freePort } from './postgres.js';

/**
 * The service as users run it, as a real child process (`node src/main.ts` through tsx): for the
 * crash, outage and several-instances suites. Output is kept for failure messages.
 */
export interface ServiceProcess {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  /** Resolves once /health answers (any status when `anyStatus`), rejects if the process exits. */
  waitReady(options?: { anyStatus?: boolean; timeoutMs?: number }): Promise<void>;
  exited(): Promise<void>;
  alive(): boolean;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startService(env: Record<string, string>, port?: number): Promise<ServiceProcess> {
  const listen = port ?? (await freePort());
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(listen),
      HOST: '127.0.0.1',
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const exited = () => (alive() ? new Promise<void>((r) => child.once('exit', () => r())) : Promise.resolve());
  const url = `http://127.0.0.1:${listen}`;
  return {
    url,
    child,
    output: () => output,
    alive,
    exited,
    async waitReady({ anyStatus = false, timeoutMs = 90_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (!alive()) break;
        try {
          const res = await fetch(`${url}/health`);
          if (res.ok || anyStatus) return;
        } catch {
          /* not up yet */
        }
        await sleep(200);
      }
      throw new Error(`service at ${url} did not become ready (exit ${child.exitCode ?? child.signalCode}):\n${output.slice(-3000)}`);
    },
    async stop(signal = 'SIGTERM') {
      if (alive()) child.kill(signal);
      await exited();
    },
  };
}

/** A bearer token for the service processes (they share TEST_JWT_SECRET). */
export const tokenFor = (tenantId: string, userId: string, roles: string[] = ['admin']) => mintToken(TEST_JWT_SECRET, { tenantId, userId, roles });
