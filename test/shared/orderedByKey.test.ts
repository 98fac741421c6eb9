import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { orderedByKey } from '../../src/shared/orderedByKey.js';

describe('orderedByKey', () => {
  /** The message it rejected with; undefined when it did not. */
  const failureOf = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (err: unknown) => (err as Error).message,
    );

  it("runs a key's jobs in the order added, other keys' beside them, at most `limit` at once", async () => {
    const q = orderedByKey(3);
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const job = (name: string, ms: number) => async () => {
      most = Math.max(most, ++running);
      log.push(`start ${name}`);
      await sleep(ms);
      log.push(`end ${name}`);
      running--;
    };
    // a1 is slow: a2 must wait for it, b and c must not.
    await q.add('a', job('a1', 30));
    await q.add('a', job('a2', 1));
    await q.add('b', job('b1', 1));
    await q.add('c', job('c1', 1));
    await q.add('d', job('d1', 1));
    await q.done();
    expect(log.indexOf('end a1')).to.be.below(log.indexOf('start a2'));
    expect(log.indexOf('end b1')).to.be.below(log.indexOf('end a1'));
    expect(most).to.be.within(2, 3);
    expect(log.filter((l) => l.startsWith('end'))).to.have.length(5);
  });

  it('after a failure it takes no further job, and done throws it once the rest settled', async () => {
    const q = orderedByKey(2);
    const ran: string[] = [];
    let slowDone = false;
    await q.add('a', async () => {
      await sleep(1);
      throw new Error('a failed');
    });
    await q.add('b', async () => {
      await sleep(20);
      slowDone = true;
    });
    await sleep(5);
    expect(await failureOf(q.add('c', async () => void ran.push('c')))).to.equal('a failed');
    expect(await failureOf(q.done())).to.equal('a failed');
    expect(slowDone, 'the job already running was waited for').to.equal(true);
    expect(ran).to.deep.equal([]);
  });

  it("a job waiting for its key's failed job does not start", async () => {
    const q = orderedByKey(4);
    const ran: string[] = [];
    await q.add('a', async () => {
      await sleep(5);
      throw new Error('create failed');
    });
    await q.add('a', async () => void ran.push('update after the create'));
    expect(await failureOf(q.done())).to.equal('create failed');
    expect(ran).to.deep.equal([]);
  });

  it('refuses a limit that is not a whole number from one', () => {
    expect(() => orderedByKey(0)).to.throw(RangeError);
    expect(() => orderedByKey(1.5)).to.throw(RangeError);
  });
});
