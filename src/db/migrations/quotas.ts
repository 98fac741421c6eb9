import type { Migration } from './index.js';

/** Migrations of the quotas read model; names start with '14'. */
export const quotaMigrations: readonly Migration[] = [
  {
    name: '1400_quotas_read_model',
    async up(knex) {
      await knex.schema.createTable('quotas', (t) => {
        t.text('tenant_id').notNullable();
        t.text('quota_id').notNullable();
        // Exactly one of the two: a user's quota or a territory's.
        t.text('owner_id');
        t.text('territory_id');
        t.text('period').notNullable();
        t.date('period_start').notNullable();
        t.date('period_end').notNullable(); // inclusive last day
        t.decimal('amount', 18, 2).notNullable();
        t.specificType('currency', 'char(3)').notNullable();
        // The last QuotaAttainedEvent: when, at which quota amount, with what won.
        t.timestamp('attained_at', { useTz: true });
        t.decimal('attained_quota_amount', 18, 2);
        t.specificType('attained_won_amount', 'numeric');
        t.bigInteger('revision').notNullable();
        t.text('created_by').notNullable();
        t.text('updated_by').notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable();
        t.timestamp('updated_at', { useTz: true }).notNullable();
        t.primary(['tenant_id', 'quota_id']);
        t.index(['tenant_id', 'owner_id', 'period_start']);
        t.index(['tenant_id', 'territory_id', 'period_start']);
      });
    },
    down: async (knex) => knex.schema.dropTable('quotas'),
  },
];
