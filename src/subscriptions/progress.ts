import { type Position, START, comparePositions } from '../eventstore/port.js';

/**
 * How far a subscription has got, as this instance knows it, and who waits for a position
 * (read-your-writes). The holder moves it with every batch; another instance with what the
 * table says (watch.ts).
 */
export interface Progress {
  readonly checkpoint: Position;
  readonly caughtUp: boolean;
  /** Moves forward; `exact` sets it even backwards (the holder resuming from its stored one). */
  advance(checkpoint: Position, caughtUp: boolean, exact?: boolean): void;
  waitFor(position: Position, timeoutMs: number): Promise<'reached' | 'timeout'>;
  /** The furthest position someone waits for, if any. */
  waitingFor(): Position | undefined;
}

export function createProgress(): Progress {
  const waiters = new Map<() => void, Position>();
  let checkpoint: Position = START;
  let caughtUp = false;
  return {
    get checkpoint() {
      return checkpoint;
    },
    get caughtUp() {
      return caughtUp;
    },
    advance(to, isCaughtUp, exact = false) {
      if (exact || comparePositions(to, checkpoint) >= 0) checkpoint = to;
      caughtUp = isCaughtUp;
      for (const check of waiters.keys()) check();
    },
    waitFor(position, timeoutMs) {
      if (comparePositions(checkpoint, position) >= 0) return Promise.resolve('reached');
      return new Promise((resolve) => {
        const check = () => {
          if (comparePositions(checkpoint, position) >= 0) finish('reached');
        };
        const finish = (outcome: 'reached' | 'timeout') => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(outcome);
        };
        const timer = setTimeout(() => finish('timeout'), timeoutMs);
        waiters.set(check, position);
      });
    },
    waitingFor() {
      let furthest: Position | undefined;
      for (const p of waiters.values()) if (!furthest || comparePositions(p, furthest) > 0) furthest = p;
      return furthest;
    },
  };
}
