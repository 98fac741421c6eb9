import { z } from 'zod';
import { CUSTOMER_STATUSES } from '../../aggregates/customerProfile/events.js';
import type { SegmentDefinition } from '../../aggregates/segmentation/index.js';
import { amount, integer, oneOf, text } from '../fields.js';

/**
 * PUT /segments: the tenant's whole set of segment definitions. A criterion left out (or null) does
 * not restrict; the decider checks what needs the whole definition (ranges, duplicates, at least one).
 */
const criteria = z.strictObject({
  industry: z.array(text(100)).min(1).max(100).nullish(),
  company_size: z.strictObject({ min_employees: integer(0, 10_000_000).nullish(), max_employees: integer(0, 10_000_000).nullish() }).nullish(),
  revenue: z.strictObject({ min: amount.nullish(), max: amount.nullish() }).nullish(),
  lifecycle: z.array(oneOf(CUSTOMER_STATUSES, 'upper')).min(1).max(3).nullish(),
  behavior: z
    .strictObject({
      no_activity_days: integer(1, 3650).nullish(),
      min_slipped_deals: integer(1, 1000).nullish(),
      match: oneOf(['any', 'all'], 'lower').default('any'),
    })
    .nullish(),
});

const segment = z.strictObject({ code: z.string().trim().min(1).max(64), name: text(100), criteria });

export const configureSegmentsBody = z
  .strictObject({ segments: z.array(segment).max(50) })
  .transform((b): { segments: SegmentDefinition[] } => ({
    segments: b.segments.map((s) => {
      const c = s.criteria;
      return {
        code: s.code,
        name: s.name,
        criteria: {
          industry: c.industry ?? null,
          companySize: c.company_size ? { minEmployees: c.company_size.min_employees ?? null, maxEmployees: c.company_size.max_employees ?? null } : null,
          revenue: c.revenue ? { min: c.revenue.min ?? null, max: c.revenue.max ?? null } : null,
          lifecycle: c.lifecycle ?? null,
          behavior: c.behavior
            ? { noActivityDays: c.behavior.no_activity_days ?? null, minSlippedDeals: c.behavior.min_slipped_deals ?? null, match: c.behavior.match }
            : null,
        },
      };
    }),
  }));
