import { z } from 'zod';
import { TIMELINE_KINDS } from '../../projections/customerTimelineQueries.js';
import { date, instant, money, nullable, pageOf, written } from './common.js';
import { activityBody, taskBody } from './activities.js';
import { opportunityBody } from './opportunities.js';

export const customerBody = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  segment: z.string().meta({ description: 'the label a user or Customer 360 assigned (seed 001)' }),
  segments: z.array(z.string()).meta({ description: 'the evaluated segments the customer belongs to (GET /segments defines them)' }),
  industry: nullable(z.string()),
  employee_count: nullable(z.number().int()),
  annual_revenue: nullable(money),
  primary_contact_id: nullable(z.string()),
  personal_data: nullable(z.unknown()).meta({ description: 'the contact person: the only personal data of a profile' }),
  personal_data_erased_at: nullable(z.string()).meta({ description: 'when the contact person\'s data was erased (POST /api/v1/privacy/erasures)' }),
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

/** ServiceOrderCreatedEvent (Service Orders): "attach service history" (seed 001). */
export const serviceOrderBody = z.object({ service_order_id: z.string(), customer_id: z.string(), description: z.string(), created_at: instant });

/** ContractActivatedEvent (Contracts): "update entitlement view" (seed 001). */
export const entitlementBody = z.object({
  contract_id: z.string(),
  customer_id: z.string(),
  product_id: z.string(),
  entitlement: z.string(),
  start_date: date,
  end_date: nullable(date),
  activated_at: instant,
  active: z.boolean().meta({ description: 'no end date, or it is today or later' }),
});

/** CustomerProfileUpdatedEvent (Customer 360): "sync account data" (seed 000); the latest value of each field synced so far. */
export const accountBody = z.object({
  name: nullable(z.string()),
  status: nullable(z.string()),
  segment: nullable(z.string()),
  primary_contact_id: nullable(z.string()),
  changed_fields: z.array(z.string()).meta({ description: 'the fields the latest synced update changed' }),
  updated_by: z.string(),
  updated_at: instant,
});

/** CreditLimitExceededEvent / CreditLimitRestoredEvent (Finance/AR). */
export const creditBody = z.object({ blocked: z.boolean(), since: instant, credit_limit: nullable(money), exposure: nullable(money), currency: nullable(z.string()) });

/** The Customer 360 view; open_opportunities holds only the deals the caller may see. */
export const customer360Body = customerBody.extend({
  consents: z.array(consentBody),
  merged_from: z.array(z.object({ customer_id: z.string(), merge_reason: z.string(), merged_by: z.string(), merged_at: instant })).optional(),
  open_opportunities: z.array(opportunityBody).optional(),
  open_opportunity_count: z.number().int().optional(),
  recent_activities: z
    .array(activityBody)
    .optional()
    .meta({ description: 'the latest 10 the caller may see (newest first) about the customer, its deals or the lead it came from; activity_count has them all' }),
  activity_count: z.number().int().optional(),
  open_tasks: z.array(taskBody).optional().meta({ description: 'open tasks the caller may see about the customer, its deals or the lead it came from, by due date, at most 100' }),
  open_task_count: z.number().int().optional(),
  service_history: z.array(serviceOrderBody).optional().meta({ description: 'newest first, at most 100; service_history_count has them all' }),
  service_history_count: z.number().int().optional(),
  entitlements: z.array(entitlementBody).optional().meta({ description: 'latest activation first, at most 100' }),
  entitlement_count: z.number().int().optional(),
  account: nullable(accountBody).optional(),
  credit: nullable(creditBody).optional(),
});

export const customerResult = z.object({
  id: z.string(),
  name: z.string().optional(),
  status: z.string().optional(),
  segment: z.string().optional(),
  segments: z.array(z.string()).optional(),
  industry: nullable(z.string()).optional(),
  employee_count: nullable(z.number().int()).optional(),
  annual_revenue: nullable(money).optional(),
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

/** One entry of a customer's interaction timeline (GET /customers/{id}/timeline), newest first. */
export const timelineEntryBody = z.object({
  kind: z.enum(TIMELINE_KINDS),
  occurred_at: instant,
  source: z.string().meta({ description: 'crm (this service), service_orders, contracts or customer360' }),
  reference: z.string().meta({ description: 'the opportunity, activity, task, service order, contract or customer it is about' }),
  entry_id: z.string().meta({ description: 'the event (or activity, task) behind the entry: the last tiebreaker of the order' }),
  details: z.record(z.string(), z.unknown()).meta({
    description:
      'by kind: subject, type, outcome (activity); title, completed_by (task_completion); opportunity, from_stage/to_stage (stage_change); outcome, amount, order_id (close, order); description; entitlement, dates; event_type, changed fields and values',
  }),
});

export const timelinePage = pageOf(timelineEntryBody);
