import { expect } from 'chai';
import { knownRows } from '../../src/projections/knownRows.js';

describe('knownRows: what a live projection knows of its stored rows', () => {
  const p = (n: number) => ({ commit: BigInt(n), prepare: BigInt(n) });

  it('knows a batch’s rows once its writes committed, not before', () => {
    const known = knownRows();
    known.begin(p(0));
    known.learn('t', 'a', { v: 1 });
    known.learn('t', 'gone', null);
    expect(known.get('t', 'a')).to.equal(undefined);
    known.wrote(p(1));
    expect(known.get('t', 'a')).to.deep.equal({ v: 1 });
    expect(known.get('t', 'gone')).to.equal(null);
    expect(known.get('other', 'a')).to.equal(undefined);
  });

  it('holds while the checkpoint stands where it wrote or within the batches after that changed nothing', () => {
    const known = knownRows();
    known.begin(p(0));
    known.learn('t', 'a', { v: 1 });
    known.wrote(p(1));
    for (const [from, to] of [[1, 3], [3, 5], [1, 6]]) {
      known.begin(p(from!)); // the checkpoint left at 1, or moved by an idle write within (1, 5]
      expect(known.get('t', 'a')).to.deep.equal({ v: 1 });
      known.unchanged(p(to!));
    }
    known.begin(p(7)); // past what it knows of: another instance may have written
    expect(known.get('t', 'a')).to.equal(undefined);
    known.learn('t', 'a', { v: 2 });
    known.wrote(p(8));
    known.begin(p(6)); // behind the write it knows of
    expect(known.get('t', 'a')).to.equal(undefined);
  });

  it('drops what a failed batch learned, and keeps at most its capacity, least recently used first', () => {
    const known = knownRows(2);
    known.begin(p(0));
    for (const k of ['a', 'b']) known.learn('t', k, { k });
    known.wrote(p(1));
    known.begin(p(1));
    known.learn('t', 'a', { k: 'a2' }); // a used again: now the most recent
    known.learn('t', 'c', { k: 'c' });
    known.wrote(p(2));
    expect([known.get('t', 'a'), known.get('t', 'b'), known.get('t', 'c')]).to.deep.equal([{ k: 'a2' }, undefined, { k: 'c' }]);
    known.begin(p(2));
    known.learn('t', 'd', { k: 'd' });
    known.forget();
    expect([known.get('t', 'a'), known.get('t', 'd')]).to.deep.equal([undefined, undefined]);
  });
});
