/** A one-line progress bar for long work: done / total, rate, ETA. Plain lines when not a TTY. */
export interface ProgressLine {
  update(done: number, total: number | undefined, rate: number, etaMs: number | undefined, note?: string): void;
  finish(): void;
}

const duration = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
};

export function progressLine(label: string, out: NodeJS.WriteStream = process.stderr, everyMs = 200): ProgressLine {
  let last = 0;
  let drawn = false;
  return {
    update(done, total, rate, etaMs, note) {
      const now = Date.now();
      if (now - last < (out.isTTY ? everyMs : 2000)) return;
      last = now;
      const width = 28;
      const fraction = total ? Math.min(1, done / total) : undefined;
      const bar = fraction === undefined ? '' : `[${'#'.repeat(Math.round(fraction * width)).padEnd(width, '.')}] ${(fraction * 100).toFixed(1).padStart(5)}% `;
      const counts = total === undefined ? `${done} events` : `${done}/${total} events`;
      const eta = etaMs === undefined ? '' : `, ETA ${duration(etaMs)}`;
      const line = `${label} ${bar}${counts}, ${Math.round(rate)} events/s${eta}${note ? ` ${note}` : ''}`;
      if (out.isTTY) {
        out.write(`\r${line}\x1b[K`);
        drawn = true;
      } else out.write(`${line}\n`);
    },
    finish() {
      if (drawn) out.write('\n');
    },
  };
}
