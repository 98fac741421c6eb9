import type { Migration } from './index.js';

/** Migrations of the leads read models; names start with '0300_'. */
export const leadMigrations: readonly Migration[] = [
  {
    name: '0300_leads_read_model',
    async up(knex) {
      await knex.schema.createTable('leads', (t) => {
        t.text('tenant_id').notNullable();
        t.text('lead_id').notNullable();
        t.text('status').notNullable(); // new | qualified | unqualified | converted
        t.text('source').notNullable();
        // Personal data, copied from the events' personalData; a rebuild re-derives it.
        t.text('first_name');
        t.text('last_name');
        t.text('email');
        t.text('phone');
        t.text('company');
        t.text('title');
        t.text('industry');
        t.integer('employee_count');
        t.decimal('annual_revenue', 18, 2);
        t.specificType('currency', 'char(3)');
        t.integer('score').notNullable().defaultTo(0);
        t.jsonb('score_breakdown').notNullable().defaultTo('{}');
        t.jsonb('score_basis').notNullable().defaultTo('{}');
        t.integer('rubric_version');
        t.timestamp('scored_at', { useTz: true });
        t.integer('marketing_score');
        t.jsonb('metadata').notNullable().defaultTo('{}');
        t.text('owner_id').notNullable();
        t.text('territory_id');
        t.text('assignment_reason');
        t.timestamp('assigned_at', { useTz: true }).notNullable();
        t.timestamp('qualified_at', { useTz: true });
        t.text('disqualified_reason');
        t.text('opportunity_id');
        t.text('customer_id');
        t.timestamp('converted_at', { useTz: true });
        t.bigInteger('revision').notNullable();
        t.text('created_by').notNullable();
        t.text('updated_by').notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable();
        t.timestamp('updated_at', { useTz: true }).notNullable();
        t.primary(['tenant_id', 'lead_id']);
        t.index(['tenant_id', 'status']);
        t.index(['tenant_id', 'owner_id']);
        t.index(['tenant_id', 'territory_id']);
        t.index(['tenant_id', 'source']);
        t.index(['tenant_id', 'score']);
        t.index(['tenant_id', 'created_at']);
      });
    },
    down: async (knex) => knex.schema.dropTable('leads'),
  },
];
