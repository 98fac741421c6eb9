import { z } from 'zod';
import { amount, currency, id, integer, text } from '../fields.js';

/**
 * Seed 004's marketing lead (the payload of its upstream lead.qualified event, and the body of
 * POST /leads/{id}/sync): one schema for both doors, so Kafka and REST accept the same thing.
 */
const touch = z.string().trim().min(1).max(64).toLowerCase();

export const marketingLeadPayload = z.object({
  lead_id: id.optional(),
  source: text(64),
  score: integer(0, 100).optional(),
  campaign_id: id.optional(),
  attribution: z
    .object({ first_touch: touch.optional(), last_touch: touch.optional(), touches: z.array(touch).max(100).default([]) })
    .optional(),
  profile: z
    .object({
      first_name: text(100).optional(),
      last_name: text(100).optional(),
      email: z.string().trim().max(254).pipe(z.email()).optional(),
      company: text(200).optional(),
      title: text(200).optional(),
      phone: text(40).optional(),
    })
    .default({}),
  firmographic: z
    .object({
      industry: text(100).optional(),
      employee_count: integer(1, 100_000_000).optional(),
      annual_revenue: amount.optional(),
      currency: currency.optional(),
    })
    .default({}),
});

export type MarketingLeadPayload = z.output<typeof marketingLeadPayload>;

/** The sync use case's input from a parsed payload, for the lead `leadId`. */
export function marketingLeadInput(leadId: string, p: MarketingLeadPayload) {
  return {
    create: {
      leadId,
      source: p.source,
      personalData: {
        firstName: p.profile.first_name ?? null,
        lastName: p.profile.last_name ?? null,
        email: p.profile.email ?? null,
        phone: p.profile.phone ?? null,
      },
      company: p.profile.company,
      title: p.profile.title,
      industry: p.firmographic.industry,
      employeeCount: p.firmographic.employee_count,
      annualRevenue: p.firmographic.annual_revenue,
      currency: p.firmographic.currency,
      marketingScore: p.score,
    },
    view: {
      marketingScore: p.score ?? null,
      campaignId: p.campaign_id ?? null,
      attribution: p.attribution
        ? { firstTouch: p.attribution.first_touch ?? null, lastTouch: p.attribution.last_touch ?? null, touches: p.attribution.touches }
        : null,
    },
  };
}

/** POST /leads/{id}/sync: the payload, whose lead_id (when given) must be the path's. */
export const leadSyncBody = marketingLeadPayload.strict();
