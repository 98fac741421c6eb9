import { expect } from 'chai';
import { knownRows } from '../../src/projections/knownRows.js';

describe('knownRows: what a live projection knows of its stored rows', () => {
  const p = (n: number) => ({ commit: BigInt(n), prepare: BigInt(n) });

  it('knows a batch’s rows once kept, not before', () => {
    const known = knownRows();
    known.begin(p(0));
    known.learn('t', 'a', { v: 1 });
    known.learn('t', 'gone', null);
    expect(known.get('t', 'a')).to.equal(undefined);
    known.keep(p(1));
    expect(known.get('t', 'a')).to.deep.equal({ v: 1 });
    expect(known.get('t', 'gone')).to.equal(null);
    expect(known.get('other', 'a')).to.equal(undefined);
  });

  it('forgets everything for a batch read after another position than the one it kept', () => {
    const known = knownRows();
    known.begin(p(0));
    known.learn('t', 'a', { v: 1 });
    known.keep(p(1));
    known.begin(p(1));
    expect(known.get('t', 'a')).to.deep.equal({ v: 1 });
    known.keep(p(1)); // a batch without writes: the checkpoint stays
    known.begin(p(2)); // someone else moved it
    expect(known.get('t', 'a')).to.equal(undefined);
  });

  it('drops what a failed batch learned, and keeps at most its capacity, least recently used first', () => {
    const known = knownRows(2);
    known.begin(p(0));
    for (const k of ['a', 'b']) known.learn('t', k, { k });
    known.keep(p(1));
    known.begin(p(1));
    known.learn('t', 'a', { k: 'a2' }); // a used again: now the most recent
    known.learn('t', 'c', { k: 'c' });
    known.keep(p(2));
    expect([known.get('t', 'a'), known.get('t', 'b'), known.get('t', 'c')]).to.deep.equal([{ k: 'a2' }, undefined, { k: 'c' }]);
    known.begin(p(2));
    known.learn('t', 'd', { k: 'd' });
    known.forget();
    expect([known.get('t', 'a'), known.get('t', 'd')]).to.deep.equal([undefined, undefined]);
  });
});
