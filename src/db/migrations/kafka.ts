import type { Knex } from 'knex';
import type { Migration } from './index.js';

/**
 * Migrations of the Kafka bridge, applied after the core ones. The outbound checkpoint lives in
 * projection_checkpoints (0002); these are the inbox and the enrichment read models that
 * consumed events maintain (src/bridges/kafka/inboundHandlers.ts).
 */
export const kafkaMigrations: readonly Migration[] = [
  {
    name: '0100_kafka_inbox',
    async up(knex) {
      // One row per consumed event id, written in the same transaction as the event's effect.
      await knex.schema.createTable('kafka_inbox', (t) => {
        t.text('event_id').primary();
        t.text('event_type').notNullable();
        t.text('topic').notNullable();
        t.integer('partition').notNullable();
        t.bigInteger('offset').notNullable();
        t.text('tenant_id').notNullable();
        t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      });
    },
    down: async (knex) => knex.schema.dropTable('kafka_inbox'),
  },
  {
    name: '0101_kafka_enrichment_read_models',
    async up(knex) {
      await createEnrichmentTables(knex);
    },
    async down(knex) {
      for (const table of [
        'customer_credit_blocks',
        'customer_accounts',
        'inbound_leads',
        'customer_entitlements',
        'customer_service_history',
      ]) {
        await knex.schema.dropTableIfExists(table);
      }
    },
  },
  {
    name: '0102_customer_accounts_values',
    async up(knex) {
      // The new values CustomerProfileUpdatedEvent now carries (null: not changed yet or cleared).
      await knex.schema.alterTable('customer_accounts', (t) => {
        t.text('name');
        t.text('status');
        t.text('segment');
        t.text('primary_contact_id');
      });
    },
    async down(knex) {
      await knex.schema.alterTable('customer_accounts', (t) => {
        t.dropColumns('name', 'status', 'segment', 'primary_contact_id');
      });
    },
  },
  {
    name: '0103_kafka_inbox_per_tenant',
    async up(knex) {
      // Event ids are unique per producing tenant, not across tenants: one tenant's id must not
      // make another tenant's event look like a duplicate.
      await knex.raw('alter table kafka_inbox drop constraint kafka_inbox_pkey, add primary key (tenant_id, event_id)');
    },
    async down(knex) {
      await knex.raw('alter table kafka_inbox drop constraint kafka_inbox_pkey, add primary key (event_id)');
    },
  },
  {
    name: '0104_customer_account_updates',
    async up(knex) {
      // Every consumed CustomerProfileUpdatedEvent, for the customer's interaction timeline;
      // customer_accounts keeps only the latest values. A value column is set only when the
      // update changed that field. Earlier updates were not kept: the latest one per account
      // is carried over from customer_accounts.
      await knex.schema.createTable('customer_account_updates', (t) => {
        t.text('tenant_id').notNullable();
        t.text('event_id').notNullable();
        t.text('customer_id').notNullable();
        t.jsonb('changed_fields').notNullable();
        t.text('updated_by').notNullable();
        t.timestamp('updated_at', { useTz: true }).notNullable();
        t.text('name');
        t.text('status');
        t.text('segment');
        t.text('primary_contact_id');
        t.primary(['tenant_id', 'event_id']);
        t.index(['tenant_id', 'customer_id', 'updated_at']);
      });
      await knex.raw(`insert into customer_account_updates
          (tenant_id, event_id, customer_id, changed_fields, updated_by, updated_at, name, status, segment, primary_contact_id)
        select tenant_id, event_id, customer_id, changed_fields, updated_by, updated_at,
               case when changed_fields @> '["name"]' then name end,
               case when changed_fields @> '["status"]' then status end,
               case when changed_fields @> '["segment"]' then segment end,
               case when changed_fields @> '["primaryContactId"]' then primary_contact_id end
          from customer_accounts
        on conflict do nothing`);
    },
    down: async (knex) => knex.schema.dropTable('customer_account_updates'),
  },
];

async function createEnrichmentTables(knex: Knex): Promise<void> {
  // ServiceOrderCreatedEvent (Service Orders) → a customer's service history.
  await knex.schema.createTable('customer_service_history', (t) => {
    t.text('tenant_id').notNullable();
    t.text('customer_id').notNullable();
    t.text('service_order_id').notNullable();
    t.text('description').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.text('event_id').notNullable();
    t.primary(['tenant_id', 'service_order_id']);
    t.index(['tenant_id', 'customer_id', 'created_at']);
  });
  // ContractActivatedEvent (Contracts) → what a customer is entitled to.
  await knex.schema.createTable('customer_entitlements', (t) => {
    t.text('tenant_id').notNullable();
    t.text('contract_id').notNullable();
    t.text('customer_id').notNullable();
    t.text('product_id').notNullable();
    t.text('entitlement').notNullable();
    t.date('start_date').notNullable();
    t.date('end_date');
    t.timestamp('activated_at', { useTz: true }).notNullable();
    t.text('event_id').notNullable();
    t.primary(['tenant_id', 'contract_id']);
    t.index(['tenant_id', 'customer_id']);
  });
  // LeadCreatedEvent (Sales): recorded here until the CustomerProfile aggregate takes it over.
  await knex.schema.createTable('inbound_leads', (t) => {
    t.text('tenant_id').notNullable();
    t.text('lead_id').notNullable();
    t.text('source').notNullable();
    t.text('owner_id').notNullable();
    t.text('company_name');
    // Personal data stays in this one column (DESIGN §9), the sub-record the event marks as such.
    t.jsonb('personal_data');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.text('event_id').notNullable();
    t.primary(['tenant_id', 'lead_id']);
  });
  // CustomerProfileUpdatedEvent (Customer 360) → the latest profile change per account.
  await knex.schema.createTable('customer_accounts', (t) => {
    t.text('tenant_id').notNullable();
    t.text('customer_id').notNullable();
    t.jsonb('changed_fields').notNullable();
    t.text('updated_by').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.text('event_id').notNullable();
    t.primary(['tenant_id', 'customer_id']);
  });
  // CreditLimitExceededEvent / CreditLimitRestoredEvent (Finance/AR) → whether closing is blocked.
  await knex.schema.createTable('customer_credit_blocks', (t) => {
    t.text('tenant_id').notNullable();
    t.text('customer_id').notNullable();
    t.boolean('blocked').notNullable();
    t.timestamp('since', { useTz: true }).notNullable();
    t.decimal('credit_limit', 18, 2);
    t.decimal('exposure', 18, 2);
    t.specificType('currency', 'char(3)');
    t.text('event_id').notNullable();
    t.primary(['tenant_id', 'customer_id']);
  });
}
