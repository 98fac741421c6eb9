import { z } from 'zod';
import { parseTimeline } from '../../aggregates/lead/index.js';
import { amount, currency, id, integer, isoDate, metadata, minPosition, oneOf, pagination, text, userId } from '../fields.js';

/** Lead bodies and queries (seed 004 snake_case), each transformed into its use case's input. */
const LEAD_STATUSES = ['new', 'qualified', 'unqualified', 'converted'] as const;

export const createLeadBody = z
  .strictObject({
    id: id.optional(),
    source: text(64),
    first_name: text(100).optional(),
    last_name: text(100).optional(),
    email: z.string().trim().max(254).pipe(z.email()),
    phone: text(40).optional(),
    company: text(200).optional(),
    title: text(200).optional(),
    industry: text(100).optional(),
    employee_count: integer(1, 100_000_000).optional(),
    annual_revenue: amount.optional(),
    /** The currency of annual_revenue; USD when revenue is given without one. */
    currency: currency.optional(),
    /** Marketing's own score (seed 004); kept as marketing_score, our rubric gives `score`. */
    score: integer(0, 100).optional(),
    metadata: metadata.optional(),
    assigned_to: userId.optional(),
    territory_id: id.optional(),
  })
  .transform((b) => ({
    leadId: b.id ?? crypto.randomUUID(),
    source: b.source,
    personalData: { firstName: b.first_name ?? null, lastName: b.last_name ?? null, email: b.email, phone: b.phone ?? null },
    company: b.company,
    title: b.title,
    industry: b.industry,
    employeeCount: b.employee_count,
    annualRevenue: b.annual_revenue,
    currency: b.currency,
    marketingScore: b.score,
    metadata: b.metadata,
    ownerId: b.assigned_to,
    territoryId: b.territory_id,
  }));

const timelineInput = z.union([integer(0, 120), z.string().trim().min(1).max(64)]).refine((t) => parseTimeline(t) !== undefined, {
  message: 'must be a number of months (0-120) or a label: immediate, this_month, this_quarter, next_quarter, this_half, this_year, next_year, none, "3-6 months"',
});

export const qualifyBody = z.strictObject({ timeline: timelineInput.optional(), notes: text(1000).optional() });

export const convertBody = z
  .strictObject({
    opportunity_name: text(200).optional(),
    amount,
    currency: currency.optional(),
    expected_close_date: isoDate.optional(),
    /** Any case; seed 004's "discovery" is PROSPECTING. Default: the first open stage. */
    stage: z.string().trim().min(1).max(64).optional(),
    probability: integer(0, 100).optional(),
    /** Attach to this existing customer; without it the conversion creates one. */
    customer_id: id.optional(),
  })
  .transform((b) => ({
    customerId: b.customer_id,
    opportunity: { name: b.opportunity_name, amount: b.amount, currency: b.currency, expectedCloseDate: b.expected_close_date, stage: b.stage, probability: b.probability },
  }));

export const assignBody = z
  .strictObject({ lead_id: id, territory_id: id, reason: text(500), /** Defaults to the caller. */ assigned_to: userId.optional() })
  .transform((b) => ({ leadId: b.lead_id, territoryId: b.territory_id, reason: b.reason, ownerId: b.assigned_to }));

export const listLeadsQuery = pagination.extend({
  status: oneOf(LEAD_STATUSES, 'lower').optional(),
  assigned_to: userId.optional(),
  territory_id: id.optional(),
  source: z.string().trim().toLowerCase().pipe(z.string().min(1).max(64)).optional(),
  min_score: z.coerce.number().int().min(0).max(100).optional(),
  min_position: minPosition,
});
