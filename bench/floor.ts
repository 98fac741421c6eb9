import http from 'node:http';
import { cpuSeconds, describeMachine, machineTicks, postgresCpuSeconds } from './cpu.js';
import { openLoop, percentile } from './openLoop.js';
import { STAGES, send, startService } from './commands.js';

/**
 * W2's floor: the fixed rate's generator against floorServer.ts, a minimal service on the same
 * stack, machine and database (two statements a request, as the command path's rate-limit count
 * and append). Its p95 is what this machine gives any such service at that rate; the gap to W2's
 * fixed rate is the service's own work, not the machine.
 */
export async function benchFloor(o: { url: string; pgDataDir: string; rate: number; seconds: number; nodeFlags?: readonly string[] }): Promise<void> {
  const floor = await startService(o.url, 'bench/floorServer.ts', undefined, [...(o.nodeFlags ?? []), '--import', 'tsx']);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  try {
    let turn = 0;
    const request = async () => {
      const i = turn++;
      const body = JSON.stringify({ stage: STAGES[i % STAGES.length] });
      return send(agent, new URL(`/streams/W2-${i % 1000}`, floor.url), 'PUT', { 'content-type': 'application/json', 'x-caller': `rep-${i % 100}` }, body);
    };
    const until = performance.now() + 3000; // warm-up, as W2's
    await Promise.all(Array.from({ length: 16 }, async () => { while (performance.now() < until) await request(); }));
    const pid = floor.child.pid!;
    const cpuBefore = cpuSeconds(pid);
    const pgBefore = postgresCpuSeconds(o.pgDataDir);
    const machineBefore = machineTicks();
    const r = await openLoop(o.rate, o.seconds, request);
    const machine = describeMachine(machineBefore, machineTicks());
    const n = Math.max(1, r.latencies.length);
    r.latencies.sort((a, b) => a - b);
    const fails = [...r.failures].map(([s, k]) => `${k}×${s}`).join(', ') || 'none';
    console.log(
      `W2 floor at ${o.rate}/s (a minimal Express + pg service, two statements a request, bench/floorServer.ts): ` +
        `p50 ${percentile(r.latencies, 50).toFixed(1)} ms, p95 ${percentile(r.latencies, 95).toFixed(1)} ms, p99 ${percentile(r.latencies, 99).toFixed(1)} ms; non-200: ${fails}; ` +
        `its CPU ${(((cpuSeconds(pid) - cpuBefore) * 1000) / n).toFixed(2)} ms, PostgreSQL CPU ${(((postgresCpuSeconds(o.pgDataDir) - pgBefore) * 1000) / n).toFixed(2)} ms a request; ${machine}`,
    );
  } finally {
    agent.destroy();
    await floor.stop();
  }
}
