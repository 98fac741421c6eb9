import type { Migration } from './index.js';

/**
 * Migrations of the subscription mechanism (src/subscriptions); names start with '0800_'. The
 * checkpoints stay in projection_checkpoints (0002): one table for every subscriber.
 */
export const subscriptionMigrations: readonly Migration[] = [
  {
    name: '0800_subscription_leases',
    async up(knex) {
      // Who runs each subscription: one row per subscription, renewed by its holder, taken over
      // by another instance once expires_at (database time) has passed.
      await knex.schema.createTable('subscription_leases', (t) => {
        t.text('name').primary();
        t.text('holder').notNullable();
        t.bigInteger('term').notNullable(); // +1 at every change of holder
        t.timestamp('acquired_at', { useTz: true }).notNullable();
        t.timestamp('expires_at', { useTz: true }).notNullable();
      });
    },
    down: async (knex) => knex.schema.dropTable('subscription_leases'),
  },
];
