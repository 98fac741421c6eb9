import { z } from 'zod';
import { instant, money, nullable, written } from './common.js';

/** Segment definitions as GET shows them and PUT takes them (null: the criterion does not restrict). */
const criteria = z.object({
  industry: nullable(z.array(z.string())),
  company_size: nullable(z.object({ min_employees: nullable(z.number().int()), max_employees: nullable(z.number().int()) })),
  revenue: nullable(z.object({ min: nullable(money), max: nullable(money) })),
  lifecycle: nullable(z.array(z.string())),
  behavior: nullable(z.object({ no_activity_days: nullable(z.number().int()), min_slipped_deals: nullable(z.number().int()), match: z.enum(['any', 'all']) })),
});

export const segmentSetBody = z.object({
  configured: z.boolean(),
  segments: z.array(z.object({ code: z.string(), name: z.string(), criteria })),
});

export const segmentSetViewBody = segmentSetBody.extend({ revision: z.string(), updated_at: nullable(instant), updated_by: nullable(z.string()) });
export const segmentSetResult = segmentSetBody.extend(written);

export const segmentHistoryBody = z.object({
  data: z.array(z.looseObject({ event_id: z.string(), event_type: z.string(), revision: z.string(), actor: z.string(), segment_set: segmentSetBody })),
});
