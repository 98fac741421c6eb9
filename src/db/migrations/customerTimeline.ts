import type { Migration } from './index.js';

/** The customer timeline read model (issue 11; projections/customerTimeline.ts); names start with '12'. */
export const customerTimelineMigrations: readonly Migration[] = [
  {
    name: '1200_customer_timeline',
    async up(knex) {
      await knex.schema.createTable('customer_timeline', (t) => {
        t.text('tenant_id').notNullable();
        // The event's id; `activity:<id>` / `task:<id>` for the one entry an activity or task has.
        t.text('entry_id').notNullable();
        t.text('kind').notNullable();
        // Null while not (or no longer) on the timeline: a planned activity, an open task.
        t.timestamp('occurred_at', { useTz: true });
        t.text('record_type').notNullable(); // customer | opportunity | activity | task
        t.text('record_id').notNullable();
        t.text('owner_id'); // the deal's owner, the activity's owner, the task's assignee
        t.text('related_type'); // what it is about: customer | opportunity | lead
        t.text('related_id');
        t.jsonb('details').notNullable();
        t.primary(['tenant_id', 'entry_id']);
        t.index(['tenant_id', 'related_type', 'related_id', 'occurred_at']);
        t.index(['tenant_id', 'record_type', 'record_id']);
      });
    },
    down: async (knex) => knex.schema.dropTable('customer_timeline'),
  },
];
