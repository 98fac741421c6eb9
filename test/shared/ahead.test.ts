import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { aheadInOrder } from '../../src/shared/ahead.js';

describe('aheadInOrder', () => {
  /** Work that finishes after `ms`, counting how many run at once. */
  const tracked = () => {
    const state = { running: 0, most: 0, started: [] as number[] };
    const work = async (ms: number) => {
      state.started.push(ms);
      state.most = Math.max(state.most, ++state.running);
      await sleep(ms);
      state.running--;
      return ms * 10;
    };
    return { state, work };
  };
  const collect = async <T>(gen: AsyncGenerator<T>) => {
    const out: T[] = [];
    for await (const x of gen) out.push(x);
    return out;
  };

  it('yields in the items’ order whatever order the work finishes in', async () => {
    const { work } = tracked();
    expect(await collect(aheadInOrder([30, 1, 20, 2, 10, 3], work, 3))).to.deep.equal([300, 10, 200, 20, 100, 30]);
  });

  it('runs up to the window at once, and no more', async () => {
    const { state, work } = tracked();
    await collect(aheadInOrder([5, 5, 5, 5, 5, 5, 5, 5, 5, 5], work, 4));
    expect(state.most).to.equal(4);
    const one = tracked();
    await collect(aheadInOrder([2, 2, 2], one.work, 1));
    expect(one.state.most).to.equal(1);
  });

  it('a failure surfaces at its place: what came before is yielded first', async () => {
    const work = async (x: number) => {
      await sleep(x === 2 ? 1 : 10);
      if (x === 2) throw new Error('bad 2');
      return x;
    };
    const seen: number[] = [];
    let error: unknown;
    try {
      for await (const x of aheadInOrder([0, 1, 2, 3], work, 4)) seen.push(x);
    } catch (err) {
      error = err;
    }
    expect(seen).to.deep.equal([0, 1]);
    expect((error as Error).message).to.equal('bad 2');
  });

  it('refuses a window that is not a whole number from one', async () => {
    for (const window of [0, 1.5]) {
      let error: unknown;
      try {
        await aheadInOrder([1, 2, 3], async (x) => x, window).next();
      } catch (err) {
        error = err;
      }
      expect(error, `window ${window}`).to.be.instanceOf(RangeError);
    }
  });

  it('a caller that stops early starts nothing more, waits for what started, and a failure ahead of it is not unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (r: unknown) => unhandled.push(r);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { state, work } = tracked();
      const failing = async (ms: number) => {
        if (ms === 3) throw new Error('ahead, never reached');
        return work(ms);
      };
      for await (const x of aheadInOrder([1, 2, 3, 4, 5, 6], failing, 3)) {
        expect(x).to.equal(10);
        break;
      }
      expect(state.running).to.equal(0); // what had started has settled when the loop is left
      await sleep(20);
      expect(state.started).to.deep.equal([1, 2, 4]); // 3 started and failed; 5 and 6 never started
      expect(unhandled).to.deep.equal([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
