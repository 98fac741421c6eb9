import { type EventLoopUtilization, performance } from 'node:perf_hooks';

/**
 * How long the shared tail waits between reads, from how busy this process is (issue 14).
 *
 * Every read of the tail wakes each caught-up subscription for a batch, and a batch costs much the
 * same for one event as for ten: a checkpoint, a statement, a reducer's set-up. Read every 2 ms,
 * a busy service spent its thread on batches of one or two events, which is what kept commands
 * waiting. So the pause grows with the event loop's utilisation: a quiet service still projects
 * within 2 ms, a saturated one reads at most every 50 ms and hands each projection 25 times the
 * events for the same overhead. It is a feedback loop that settles: larger batches cost less, and
 * the utilisation they leave sets the next pause. The ceiling is the most a busy service's read
 * models and workflows fall behind for it: at 20 ms, W2's 500 commands a second still cost 3.4
 * statements a command, two fifths of them set off by tail reads (docs/performance.md, eighteenth round).
 */

export const PACE_MIN_MS = 2;
export const PACE_MAX_MS = 50;
/** Below this utilisation the pause stays at its minimum; at `FULL` and above it is the maximum. */
const CALM = 0.5;
const FULL = 0.95;
/** Utilisation is measured over at least this long (a shorter span is noise). */
const WINDOW_MS = 100;

/** The pause for a utilisation in [0, 1]: the minimum up to CALM, then linear up to the maximum. */
export function paceFor(utilization: number): number {
  if (!(utilization > CALM)) return PACE_MIN_MS; // NaN too (0/0 before the loop has run)
  const busy = Math.min(1, Math.max(0, (utilization - CALM) / (FULL - CALM)));
  return PACE_MIN_MS + busy * (PACE_MAX_MS - PACE_MIN_MS);
}

/**
 * A pacer reading this thread's event loop utilisation. It is measured when asked (the tail before
 * a read, a /metrics scrape), over the time since the last measurement (at least WINDOW_MS), and
 * held for WINDOW_MS. A value left from a busy spell costs nothing after a quiet one: the pause
 * counts from the last read's start.
 */
export function loopPacer(): () => number {
  let mark: EventLoopUtilization = performance.eventLoopUtilization();
  let markedAt = performance.now();
  let pace = PACE_MIN_MS;
  return () => {
    const now = performance.now();
    if (now - markedAt >= WINDOW_MS) {
      const next = performance.eventLoopUtilization();
      pace = paceFor(performance.eventLoopUtilization(next, mark).utilization);
      mark = next;
      markedAt = now;
    }
    return pace;
  };
}
