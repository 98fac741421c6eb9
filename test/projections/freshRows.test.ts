import { expect } from 'chai';
import { freshRows, growingBloom } from '../../src/projections/freshRows.js';

describe('fresh tables: rows never written are known absent', () => {
  it('never takes a written key for absent, across the filters it grows', () => {
    const keys = growingBloom();
    const n = 400_000; // the first filter holds 4,096, each next four times more: five filters
    for (let i = 0; i < n; i++) keys.add(`bench\u0000TEAM-${i}\u0000rep-${i % 50}`);
    let missed = 0;
    for (let i = 0; i < n; i++) if (!keys.mayHold(`bench\u0000TEAM-${i}\u0000rep-${i % 50}`)) missed++;
    expect(missed).to.equal(0);
  });

  it('answers "maybe" for few keys it never saw, so that lookups stay rare', () => {
    const keys = growingBloom();
    for (let i = 0; i < 100_000; i++) keys.add(`t\u0000OPP-${i}`);
    let maybe = 0;
    for (let i = 100_000; i < 200_000; i++) if (keys.mayHold(`t\u0000OPP-${i}`)) maybe++;
    // Under 0.1 % per filter (16 bits a key), four filters here.
    expect(maybe, 'a filter that answers "maybe" to everything is no filter').to.be.below(1_000);
  });

  it('keeps tables apart, and a deleted row is looked up rather than taken as absent', () => {
    const known = freshRows();
    expect(known.get('teams', 'a\u0000T-1')).to.equal(null);
    known.learn('teams', 'a\u0000T-1', { name: 'x' });
    expect(known.get('teams', 'a\u0000T-1'), 'written: look it up').to.equal(undefined);
    expect(known.get('team_members', 'a\u0000T-1'), 'another table').to.equal(null);
    known.learn('team_members', 'a\u0000T-1\u0000u', null);
    expect(known.get('team_members', 'a\u0000T-1\u0000u'), 'a deletion learns nothing').to.equal(null);
    known.learn('team_members', 'a\u0000T-1\u0000u', { added_by: 'u' });
    known.learn('team_members', 'a\u0000T-1\u0000u', null);
    expect(known.get('team_members', 'a\u0000T-1\u0000u'), 'written, then deleted: look it up').to.equal(undefined);
  });
});
