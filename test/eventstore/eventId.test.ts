import { expect } from 'chai';
import { newEventId } from '../../src/eventstore/eventId.js';

describe('newEventId', () => {
  // RFC 9562: version 7 in the 13th hex digit, the variant's bits 10 in the 17th.
  const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const msOf = (id: string) => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

  it('is a version 7 UUID carrying the time it was made, in milliseconds', () => {
    const before = Date.now();
    const id = newEventId();
    const after = Date.now();
    expect(id).to.match(V7);
    // A burst of over 4,096 ids in a millisecond just before may have borrowed a few ahead.
    expect(msOf(id)).to.be.within(before, after + 50);
  });

  it('ids made one after another sort one after another, within a millisecond too, and none repeats', async () => {
    const ids: string[] = [];
    for (let round = 0; round < 3; round++) {
      // More than the 4,096 a millisecond counts: the next millisecond is borrowed.
      for (let i = 0; i < 20_000; i++) ids.push(newEventId());
      await new Promise((res) => setTimeout(res, 2));
    }
    expect(new Set(ids).size).to.equal(ids.length);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!, `${ids[i - 1]} then ${ids[i]}`).to.equal(true);
    expect(ids.every((id) => V7.test(id))).to.equal(true);
    // Borrowed milliseconds stay close to the clock: no id is ahead of it by more than its burst.
    expect(msOf(ids.at(-1)!) - Date.now()).to.be.below(50);
  });

  describe('on a clock held still or set back (Date.now stubbed)', () => {
    const realNow = Date.now;
    let now = 0;
    beforeEach(() => {
      // Just past the last id made, so that the stub starts on a fresh millisecond; and close to
      // the real clock, which is past it again a few milliseconds after these tests.
      now = Math.max(realNow(), msOf(newEventId())) + 5;
      Date.now = () => now;
    });
    afterEach(() => {
      Date.now = realNow;
    });

    it('counts 4,096 ids in one millisecond, then borrows the next', () => {
      const ids = Array.from({ length: 4097 }, () => newEventId());
      expect(ids.slice(0, 4096).every((id) => msOf(id) === now)).to.equal(true);
      expect(ids[0]!.slice(15, 18)).to.equal('000');
      expect(ids[4095]!.slice(15, 18)).to.equal('fff');
      expect(msOf(ids[4096]!)).to.equal(now + 1);
      expect(ids[4096]!.slice(15, 18)).to.equal('000');
      for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).to.equal(true);
    });

    it('keeps counting up when the clock goes back, and follows it again once it is past', () => {
      const first = newEventId();
      now -= 10;
      const back = newEventId();
      expect(back > first).to.equal(true);
      expect(msOf(back)).to.equal(msOf(first));
      now += 20;
      const later = newEventId();
      expect(msOf(later)).to.equal(now);
      expect(later.slice(15, 18)).to.equal('000');
    });
  });
});
