import type { Knex } from 'knex';
import { EVENT_STORE_DDL, EVENT_STORE_DROP } from '../../eventstore/postgres/schema.js';
import { accessMigrations } from './access.js';
import { activityMigrations } from './activities.js';
import { feedMigrations } from './feeds.js';
import { workflowMigrations } from './workflows.js';
import { customerMigrations } from './customers.js';
import { customerTimelineMigrations } from './customerTimeline.js';
import { eventChainMigrations } from './eventChain.js';
import { forecastMigrations } from './forecasts.js';
import { kafkaMigrations } from './kafka.js';
import { leadMigrations } from './leads.js';
import { segmentMigrations } from './segments.js';
import { quotaMigrations } from './quotas.js';
import { privacyMigrations } from './privacy.js';
import { stageMigrations } from './stages.js';
import { subscriptionMigrations } from './subscriptions.js';

export interface Migration {
  readonly name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** In order. Never edit a migration that has shipped: add one. */
export const migrations: readonly Migration[] = [
  {
    name: '0001_event_store',
    up: async (knex) => void (await knex.raw(EVENT_STORE_DDL)),
    down: async (knex) => void (await knex.raw(EVENT_STORE_DROP)),
  },
  {
    name: '0002_projection_checkpoints',
    async up(knex) {
      await knex.schema.createTable('projection_checkpoints', (t) => {
        t.text('name').primary();
        t.integer('version').notNullable();
        t.bigInteger('position_commit').notNullable();
        t.bigInteger('position_prepare').notNullable();
        t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      });
    },
    down: async (knex) => knex.schema.dropTable('projection_checkpoints'),
  },
  {
    name: '0003_idempotency_keys',
    async up(knex) {
      await knex.schema.createTable('idempotency_keys', (t) => {
        t.text('tenant_id').notNullable();
        t.text('key').notNullable();
        t.text('request_hash').notNullable();
        t.text('stream_id').notNullable();
        t.text('status').notNullable(); // pending | done
        t.integer('status_code');
        t.jsonb('response');
        t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
        t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
        t.primary(['tenant_id', 'key']);
      });
    },
    down: async (knex) => knex.schema.dropTable('idempotency_keys'),
  },
  {
    name: '0004_opportunities_read_model',
    async up(knex) {
      await knex.schema.createTable('opportunities', (t) => {
        t.text('tenant_id').notNullable();
        t.text('opportunity_id').notNullable();
        t.text('name');
        t.text('customer_id');
        t.text('lead_id');
        t.text('owner_id');
        t.text('stage').notNullable();
        t.text('status').notNullable(); // open | won | lost
        t.integer('probability').notNullable();
        t.decimal('amount', 18, 2).notNullable();
        t.specificType('currency', 'char(3)').notNullable();
        t.date('expected_close_date');
        t.date('close_date');
        t.text('lost_reason');
        t.text('next_step');
        t.jsonb('products').notNullable().defaultTo('[]');
        t.jsonb('metadata').notNullable().defaultTo('{}');
        t.bigInteger('revision').notNullable();
        t.text('created_by').notNullable();
        t.text('updated_by').notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable();
        t.timestamp('updated_at', { useTz: true }).notNullable();
        t.primary(['tenant_id', 'opportunity_id']);
        t.index(['tenant_id', 'stage']);
        t.index(['tenant_id', 'owner_id']);
        t.index(['tenant_id', 'customer_id']);
      });
    },
    down: async (knex) => knex.schema.dropTable('opportunities'),
  },
  {
    name: '0005_opportunities_territory',
    async up(knex) {
      await knex.schema.alterTable('opportunities', (t) => {
        t.text('territory_id');
        t.index(['tenant_id', 'territory_id']);
        t.index(['tenant_id', 'expected_close_date']);
      });
    },
    down: async (knex) =>
      knex.schema.alterTable('opportunities', (t) => {
        t.dropIndex(['tenant_id', 'expected_close_date']);
        t.dropIndex(['tenant_id', 'territory_id']);
        t.dropColumn('territory_id');
      }),
  },
  {
    name: '0006_sales_analytics',
    async up(knex) {
      await knex.schema.createTable('opportunity_stage_history', (t) => {
        t.text('tenant_id').notNullable();
        t.text('opportunity_id').notNullable();
        t.bigInteger('revision').notNullable();
        t.text('stage').notNullable();
        t.timestamp('entered_at', { useTz: true }).notNullable();
        t.timestamp('left_at', { useTz: true });
        t.primary(['tenant_id', 'opportunity_id', 'revision']);
        t.index(['tenant_id', 'stage', 'entered_at']);
      });
      await knex.schema.createTable('opportunity_close_date_changes', (t) => {
        t.text('tenant_id').notNullable();
        t.text('opportunity_id').notNullable();
        t.bigInteger('revision').notNullable();
        t.date('from_date');
        t.date('to_date');
        t.timestamp('changed_at', { useTz: true }).notNullable();
        t.primary(['tenant_id', 'opportunity_id', 'revision']);
        t.index(['tenant_id', 'from_date']);
      });
    },
    async down(knex) {
      await knex.schema.dropTable('opportunity_close_date_changes');
      await knex.schema.dropTable('opportunity_stage_history');
    },
  },
  {
    name: '0007_opportunities_pricing',
    async up(knex) {
      await knex.schema.alterTable('opportunities', (t) => {
        t.text('quote_id');
        t.decimal('quote_amount', 18, 2);
        t.specificType('quote_currency', 'char(3)');
        t.date('quote_valid_until');
      });
    },
    down: async (knex) =>
      knex.schema.alterTable('opportunities', (t) => {
        t.dropColumns('quote_id', 'quote_amount', 'quote_currency', 'quote_valid_until');
      }),
  },
  ...kafkaMigrations,
  ...stageMigrations,
  ...customerMigrations,
  ...leadMigrations,
  ...forecastMigrations,
  ...accessMigrations,
  {
    name: '0008_opportunities_deal_score',
    // Expand first: the projection's version 2 rebuilds into a copy of this table's shape.
    async up(knex) {
      await knex.schema.alterTable('opportunities', (t) => {
        t.integer('deal_score').notNullable().defaultTo(0);
        t.integer('close_date_pushes').notNullable().defaultTo(0);
        t.integer('probability_drops').notNullable().defaultTo(0);
        t.index(['tenant_id', 'deal_score']);
      });
    },
    down: async (knex) =>
      knex.schema.alterTable('opportunities', (t) => {
        t.dropIndex(['tenant_id', 'deal_score']);
        t.dropColumns('deal_score', 'close_date_pushes', 'probability_drops');
      }),
  },
  {
    name: '0009_territories',
    async up(knex) {
      await knex.schema.createTable('territories', (t) => {
        t.text('tenant_id').notNullable();
        t.text('territory_id').notNullable();
        t.text('name').notNullable();
        t.text('owner_id');
        t.text('region');
        t.text('rule');
        t.boolean('active').notNullable();
        t.bigInteger('revision').notNullable();
        t.text('created_by').notNullable();
        t.text('updated_by').notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable();
        t.timestamp('updated_at', { useTz: true }).notNullable();
        t.primary(['tenant_id', 'territory_id']);
        t.index(['tenant_id', 'owner_id']);
      });
      // Every assignment of a lead or a deal to a territory, from the events that made it.
      await knex.schema.createTable('territory_assignments', (t) => {
        t.text('tenant_id').notNullable();
        t.uuid('event_id').notNullable();
        t.text('territory_id').notNullable();
        t.text('record_type').notNullable(); // lead | opportunity
        t.text('record_id').notNullable();
        t.text('from_territory_id');
        t.text('reason');
        t.text('assigned_by').notNullable();
        t.timestamp('assigned_at', { useTz: true }).notNullable();
        t.primary(['tenant_id', 'event_id']);
        t.index(['tenant_id', 'territory_id', 'assigned_at']);
        t.index(['tenant_id', 'from_territory_id']);
      });
    },
    async down(knex) {
      await knex.schema.dropTable('territory_assignments');
      await knex.schema.dropTable('territories');
    },
  },
  ...subscriptionMigrations,
  ...activityMigrations,
  ...segmentMigrations,
  ...workflowMigrations,
  ...customerTimelineMigrations,
  ...quotaMigrations,
  ...feedMigrations,
  ...eventChainMigrations,
  ...privacyMigrations,
];
