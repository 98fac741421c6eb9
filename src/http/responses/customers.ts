import { z } from 'zod';
import { instant, nullable, pageOf, written } from './common.js';
import { opportunityBody } from './opportunities.js';

export const customerBody = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  segment: z.string(),
  primary_contact_id: nullable(z.string()),
  personal_data: nullable(z.unknown()).meta({ description: 'the contact person: the only personal data of a profile' }),
  merged_into: nullable(z.string()),
  merge_reason: nullable(z.string()),
  merged_at: nullable(instant),
  revision: z.string(),
  created_by: z.string(),
  updated_by: z.string(),
  created_at: instant,
  updated_at: instant,
});

export const customerPage = pageOf(customerBody);

export const consentBody = z.object({ consent_type: z.string(), status: z.string(), source: nullable(z.string()), updated_by: z.string(), updated_at: instant });

/** The Customer 360 view; open_opportunities holds only the deals the caller may see. */
export const customer360Body = customerBody.extend({
  consents: z.array(consentBody),
  merged_from: z.array(z.object({ customer_id: z.string(), merge_reason: z.string(), merged_by: z.string(), merged_at: instant })).optional(),
  open_opportunities: z.array(opportunityBody).optional(),
  open_opportunity_count: z.number().int().optional(),
});

export const customerResult = z.object({
  id: z.string(),
  name: z.string().optional(),
  status: z.string().optional(),
  segment: z.string().optional(),
  primary_contact_id: nullable(z.string()).optional(),
  personal_data: nullable(z.unknown()).optional(),
  merged_into: nullable(z.string()).optional(),
  merged_from: z.array(z.string()).optional(),
  consents: z.record(z.string(), z.string()).optional(),
  changed: z.boolean().optional(),
  source_customer_id: z.string().optional(),
  merge_reason: z.string().optional(),
  ...written,
});

export const consentResult = z.object({ id: z.string(), consent_type: z.string(), status: nullable(z.string()), changed: z.boolean(), ...written });

export const consentHistoryBody = z.object({
  id: z.string(),
  data: z.array(
    z.object({
      event_id: z.string(),
      revision: z.string(),
      consent_type: z.string(),
      status: z.string(),
      previous_status: nullable(z.string()),
      source: nullable(z.string()),
      actor: z.string(),
      timestamp: instant,
    }),
  ),
});
