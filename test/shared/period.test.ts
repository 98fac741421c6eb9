import { expect } from 'chai';
import { DomainError } from '../../src/shared/errors.js';
import { parsePeriod, periodContains, requirePeriod } from '../../src/shared/period.js';

describe('period parser', () => {
  it('a quarter: Q1 is January to March, Q4 ends on 31 December', () => {
    expect(parsePeriod('Q1_2026')).to.deep.equal({ code: 'Q1_2026', kind: 'quarter', start: '2026-01-01', last: '2026-03-31', end: '2026-04-01' });
    expect(parsePeriod('Q2_2026')).to.include({ start: '2026-04-01', last: '2026-06-30', end: '2026-07-01' });
    expect(parsePeriod('Q3_2026')).to.include({ start: '2026-07-01', last: '2026-09-30', end: '2026-10-01' });
    expect(parsePeriod('Q4_2026')).to.include({ start: '2026-10-01', last: '2026-12-31', end: '2027-01-01' });
  });

  it('a month, with its real last day (leap years included)', () => {
    expect(parsePeriod('2026-03')).to.deep.equal({ code: '2026-03', kind: 'month', start: '2026-03-01', last: '2026-03-31', end: '2026-04-01' });
    expect(parsePeriod('2026-02')).to.include({ last: '2026-02-28', end: '2026-03-01' });
    expect(parsePeriod('2024-02')).to.include({ last: '2024-02-29' });
    expect(parsePeriod('2000-02')).to.include({ last: '2000-02-29' });
    expect(parsePeriod('2100-02')).to.include({ last: '2100-02-28' });
    expect(parsePeriod('2026-04')).to.include({ last: '2026-04-30' });
    expect(parsePeriod('2026-12')).to.include({ last: '2026-12-31', end: '2027-01-01' });
  });

  it('a year', () => {
    expect(parsePeriod('2026')).to.deep.equal({ code: '2026', kind: 'year', start: '2026-01-01', last: '2026-12-31', end: '2027-01-01' });
  });

  it('any case, _ or - in a quarter, ISO-like 2026-Q1 and surrounding blanks: one canonical code', () => {
    for (const input of ['q1_2026', 'Q1-2026', 'q1-2026', '2026-Q1', '2026-q1', ' Q1_2026 ']) {
      expect(parsePeriod(input)?.code, input).to.equal('Q1_2026');
    }
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'Q5_2026', 'Q0_2026', 'Q1_26', 'Q1 2026', 'Q1_2026x', '2026-13', '2026-00', '2026-3', '26', '20261', '2026-03-01', 'H1_2026', 'FY2026', '1899', '3000', 'Q1_1899', '1899-12', 'now']) {
      expect(parsePeriod(bad), bad).to.equal(undefined);
    }
  });

  it('requirePeriod throws a VALIDATION_ERROR naming the field', () => {
    expect(requirePeriod('2026-03').code).to.equal('2026-03');
    try {
      requirePeriod('Q9_2026', 'period');
      expect.fail('expected a VALIDATION_ERROR');
    } catch (err) {
      expect(err).to.be.instanceOf(DomainError);
      expect((err as DomainError).code).to.equal('VALIDATION_ERROR');
      expect((err as DomainError).details).to.include({ field: 'period', period: 'Q9_2026' });
    }
  });

  it('periodContains: first and last day in, the day after and the day before out', () => {
    const q1 = requirePeriod('Q1_2026');
    expect(periodContains(q1, '2026-01-01')).to.equal(true);
    expect(periodContains(q1, '2026-03-31')).to.equal(true);
    expect(periodContains(q1, '2026-04-01')).to.equal(false);
    expect(periodContains(q1, '2025-12-31')).to.equal(false);
  });
});
