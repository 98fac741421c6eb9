import type { Migration } from './index.js';

/** Migrations of segmentation (seed 003); names start with '13'. */
export const segmentMigrations: readonly Migration[] = [
  {
    name: '1300_customers_firmographics_and_segments',
    // Expand first: the customers projection's version 2 rebuilds into a copy of this shape.
    async up(knex) {
      await knex.schema.alterTable('customers', (t) => {
        t.text('industry');
        t.integer('employee_count');
        t.decimal('annual_revenue', 18, 2);
        t.specificType('segments', 'text[]').notNullable().defaultTo('{}');
      });
      await knex.raw('create index customers_segments_gin on customers using gin (segments)');
    },
    async down(knex) {
      await knex.raw('drop index if exists customers_segments_gin');
      await knex.schema.alterTable('customers', (t) => t.dropColumns('industry', 'employee_count', 'annual_revenue', 'segments'));
    },
  },
  {
    name: '1301_segment_facts',
    async up(knex) {
      // What segment membership is decided on, per customer (projections/segmentFacts.ts).
      await knex.schema.createTable('segment_customer_facts', (t) => {
        t.text('tenant_id').notNullable();
        t.text('customer_id').notNullable();
        t.text('status').notNullable();
        t.text('industry');
        t.integer('employee_count');
        t.decimal('annual_revenue', 18, 2);
        t.timestamp('since', { useTz: true }).notNullable();
        t.text('merged_into');
        t.specificType('segments', 'text[]').notNullable().defaultTo('{}');
        t.primary(['tenant_id', 'customer_id']);
      });
      await knex.schema.createTable('segment_deal_facts', (t) => {
        t.text('tenant_id').notNullable();
        t.text('opportunity_id').notNullable();
        t.text('customer_id').notNullable();
        t.boolean('open').notNullable();
        t.date('expected_close_date');
        t.boolean('pushed').notNullable();
        t.primary(['tenant_id', 'opportunity_id']);
        t.index(['tenant_id', 'customer_id']);
      });
      await knex.schema.createTable('segment_activity_facts', (t) => {
        t.text('tenant_id').notNullable();
        t.text('activity_id').notNullable();
        t.text('customer_id');
        t.text('opportunity_id');
        t.timestamp('completed_at', { useTz: true });
        t.primary(['tenant_id', 'activity_id']);
        t.index(['tenant_id', 'customer_id']);
        t.index(['tenant_id', 'opportunity_id']);
      });
    },
    async down(knex) {
      await knex.schema.dropTable('segment_activity_facts');
      await knex.schema.dropTable('segment_deal_facts');
      await knex.schema.dropTable('segment_customer_facts');
    },
  },
];
