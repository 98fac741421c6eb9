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
  {
    name: '0801_subscription_dead_letters',
    async up(knex) {
      // An event a subscriber could not handle after retries, set aside so the rest goes on.
      await knex.schema.createTable('subscription_dead_letters', (t) => {
        t.text('subscription').notNullable();
        t.text('event_id').notNullable();
        t.text('stream_id').notNullable();
        t.text('event_type').notNullable();
        t.text('position').notNullable(); // "commit/prepare"
        t.text('error').notNullable();
        t.integer('attempts').notNullable();
        t.timestamp('failed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
        t.primary(['subscription', 'event_id']);
      });
    },
    down: async (knex) => knex.schema.dropTable('subscription_dead_letters'),
  },
];
