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
});
