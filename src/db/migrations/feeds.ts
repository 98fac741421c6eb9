import type { Migration } from './index.js';

/** Issue 12: the opportunity's commercial terms (billing and onboarding feeds read them from the log). */
export const feedMigrations: readonly Migration[] = [
  {
    name: '1500_opportunity_commercial_terms',
    // Nullable and new: no stored event sets it yet, so the read model needs no rebuild.
    up: async (knex) => knex.schema.alterTable('opportunities', (t) => t.jsonb('commercial_terms')),
    down: async (knex) => knex.schema.alterTable('opportunities', (t) => t.dropColumn('commercial_terms')),
  },
];
