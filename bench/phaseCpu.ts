import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpuSeconds, postgresCpuSeconds } from './cpu.js';

/** This process's java children (the bench's broker): found by /proc, the broker handle has no pid. */
function javaChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.split(') ')[1]!.split(' ')[1]);
      if (parent === process.pid && stat.includes('(java)')) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

function sample(pgDataDir: string | undefined): { node: number; broker: number; pg: number } {
  const u = process.cpuUsage();
  let pg = 0;
  try {
    if (pgDataDir) pg = postgresCpuSeconds(pgDataDir);
  } catch {
    /* another server (--url) */
  }
  return { node: (u.user + u.system) / 1e6, broker: javaChildren().reduce((s, p) => s + cpuSeconds(p), 0), pg };
}

/**
 * CPU per event of one phase, by process (rates move with the shared machine's load; CPU per
 * event far less), and a CPU profile of this process over it when `profile` names a file.
 */
export async function phaseCpu(pgDataDir: string | undefined, profile: string | undefined): Promise<(events: number) => Promise<string>> {
  const session = profile ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const before = sample(pgDataDir);
  return async (events) => {
    const after = sample(pgDataDir);
    if (session) {
      const { profile: p } = await session.post('Profiler.stop');
      writeFileSync(profile!, JSON.stringify(p));
      session.disconnect();
    }
    const per = (a: number, b: number) => `${Math.round(((a - b) * 1e6) / events)}`;
    return `CPU µs/event: node ${per(after.node, before.node)}, broker ${per(after.broker, before.broker)}, postgres ${per(after.pg, before.pg)}`;
  };
}
