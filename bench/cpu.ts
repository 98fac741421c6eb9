import { readFileSync, readdirSync } from 'node:fs';

/** CPU seconds (user + system) of a process, from /proc/<pid>/stat (clock ticks of 10 ms). */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0; // gone
  }
}

/** CPU seconds of the PostgreSQL server's backends: the children of its postmaster (first line of postmaster.pid). */
export function postgresCpuSeconds(dataDir: string): number {
  const postmaster = Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  let total = cpuSeconds(postmaster);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      if (Number(stat[1]) === postmaster) total += cpuSeconds(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return total;
}

/** The machine's CPU time so far (/proc/stat, all cores): idle, and stolen by the hypervisor. */
export function machineTicks(): { total: number; idle: number; steal: number } {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const n = fields.map(Number); // user nice system idle iowait irq softirq steal (guest time is inside user)
    return { total: n.slice(0, 8).reduce((a, b) => a + b, 0), idle: n[3]! + n[4]!, steal: n[7]! };
  } catch {
    return { total: 0, idle: 0, steal: 0 }; // not Linux
  }
}

/**
 * What the machine did over a phase: on a shared virtual machine the host takes CPU time when it
 * likes (steal), and a run with much of it is slower for no fault of the code's.
 */
export function describeMachine(before: ReturnType<typeof machineTicks>, after: ReturnType<typeof machineTicks>): string {
  const total = after.total - before.total;
  if (total <= 0) return 'the machine: not known';
  const pct = (x: number) => `${((100 * x) / total).toFixed(0)} %`;
  return `the machine: ${pct(after.idle - before.idle)} idle, ${pct(after.steal - before.steal)} stolen by the host (steal)`;
}
