import type { Migration } from './index.js';

/** Migrations of access control (teams, API keys, rate limits, idempotency per caller); '0700_'. */
export const accessMigrations: readonly Migration[] = [
  {
    name: '0700_team_directory',
    async up(knex) {
      await knex.schema.createTable('teams', (t) => {
        t.text('tenant_id').notNullable();
        t.text('team_id').notNullable();
        t.text('name').notNullable();
        t.text('manager_id');
        t.boolean('active').notNullable();
        t.bigInteger('revision').notNullable();
        t.text('created_by').notNullable();
        t.text('updated_by').notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable();
        t.timestamp('updated_at', { useTz: true }).notNullable();
        t.primary(['tenant_id', 'team_id']);
        t.index(['tenant_id', 'manager_id']);
      });
      await knex.schema.createTable('team_members', (t) => {
        t.text('tenant_id').notNullable();
        t.text('team_id').notNullable();
        t.text('user_id').notNullable();
        t.text('added_by').notNullable();
        t.timestamp('added_at', { useTz: true }).notNullable();
        t.primary(['tenant_id', 'team_id', 'user_id']);
        t.index(['tenant_id', 'user_id']);
      });
    },
    async down(knex) {
      await knex.schema.dropTable('team_members');
      await knex.schema.dropTable('teams');
    },
  },
  {
    name: '0701_api_keys',
    async up(knex) {
      // The list of keys (a read model; authentication reads each key's stream itself).
      await knex.schema.createTable('api_keys', (t) => {
        t.text('tenant_id').notNullable();
        t.text('key_id').notNullable();
        t.text('name').notNullable();
        t.jsonb('roles').notNullable();
        t.timestamp('expires_at', { useTz: true });
        t.timestamp('revoked_at', { useTz: true });
        t.text('revoked_by');
        t.text('revoke_reason');
        t.bigInteger('revision').notNullable();
        t.text('created_by').notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable();
        t.timestamp('updated_at', { useTz: true }).notNullable();
        t.primary(['tenant_id', 'key_id']);
      });
      // Operational data, not domain state: when a key last authenticated a request.
      await knex.schema.createTable('api_key_usage', (t) => {
        t.text('tenant_id').notNullable();
        t.text('key_id').notNullable();
        t.timestamp('last_used_at', { useTz: true }).notNullable();
        t.primary(['tenant_id', 'key_id']);
      });
    },
    async down(knex) {
      await knex.schema.dropTable('api_key_usage');
      await knex.schema.dropTable('api_keys');
    },
  },
  {
    name: '0702_rate_limits',
    // rate-limiter-flexible's table, UNLOGGED: counters are worth no WAL and may be lost in a crash.
    up: async (knex) =>
      void (await knex.raw(
        'create unlogged table rate_limits (key varchar(255) primary key, points integer not null default 0, expire bigint)',
      )),
    down: async (knex) => knex.schema.dropTable('rate_limits'),
  },
  {
    name: '0703_idempotency_keys_per_caller',
    // A key belongs to the caller that sent it: another user of the tenant reusing the same key
    // must not receive the first caller's answer.
    async up(knex) {
      await knex.raw(`alter table idempotency_keys add column principal text not null default ''`);
      await knex.raw('alter table idempotency_keys drop constraint idempotency_keys_pkey');
      await knex.raw('alter table idempotency_keys add primary key (tenant_id, principal, key)');
    },
    async down(knex) {
      await knex.raw('alter table idempotency_keys drop constraint idempotency_keys_pkey');
      await knex.raw(`delete from idempotency_keys where principal <> ''`);
      await knex.raw('alter table idempotency_keys drop column principal');
      await knex.raw('alter table idempotency_keys add primary key (tenant_id, key)');
    },
  },
  {
    name: '0704_forecasts_deal_scope',
    // own | team | all; null for forecasts created before access control (they measured all).
    up: async (knex) => knex.schema.alterTable('forecasts', (t) => void t.text('deal_scope')),
    down: async (knex) => knex.schema.alterTable('forecasts', (t) => void t.dropColumn('deal_scope')),
  },
  {
    name: '0705_idempotency_claimant',
    // Which process holds a pending claim: it may take back its own abandoned claims at once.
    up: async (knex) => knex.schema.alterTable('idempotency_keys', (t) => void t.text('claimed_by')),
    down: async (knex) => knex.schema.alterTable('idempotency_keys', (t) => void t.dropColumn('claimed_by')),
  },
];
