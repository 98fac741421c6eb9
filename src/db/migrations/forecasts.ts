import type { Migration } from './index.js';

/** Migrations of the forecasts read models; names start with '0400_'. */
export const forecastMigrations: readonly Migration[] = [
  {
    name: '0400_forecasts_read_model',
    async up(knex) {
      await knex.schema.createTable('forecasts', (t) => {
        t.text('tenant_id').notNullable();
        t.text('forecast_id').notNullable();
        t.text('period').notNullable();
        // The period's dates, so a query can select forecasts overlapping a date range.
        t.date('period_start').notNullable();
        t.date('period_end').notNullable(); // inclusive last day
        t.text('territory_id');
        t.text('owner_id').notNullable();
        t.text('forecast_type').notNullable(); // commit | best_case | pipeline
        t.decimal('amount', 18, 2).notNullable();
        t.specificType('currency', 'char(3)').notNullable();
        t.text('notes');
        t.text('status').notNullable(); // open | locked
        t.integer('snapshot_count').notNullable().defaultTo(0);
        t.timestamp('last_snapshot_at', { useTz: true });
        t.timestamp('locked_at', { useTz: true });
        t.text('locked_by');
        t.bigInteger('revision').notNullable();
        t.text('created_by').notNullable();
        t.text('updated_by').notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable();
        t.timestamp('updated_at', { useTz: true }).notNullable();
        t.primary(['tenant_id', 'forecast_id']);
        t.index(['tenant_id', 'period']);
        t.index(['tenant_id', 'territory_id']);
      });
      await knex.schema.createTable('forecast_snapshots', (t) => {
        t.text('tenant_id').notNullable();
        // The event id: a snapshot is one ForecastSnapshotCreatedEvent.
        t.text('snapshot_id').notNullable();
        t.text('forecast_id').notNullable();
        t.bigInteger('revision').notNullable();
        t.text('period').notNullable();
        t.text('territory_id');
        t.text('forecast_type').notNullable();
        t.specificType('currency', 'char(3)').notNullable();
        t.decimal('amount', 18, 2).notNullable();
        // Pipeline sums are unbounded numeric: many 16-digit amounts may add up past numeric(18,2).
        t.specificType('probability_weighted_amount', 'numeric').notNullable();
        // total_*: the breakdown's sums, kept for listing without unpacking it.
        t.integer('total_count').notNullable();
        t.specificType('total_amount', 'numeric').notNullable();
        t.jsonb('breakdown').notNullable();
        t.timestamp('generated_at', { useTz: true }).notNullable();
        t.text('created_by').notNullable();
        t.primary(['tenant_id', 'snapshot_id']);
        t.index(['tenant_id', 'forecast_id', 'generated_at']);
      });
    },
    async down(knex) {
      await knex.schema.dropTable('forecast_snapshots');
      await knex.schema.dropTable('forecasts');
    },
  },
];
