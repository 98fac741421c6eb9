import type { Migration } from './index.js';

/** Migrations of the Customer 360 (profiles, consents, merges) read models; names start with '0200_'. */
export const customerMigrations: readonly Migration[] = [
  {
    name: '0200_customers_read_models',
    async up(knex) {
      await knex.schema.createTable('customers', (t) => {
        t.text('tenant_id').notNullable();
        t.text('customer_id').notNullable();
        t.text('name').notNullable();
        t.text('status').notNullable(); // ACTIVE | INACTIVE | PROSPECT
        t.text('segment').notNullable();
        t.text('primary_contact_id');
        // The event's personalData sub-object as is (DESIGN §9); a rebuild after erasure drops it.
        t.jsonb('personal_data');
        t.text('merged_into');
        t.text('merge_reason');
        t.timestamp('merged_at', { useTz: true });
        t.bigInteger('revision').notNullable();
        t.text('created_by').notNullable();
        t.text('updated_by').notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable();
        t.timestamp('updated_at', { useTz: true }).notNullable();
        t.primary(['tenant_id', 'customer_id']);
        t.index(['tenant_id', 'status']);
        t.index(['tenant_id', 'segment']);
        t.index(['tenant_id', 'merged_into']);
      });
      // Current consent per type; the history is read from the stream.
      await knex.schema.createTable('customer_consents', (t) => {
        t.text('tenant_id').notNullable();
        t.text('customer_id').notNullable();
        t.text('consent_type').notNullable();
        t.text('status').notNullable(); // GRANTED | REVOKED
        t.text('source');
        t.text('updated_by').notNullable();
        t.timestamp('updated_at', { useTz: true }).notNullable();
        t.primary(['tenant_id', 'customer_id', 'consent_type']);
      });
      // One row per merged source: opportunities of a source are listed under its golden record.
      await knex.schema.createTable('customer_merges', (t) => {
        t.text('tenant_id').notNullable();
        t.text('source_customer_id').notNullable();
        t.text('target_customer_id').notNullable();
        t.text('merge_reason').notNullable();
        t.text('merged_by').notNullable();
        t.timestamp('merged_at', { useTz: true }).notNullable();
        t.primary(['tenant_id', 'source_customer_id']);
        t.index(['tenant_id', 'target_customer_id']);
      });
    },
    async down(knex) {
      await knex.schema.dropTable('customer_merges');
      await knex.schema.dropTable('customer_consents');
      await knex.schema.dropTable('customers');
    },
  },
];
