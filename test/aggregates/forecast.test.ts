import { givenWhenThen } from '../support/decider.js';
import { expect } from 'chai';
import { fold } from '../../src/aggregates/decider.js';
import { avroCodec } from '../../src/bridges/kafka/avro.js';
import type { StoredEvent } from '../../src/eventstore/envelope.js';
import {
  type ForecastCommand,
  type ForecastEvent,
  type PipelineFigures,
  forecastAggregate,
  forecastDecider,
} from '../../src/aggregates/forecast/index.js';
import { type Amount, parseAmount } from '../../src/shared/money.js';

/** Given events, when a command, then events or an error: the decider needs nothing else. */
const ctx = { now: new Date('2026-02-11T08:00:00Z'), actorId: 'user-200' };
const money = (s: string) => parseAmount(s) as Amount;

const given = givenWhenThen(forecastDecider, ctx);

const create: ForecastCommand = {
  type: 'CreateForecast',
  forecastId: 'FC-1',
  period: 'q1_2026',
  territoryId: 'TERR-EMEA',
  forecastType: 'COMMIT',
  amount: money('5000000.00'),
  currency: 'USD',
  notes: '  Conservative estimate based on pipeline coverage  ',
};

const created: ForecastEvent = {
  type: 'ForecastCreatedEvent',
  data: {
    forecastId: 'FC-1',
    period: 'Q1_2026',
    territoryId: 'TERR-EMEA',
    ownerId: 'user-200',
    forecastType: 'commit',
    amount: money('5000000.00'),
    currency: 'USD',
    notes: 'Conservative estimate based on pipeline coverage',
    dealScope: 'own',
  },
};

const figures: PipelineFigures = {
  period: 'Q1_2026',
  territoryId: 'TERR-EMEA',
  currency: 'USD',
  probabilityWeightedAmount: money('1800025.03'),
  breakdown: [
    { stage: 'QUALIFICATION', count: 1, totalAmount: money('0.10'), weightedAmount: money('0.03') },
    { stage: 'NEGOTIATION', count: 15, totalAmount: money('2000000.00'), weightedAmount: money('1800025.00') },
    { stage: 'PROPOSAL', count: 0, totalAmount: money('0.00'), weightedAmount: money('0.00') },
  ],
};

const locked: ForecastEvent = {
  type: 'ForecastLockedEvent',
  data: { forecastId: 'FC-1', period: 'Q1_2026', amount: money('5000000.00'), reason: null },
};

describe('Forecast decider', () => {
  it('is the forecast aggregate of category "forecast"', () => {
    expect(forecastAggregate.category).to.equal('forecast');
    expect(forecastAggregate.decider).to.equal(forecastDecider);
  });

  describe('CreateForecast', () => {
    it('creates with the canonical period and type, the actor as owner and trimmed notes', () => {
      given([]).when(create).then([created]);
    });

    it('keeps an explicit owner, a missing territory as null and blank notes as null', () => {
      given([])
        .when({ ...create, ownerId: 'user-9', territoryId: undefined, notes: '   ', forecastType: 'best case', period: '2026-03' })
        .then([
          {
            type: 'ForecastCreatedEvent',
            data: { ...created.data, ownerId: 'user-9', territoryId: null, notes: null, forecastType: 'best_case', period: '2026-03' },
          } as ForecastEvent,
        ]);
    });

    it('accepts an amount of 0', () => {
      given([]).when({ ...create, amount: money('0') }).then([{ ...created, data: { ...created.data, amount: money('0.00') } } as ForecastEvent]);
    });

    it('refuses an invalid period', () => {
      const err = given([]).when({ ...create, period: 'Q5_2026' }).thenFails('VALIDATION_ERROR', /period/);
      expect(err.details).to.include({ field: 'period' });
    });

    it('refuses an unknown forecast type, listing the allowed ones', () => {
      const err = given([]).when({ ...create, forecastType: 'hopeful' }).thenFails('VALIDATION_ERROR');
      expect(err.details).to.deep.equal({ field: 'forecast_type', allowed_types: ['commit', 'best_case', 'pipeline'] });
    });

    it('refuses a negative amount or one with 3 decimals, even if it slipped past the edge', () => {
      expect(given([]).when({ ...create, amount: '-1.00' as Amount }).thenFails('VALIDATION_ERROR').details).to.include({ field: 'amount' });
      given([]).when({ ...create, amount: '1.005' as Amount }).thenFails('VALIDATION_ERROR');
    });

    it('refuses an unknown currency', () => {
      given([]).when({ ...create, currency: 'XXY' }).thenFails('VALIDATION_ERROR', /currency/);
    });

    it('refuses to create twice', () => {
      given([created]).when(create).thenFails('CONFLICT', /already exists/);
    });
  });

  describe('AdjustForecast', () => {
    it('records from, to and the trimmed reason', () => {
      given([created])
        .when({ type: 'AdjustForecast', amount: money('4500000.00'), reason: ' lost a deal ' })
        .then([{ type: 'ForecastAdjustedEvent', data: { forecastId: 'FC-1', fromAmount: money('5000000.00'), toAmount: money('4500000.00'), reason: 'lost a deal' } }]);
    });

    it('starts from the last adjusted amount', () => {
      const first: ForecastEvent = { type: 'ForecastAdjustedEvent', data: { forecastId: 'FC-1', fromAmount: money('5000000.00'), toAmount: money('1.00'), reason: 'x' } };
      given([created, first])
        .when({ type: 'AdjustForecast', amount: money('2.00'), reason: 'y' })
        .then([{ type: 'ForecastAdjustedEvent', data: { forecastId: 'FC-1', fromAmount: money('1.00'), toAmount: money('2.00'), reason: 'y' } }]);
    });

    it('needs a reason', () => {
      for (const reason of ['', '   ']) {
        const err = given([created]).when({ type: 'AdjustForecast', amount: money('1.00'), reason }).thenFails('VALIDATION_ERROR', /reason/);
        expect(err.details).to.include({ field: 'reason' });
      }
    });

    it('refuses the amount the forecast already has', () => {
      const err = given([created]).when({ type: 'AdjustForecast', amount: money('5000000'), reason: 'same' }).thenFails('VALIDATION_ERROR');
      expect(err.details).to.deep.equal({ field: 'amount', current_amount: '5000000.00' });
    });

    it('refuses a negative amount', () => {
      given([created]).when({ type: 'AdjustForecast', amount: '-5.00' as Amount, reason: 'r' }).thenFails('VALIDATION_ERROR');
    });

    it('a forecast that does not exist → NOT_FOUND; a locked one → CONFLICT', () => {
      given([]).when({ type: 'AdjustForecast', amount: money('1.00'), reason: 'r' }).thenFails('NOT_FOUND');
      given([created, locked]).when({ type: 'AdjustForecast', amount: money('1.00'), reason: 'r' }).thenFails('CONFLICT', /locked/);
    });
  });

  describe('SubmitSnapshot', () => {
    const snapshot = (amount: string): ForecastEvent => ({
      type: 'ForecastSnapshotCreatedEvent',
      data: {
        forecastId: 'FC-1',
        period: 'Q1_2026',
        territoryId: 'TERR-EMEA',
        forecastType: 'commit',
        currency: 'USD',
        amount: money(amount),
        probabilityWeightedAmount: money('1800025.03'),
        breakdown: figures.breakdown.map((s) => ({ ...s })),
        generatedAt: '2026-02-11T08:00:00.000Z',
      },
    });

    it('records the seed 004 forecast.updated figures with the forecast amount and the decision time', () => {
      given([created]).when({ type: 'SubmitSnapshot', pipeline: figures }).then([snapshot('5000000.00')]);
    });

    it('the payload has exactly the agreed field names (the Avro schema depends on them)', () => {
      const [event] = forecastDecider.decide({ type: 'SubmitSnapshot', pipeline: figures }, fold(forecastDecider, [created]), ctx);
      expect(Object.keys(event!.data).sort()).to.deep.equal(
        ['amount', 'breakdown', 'currency', 'forecastId', 'forecastType', 'generatedAt', 'period', 'probabilityWeightedAmount', 'territoryId'].sort(),
      );
      const data = event!.data as { breakdown: object[] };
      expect(Object.keys(data.breakdown[0]!).sort()).to.deep.equal(['count', 'stage', 'totalAmount', 'weightedAmount']);
    });

    it('encodes with the Avro schema of its Kafka topic and decodes to the same figures', () => {
      const [event] = forecastDecider.decide({ type: 'SubmitSnapshot', pipeline: figures }, fold(forecastDecider, [created]), ctx);
      const stored = {
        eventId: 'evt-1',
        eventType: event!.type,
        timestamp: ctx.now.toISOString(),
        aggregateId: 'FC-1',
        tenantId: 'tenant-001',
        payload: event!.data,
      } as unknown as StoredEvent;
      const codec = avroCodec();
      const decoded = codec.decode('ForecastSnapshotCreatedEvent', codec.encode('ForecastSnapshotCreatedEvent', stored));
      expect(decoded).to.deep.include({ forecastId: 'FC-1', period: 'Q1_2026', territoryId: 'TERR-EMEA', forecastType: 'commit', currency: 'USD', amount: '5000000.00', probabilityWeightedAmount: '1800025.03' });
      expect(decoded.breakdown).to.deep.equal(figures.breakdown);
    });

    it('a refresh carries its trigger; the same trigger again changes nothing, another one snapshots', () => {
      const refreshed = (trigger: string): ForecastEvent => {
        const e = snapshot('5000000.00');
        return { ...e, data: { ...(e.data as object), trigger } } as ForecastEvent;
      };
      given([created]).when({ type: 'SubmitSnapshot', pipeline: figures, trigger: 'evt-a' }).then([refreshed('evt-a')]);
      given([created, refreshed('evt-a')]).when({ type: 'SubmitSnapshot', pipeline: figures, trigger: 'evt-a' }).then([]);
      given([created, refreshed('evt-a')]).when({ type: 'SubmitSnapshot', pipeline: figures, trigger: 'evt-b' }).then([refreshed('evt-b')]);
      given([created, refreshed('evt-a')]).when({ type: 'SubmitSnapshot', pipeline: figures }).then([snapshot('5000000.00')]);
    });

    it('several snapshots are allowed, each recorded; they carry the adjusted amount', () => {
      const adjusted: ForecastEvent = { type: 'ForecastAdjustedEvent', data: { forecastId: 'FC-1', fromAmount: money('5000000.00'), toAmount: money('4000000.00'), reason: 'r' } };
      given([created, snapshot('5000000.00'), adjusted]).when({ type: 'SubmitSnapshot', pipeline: figures }).then([snapshot('4000000.00')]);
      expect(fold(forecastDecider, [created, snapshot('5000000.00'), snapshot('5000000.00')])).to.include({ snapshotCount: 2 });
    });

    it('an empty pipeline is a valid snapshot', () => {
      const empty: PipelineFigures = { ...figures, probabilityWeightedAmount: money('0'), breakdown: [] };
      const [event] = forecastDecider.decide({ type: 'SubmitSnapshot', pipeline: empty }, fold(forecastDecider, [created]), ctx);
      expect(event).to.deep.include({ type: 'ForecastSnapshotCreatedEvent' });
      expect(event!.data).to.include({ probabilityWeightedAmount: '0.00' });
    });

    it('the weighted amount must be the sum of the breakdown', () => {
      const err = given([created])
        .when({ type: 'SubmitSnapshot', pipeline: { ...figures, probabilityWeightedAmount: money('1800025.02') } })
        .thenFails('VALIDATION_ERROR');
      expect(err.details).to.deep.equal({ field: 'probability_weighted_amount', expected: '1800025.03', given: '1800025.02' });
    });

    it('figures of another period, territory or currency are refused', () => {
      given([created]).when({ type: 'SubmitSnapshot', pipeline: { ...figures, period: 'Q2_2026' } }).thenFails('VALIDATION_ERROR', /period/);
      given([created]).when({ type: 'SubmitSnapshot', pipeline: { ...figures, territoryId: null } }).thenFails('VALIDATION_ERROR', /territory/);
      given([created]).when({ type: 'SubmitSnapshot', pipeline: { ...figures, currency: 'EUR' } }).thenFails('VALIDATION_ERROR', /currency/);
      // The same period in another spelling is the same period.
      expect(forecastDecider.decide({ type: 'SubmitSnapshot', pipeline: { ...figures, period: '2026-q1' } }, fold(forecastDecider, [created]), ctx)).to.have.length(1);
    });

    it('breakdown rows must make sense: a stage once, counts ≥ 0, weighted ≤ total, no amount without deals', () => {
      const row = figures.breakdown[1]!;
      const bad = (breakdown: PipelineFigures['breakdown']) =>
        given([created]).when({
          type: 'SubmitSnapshot',
          pipeline: { ...figures, breakdown, probabilityWeightedAmount: money(breakdown.reduce((a, s) => a + Number(s.weightedAmount), 0).toFixed(2)) },
        });
      expect(bad([row, row]).thenFails('VALIDATION_ERROR', /twice/).details).to.include({ field: 'breakdown.1.stage' });
      expect(bad([{ ...row, count: -1 }]).thenFails('VALIDATION_ERROR').details).to.include({ field: 'breakdown.0.count' });
      expect(bad([{ ...row, count: 1.5 }]).thenFails('VALIDATION_ERROR').details).to.include({ field: 'breakdown.0.count' });
      expect(bad([{ ...row, weightedAmount: money('2000000.01') }]).thenFails('VALIDATION_ERROR', /exceeds/).details).to.include({ field: 'breakdown.0.weighted_amount' });
      expect(bad([{ ...row, count: 0 }]).thenFails('VALIDATION_ERROR').details).to.include({ field: 'breakdown.0.total_amount' });
      expect(bad([{ ...row, stage: ' ' }]).thenFails('VALIDATION_ERROR').details).to.include({ field: 'breakdown.0.stage' });
      expect(bad([{ ...row, totalAmount: '-1.00' as Amount }]).thenFails('VALIDATION_ERROR').details).to.include({ field: 'breakdown.0.total_amount' });
    });

    it('a forecast that does not exist → NOT_FOUND; a locked one → CONFLICT', () => {
      given([]).when({ type: 'SubmitSnapshot', pipeline: figures }).thenFails('NOT_FOUND');
      given([created, locked]).when({ type: 'SubmitSnapshot', pipeline: figures }).thenFails('CONFLICT', /locked/);
    });
  });

  describe('LockForecast', () => {
    it('locks with the amount at the time and an optional reason', () => {
      given([created]).when({ type: 'LockForecast' }).then([locked]);
      given([created])
        .when({ type: 'LockForecast', reason: ' quarter closed ' })
        .then([{ ...locked, data: { ...locked.data, reason: 'quarter closed' } } as ForecastEvent]);
    });

    it('locking a locked forecast changes nothing', () => {
      given([created, locked]).when({ type: 'LockForecast' }).then([]);
    });

    it('a forecast that does not exist → NOT_FOUND', () => {
      given([]).when({ type: 'LockForecast' }).thenFails('NOT_FOUND');
    });
  });
});
