import type { z } from 'zod';
import type { SegmentationState } from '../../aggregates/segmentation/index.js';
import type { segmentSetBody } from '../responses/segments.js';

/** The definitions in the API's shape: exactly what PUT takes, so a client can GET, edit and PUT back. */
export function segmentSetDto(state: SegmentationState): z.input<typeof segmentSetBody> {
  return {
    configured: state.configured,
    segments: state.set.segments.map((s) => {
      const c = s.criteria;
      return {
        code: s.code,
        name: s.name,
        criteria: {
          industry: c.industry && [...c.industry],
          company_size: c.companySize && { min_employees: c.companySize.minEmployees, max_employees: c.companySize.maxEmployees },
          revenue: c.revenue && { min: c.revenue.min, max: c.revenue.max },
          lifecycle: c.lifecycle && [...c.lifecycle],
          behavior: c.behavior && { no_activity_days: c.behavior.noActivityDays, min_slipped_deals: c.behavior.minSlippedDeals, match: c.behavior.match },
        },
      };
    }),
  };
}
