import type { Knex } from 'knex';
import type { Migration } from './index.js';

/**
 * The columns and indexes that close both tables alike (in this order, as first shipped): why it
 * was cancelled, revision, who and when; keyed by tenant and id, indexed for the lists' filters.
 */
function workTail(t: Knex.CreateTableBuilder, id: string, owner: string): void {
  t.text('cancel_reason');
  t.bigInteger('revision').notNullable();
  t.text('created_by').notNullable();
  t.text('updated_by').notNullable();
  t.timestamp('created_at', { useTz: true }).notNullable();
  t.timestamp('updated_at', { useTz: true }).notNullable();
  t.primary(['tenant_id', id]);
  t.index(['tenant_id', owner]);
  t.index(['tenant_id', 'related_type', 'related_id']);
  t.index(['tenant_id', 'status', 'due_date']);
}

/** Migrations of the activities and tasks read models (seed 003); names start with '0900_'. */
export const activityMigrations: readonly Migration[] = [
  {
    name: '0900_activities_and_tasks',
    async up(knex) {
      await knex.schema.createTable('activities', (t) => {
        t.text('tenant_id').notNullable();
        t.text('activity_id').notNullable();
        t.text('type').notNullable(); // call | email | meeting | note | demo | other
        t.text('subject').notNullable();
        t.text('description');
        t.text('related_type').notNullable(); // lead | opportunity | customer
        t.text('related_id').notNullable();
        t.text('owner_id').notNullable();
        t.timestamp('due_date', { useTz: true });
        t.timestamp('completed_date', { useTz: true });
        t.text('status').notNullable(); // planned | completed | cancelled
        t.text('priority').notNullable();
        t.text('outcome');
        workTail(t, 'activity_id', 'owner_id');
      });
      await knex.schema.createTable('tasks', (t) => {
        t.text('tenant_id').notNullable();
        t.text('task_id').notNullable();
        t.text('title').notNullable();
        t.text('description');
        t.text('task_type').notNullable();
        t.text('related_type'); // lead | opportunity | customer, or none
        t.text('related_id');
        t.text('assignee_id').notNullable();
        t.timestamp('due_date', { useTz: true }).notNullable();
        t.timestamp('completed_at', { useTz: true });
        t.text('completed_by');
        t.text('status').notNullable(); // open | completed | cancelled
        t.text('priority').notNullable();
        workTail(t, 'task_id', 'assignee_id');
      });
    },
    async down(knex) {
      await knex.schema.dropTable('tasks');
      await knex.schema.dropTable('activities');
    },
  },
];
