import type { Migration } from './index.js';

/** Data subjects and their keys (src/privacy/subjects.ts); names start with '17'. */
export const privacyMigrations: readonly Migration[] = [
  {
    name: '1700_privacy_subjects',
    async up(knex) {
      await knex.schema.createTable('privacy_subjects', (t) => {
        t.uuid('subject_id').primary();
        t.text('tenant_id').notNullable().index();
        // Null once erased: the only copy of the key is gone.
        t.binary('key');
        t.text('wrapped_by').notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
        t.timestamp('erased_at', { useTz: true });
        t.text('erased_by');
        // What the erasure was asked for, and when its events were written: a crash in between
        // (keys gone, events not yet) is finished at the next start.
        t.jsonb('erasure_request');
        t.timestamp('erasure_recorded_at', { useTz: true });
      });
      await knex.schema.createTable('privacy_subject_refs', (t) => {
        t.text('tenant_id').notNullable();
        // email:<sha256 of the normalised email> or record:<stream>[#<sha256 of a contact's name>]
        t.text('ref').notNullable();
        t.uuid('subject_id').notNullable();
        t.primary(['tenant_id', 'ref']);
        t.index(['subject_id']);
      });
      await knex.schema.createTable('privacy_subject_streams', (t) => {
        t.text('tenant_id').notNullable();
        t.uuid('subject_id').notNullable();
        t.text('stream_id').notNullable();
        t.primary(['subject_id', 'stream_id']);
        t.index(['tenant_id', 'stream_id']);
      });
      // Sales' consumed lead events: nothing reads their person (the customer made from one holds
      // it, sealed), so the copy is dropped rather than kept beyond erasure's reach.
      await knex('inbound_leads').update({ personal_data: null });
      // Read models say when a record's personal data was erased.
      await knex.schema.alterTable('leads', (t) => t.timestamp('personal_data_erased_at', { useTz: true }));
      await knex.schema.alterTable('customers', (t) => t.timestamp('personal_data_erased_at', { useTz: true }));
    },
    async down(knex) {
      await knex.schema.alterTable('customers', (t) => t.dropColumn('personal_data_erased_at'));
      await knex.schema.alterTable('leads', (t) => t.dropColumn('personal_data_erased_at'));
      await knex.schema.dropTable('privacy_subject_streams');
      await knex.schema.dropTable('privacy_subject_refs');
      await knex.schema.dropTable('privacy_subjects');
    },
  },
];
