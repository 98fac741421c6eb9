import type { Migration } from './index.js';

/** Migrations of the workflows' work (names 1000-1099). */
export const workflowMigrations: readonly Migration[] = [
  {
    name: '1000_leads_conversion_targets',
    // Task and activity lists by deal or customer also look up the leads converted into it.
    async up(knex) {
      await knex.schema.alterTable('leads', (t) => {
        t.index(['tenant_id', 'opportunity_id']);
        t.index(['tenant_id', 'customer_id']);
      });
    },
    async down(knex) {
      await knex.schema.alterTable('leads', (t) => {
        t.dropIndex(['tenant_id', 'opportunity_id']);
        t.dropIndex(['tenant_id', 'customer_id']);
      });
    },
  },
];
