import type { Migration } from './index.js';

/** Issue 12: the opportunity's commercial terms (billing and onboarding feeds read them from the log), Marketing's view of a lead. */
export const feedMigrations: readonly Migration[] = [
  {
    name: '1500_opportunity_commercial_terms',
    // Nullable and new: no stored event sets it yet, so the read model needs no rebuild.
    up: async (knex) => knex.schema.alterTable('opportunities', (t) => t.jsonb('commercial_terms')),
    down: async (knex) => knex.schema.alterTable('opportunities', (t) => t.dropColumn('commercial_terms')),
  },
  {
    name: '1501_leads_marketing_attribution',
    // New, from a new event type: nothing to rebuild.
    up: async (knex) =>
      knex.schema.alterTable('leads', (t) => {
        t.text('campaign_id');
        t.jsonb('attribution');
      }),
    down: async (knex) => knex.schema.alterTable('leads', (t) => t.dropColumns('campaign_id', 'attribution')),
  },
];
