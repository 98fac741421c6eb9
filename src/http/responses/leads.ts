import { z } from 'zod';
import { instant, money, nullable, pageOf, written } from './common.js';

const breakdown = z.unknown().meta({ description: 'points per criterion of the scoring rubric' });

export const leadBody = z.object({
  id: z.string(),
  status: z.string().meta({ enum: ['new', 'qualified', 'unqualified', 'converted'] }),
  source: z.string(),
  first_name: nullable(z.string()),
  last_name: nullable(z.string()),
  email: nullable(z.string()),
  phone: nullable(z.string()),
  personal_data_erased_at: nullable(z.iso.datetime({ offset: true })).meta({ description: 'When the person\'s data was erased (POST /api/v1/privacy/erasures); the four fields above are then null for good' }),
  company: nullable(z.string()),
  title: nullable(z.string()),
  industry: nullable(z.string()),
  employee_count: nullable(z.number().int()),
  annual_revenue: nullable(money),
  currency: nullable(z.string()),
  score: z.number().int(),
  score_breakdown: breakdown,
  marketing_score: nullable(z.number().int()),
  assigned_to: z.object({ id: z.string(), name: nullable(z.string()) }),
  territory_id: nullable(z.string()),
  assigned_at: nullable(instant),
  opportunity_id: nullable(z.string()),
  customer_id: nullable(z.string()),
  converted_at: nullable(instant),
  metadata: z.unknown(),
  revision: z.string(),
  created_at: nullable(instant),
  updated_at: nullable(instant),
});

export const leadPage = pageOf(leadBody);

export const leadResult = z.object({
  id: z.string(),
  status: z.string(),
  assigned_to: z.string(),
  territory_id: nullable(z.string()),
  score: z.number().int(),
  score_breakdown: breakdown,
  marketing_score: nullable(z.number().int()),
  qualification_threshold: z.number().int(),
  created_at: z.string(),
  qualified: z.boolean().optional(),
  updated_at: nullable(instant).optional(),
  ...written,
});

export const leadScoreBody = z.object({
  lead_id: z.string(),
  score: z.number().int(),
  breakdown,
  basis: z.unknown(),
  rubric_version: nullable(z.number().int()),
  qualification_threshold: z.number().int(),
  qualifies: z.boolean(),
  status: z.string(),
  marketing_score: nullable(z.number().int()),
  campaign_id: nullable(z.string()),
  attribution: nullable(z.object({ first_touch: nullable(z.string()), last_touch: nullable(z.string()), touches: z.array(z.string()) })),
  scored_at: nullable(instant),
});

export const conversionBody = z.object({
  opportunity_id: z.string(),
  lead_id: z.string(),
  customer_id: z.string(),
  customer_created: z.boolean(),
  status: z.literal('converted'),
  converted_at: instant,
  ...written,
});

export const assignmentBody = z.object({
  lead_id: z.string(),
  territory_id: nullable(z.string()),
  assigned_to: z.string(),
  assigned_at: z.string(),
  ...written,
});
