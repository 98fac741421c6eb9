import type { Migration } from './index.js';

/** Indexes that let batches of a rebuild find what they continue from; names start with '195'. */
export const rebuildIndexMigrations: readonly Migration[] = [
  {
    name: '1950_stage_history_open_visits',
    // The one open visit per deal, which the next batch's first stage change closes: without
    // it that update reads every visit of each deal in the batch.
    up: async (knex) => knex.raw('create index if not exists opportunity_stage_history_open on opportunity_stage_history (tenant_id, opportunity_id, revision) where left_at is null'),
    down: async (knex) => knex.raw('drop index if exists opportunity_stage_history_open'),
  },
];
