import { expect } from 'chai';
import { type QuotaCommand, type QuotaEvent, quotaAggregate, quotaDecider, quotaIdOf } from '../../src/aggregates/quota/index.js';
import { authorizeCommand } from '../../src/access/policy.js';
import { fold } from '../../src/aggregates/decider.js';
import { DomainError } from '../../src/shared/errors.js';
import { type Amount, parseAmount } from '../../src/shared/money.js';
import { requirePeriod } from '../../src/shared/period.js';
import { givenWhenThen } from '../support/decider.js';

const ctx = { now: new Date('2026-02-11T08:00:00Z'), actorId: 'mgr-1' };
const money = (s: string) => parseAmount(s) as Amount;
const given = givenWhenThen(quotaDecider, ctx);
const Q = quotaIdOf({ ownerId: 'rep-1' }, requirePeriod('Q1_2026'));

const set = (amount: string, extra: Partial<Extract<QuotaCommand, { type: 'SetQuota' }>> = {}): QuotaCommand => ({
  type: 'SetQuota',
  quotaId: Q,
  ownerId: 'rep-1',
  period: 'q1-2026',
  amount: money(amount),
  currency: 'USD',
  ...extra,
});
const setEvent: QuotaEvent = {
  type: 'QuotaSetEvent',
  data: { quotaId: Q, ownerId: 'rep-1', territoryId: null, period: 'Q1_2026', amount: money('100000.00'), currency: 'USD', setBy: 'mgr-1' },
};
const updated = (from: string, to: string): QuotaEvent => ({
  type: 'QuotaUpdatedEvent',
  data: { quotaId: Q, fromAmount: money(from), toAmount: money(to), fromCurrency: 'USD', toCurrency: 'USD', updatedBy: 'mgr-1' },
});
const attained = (quota: string, won: string, attainment: string): QuotaEvent => ({
  type: 'QuotaAttainedEvent',
  data: { quotaId: Q, ownerId: 'rep-1', territoryId: null, period: 'Q1_2026', quotaAmount: money(quota), wonAmount: money(won), currency: 'USD', attainment },
});
const record = (won: string, currency = 'USD'): QuotaCommand => ({ type: 'RecordQuotaAttainment', wonAmount: money(won), currency });

describe('Quota decider', () => {
  it('ids derive from the target and the canonical period: the same quota whatever the spelling, another for another target', () => {
    expect(quotaIdOf({ ownerId: 'rep-1' }, requirePeriod('q1-2026'))).to.equal(Q);
    expect(quotaIdOf({ territoryId: 'rep-1' }, requirePeriod('Q1_2026'))).not.to.equal(Q);
    expect(quotaIdOf({ ownerId: 'rep-1' }, requirePeriod('2026-Q2'))).not.to.equal(Q);
  });

  it('set: the first time a QuotaSetEvent with the actor, canonical period and amount', () => {
    given([]).when(set('100000')).then([setEvent]);
  });

  it('set again is an update when the amount or currency differs, nothing when it is the same', () => {
    given([setEvent]).when(set('120000.00')).then([updated('100000.00', '120000.00')]);
    given([setEvent]).when(set('100000.0')).then([]);
    const [e] = given([setEvent]).when(set('100000', { currency: 'EUR' })).events();
    expect(e?.data).to.include({ fromCurrency: 'USD', toCurrency: 'EUR' });
  });

  it('refuses an amount that is not positive, an unknown period, a bad currency, no target or two targets', () => {
    given([]).when(set('0')).thenFails('VALIDATION_ERROR', /positive/);
    given([]).when(set('100', { period: 'Q5_2026' })).thenFails('VALIDATION_ERROR', /period/);
    given([]).when(set('100', { currency: 'XYZ' })).thenFails('VALIDATION_ERROR', /currency/);
    given([]).when(set('100', { ownerId: ' ' })).thenFails('VALIDATION_ERROR', /exactly one/);
    given([]).when(set('100', { territoryId: 'EMEA' })).thenFails('VALIDATION_ERROR', /exactly one/);
    given([setEvent]).when(set('100', { period: 'Q2_2026' })).thenFails('CONFLICT', /another target or period/);
  });

  it('update: an existing quota only, a real change only', () => {
    given([]).when({ type: 'UpdateQuota', amount: money('1.00') }).thenFails('NOT_FOUND');
    given([setEvent]).when({ type: 'UpdateQuota' }).thenFails('VALIDATION_ERROR');
    given([setEvent]).when({ type: 'UpdateQuota', amount: money('0') }).thenFails('VALIDATION_ERROR', /positive/);
    given([setEvent]).when({ type: 'UpdateQuota', amount: money('90000.00') }).then([updated('100000.00', '90000.00')]);
    given([setEvent]).when({ type: 'UpdateQuota', amount: money('100000.00') }).then([]);
  });

  it('attained once when the won amount reaches the quota, never again for the same or a lower amount', () => {
    given([setEvent]).when(record('99999.99')).then([]);
    given([setEvent]).when(record('100000.00')).then([attained('100000.00', '100000.00', '1.0000')]);
    given([setEvent]).when(record('125000.50')).then([attained('100000.00', '125000.50', '1.2500')]);
    given([setEvent, attained('100000.00', '100000.00', '1.0000')]).when(record('150000.00')).then([]);
    // Lowered after attainment: it was met, it is not attained a second time.
    given([setEvent, attained('100000.00', '100000.00', '1.0000'), updated('100000.00', '80000.00')]).when(record('150000.00')).then([]);
    // Figures in another currency do not count.
    given([setEvent]).when(record('500000.00', 'EUR')).then([]);
  });

  it('a quota raised above what was attained is attained again when the won amount reaches the new amount', () => {
    const history = [setEvent, attained('100000.00', '100000.00', '1.0000'), updated('100000.00', '150000.00')];
    given(history).when(record('120000.00')).then([]);
    given(history).when(record('150000.00')).then([attained('150000.00', '150000.00', '1.0000')]);
    given([...history, attained('150000.00', '150000.00', '1.0000')]).when(record('200000.00')).then([]);
  });

  it('access: managers and admins set quotas within their reach, reps cannot; a territory quota needs a tenant-wide reach', () => {
    const access = (roles: string[], actorId = 'mgr-1', managedUsers: string[] = ['rep-1']) => ({ tenantId: 't', actorId, roles, managedUsers }) as never;
    const empty = fold(quotaDecider, []);
    const guard = quotaAggregate.guard;
    const refused = (fn: () => void) => expect(fn).to.throw(DomainError).with.property('code', 'FORBIDDEN');
    expect(() => authorizeCommand(access(['sales_manager']), guard, set('1'), empty)).not.to.throw();
    refused(() => authorizeCommand(access(['sales_manager']), guard, set('1', { ownerId: 'rep-9' }), empty));
    refused(() => authorizeCommand(access(['sales_rep'], 'rep-1', []), guard, set('1'), empty));
    const territory = set('1', { ownerId: undefined, territoryId: 'EMEA' });
    refused(() => authorizeCommand(access(['sales_manager']), guard, territory, empty));
    expect(() => authorizeCommand(access(['admin'], 'admin-1', []), guard, territory, empty)).not.to.throw();
  });
});
