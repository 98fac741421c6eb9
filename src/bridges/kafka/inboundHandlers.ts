import type { Knex } from 'knex';
import { CALENDAR_DATE_RULE, isCalendarDate } from '../../shared/dates.js';
import { type InboundHandler, type InboundHandlers, RejectedMessageError } from './inboundHandler.js';
import type { LeadCreatedRecord } from './records.js';

/**
 * What each consumed event does (seeds 000/001 "Domain Events Consumed"). These are enrichments:
 * read models the bridge keeps itself, written in the inbox's transaction. Events of one key can
 * still arrive out of order across topics (exceeded and restored travel separately), so upserts
 * only move forward in event time.
 *
 * The events that are commands on our aggregates (QuoteCreated, and seed 003's offers and
 * orders events) come from the command side as `commands` (inboundCommands.ts). An event type
 * without one is simply not consumed and its messages wait in Kafka. A command appends to the
 * event store, outside this transaction, so it must be idempotent by itself.
 */
export type CommandEventType = 'QuoteCreatedEvent' | 'OfferApprovedEvent' | 'OfferRejectedEvent' | 'OrderCreatedEvent' | 'MarketingLeadQualifiedEvent';
export type InboundCommandHandlers = Pick<InboundHandlers, CommandEventType>;

export interface InboundHandlerDeps {
  readonly commands?: InboundCommandHandlers;
  /** Runs after the lead is recorded: the initial CustomerProfile (seed 001). */
  readonly onLeadCreated?: InboundHandler<LeadCreatedRecord>;
}

/** CustomerProfileUpdatedEvent field → customer_accounts column. */
const PROFILE_VALUE_COLUMNS = { name: 'name', status: 'status', segment: 'segment', primaryContactId: 'primary_contact_id' } as const;

function isoDate(value: string, field: string): string {
  if (!isCalendarDate(value)) throw new RejectedMessageError(`${field} "${value}" is not ${CALENDAR_DATE_RULE}`);
  return value;
}

/** Inserts or, for a newer event, overwrites; an older event than the stored one changes nothing. */
async function upsertIfNewer(
  trx: Knex.Transaction,
  table: string,
  key: readonly string[],
  timeColumn: string,
  row: Record<string, unknown>,
  updateColumns: readonly string[],
): Promise<void> {
  await trx(table)
    .insert(row)
    .onConflict([...key])
    .merge([...updateColumns])
    .where(`${table}.${timeColumn}`, '<=', trx.ref(`excluded.${timeColumn}`));
}

export function createInboundHandlers(deps: InboundHandlerDeps = {}): InboundHandlers {
  return {
    ServiceOrderCreatedEvent: async (trx, r, ctx) => {
      await trx('customer_service_history')
        .insert({
          tenant_id: r.tenantId,
          customer_id: r.customerId,
          service_order_id: r.serviceOrderId,
          description: r.description,
          created_at: new Date(r.createdAt),
          event_id: ctx.eventId,
        })
        .onConflict(['tenant_id', 'service_order_id'])
        .ignore();
    },

    ContractActivatedEvent: async (trx, r, ctx) => {
      const row = {
        tenant_id: r.tenantId,
        contract_id: r.contractId,
        customer_id: r.customerId,
        product_id: r.productId,
        entitlement: r.entitlement,
        start_date: isoDate(r.startDate, 'startDate'),
        end_date: r.endDate === null ? null : isoDate(r.endDate, 'endDate'),
        activated_at: ctx.occurredAt,
        event_id: ctx.eventId,
      };
      const columns = ['customer_id', 'product_id', 'entitlement', 'start_date', 'end_date', 'activated_at', 'event_id'];
      await upsertIfNewer(trx, 'customer_entitlements', ['tenant_id', 'contract_id'], 'activated_at', row, columns);
    },

    LeadCreatedEvent: async (trx, r, ctx) => {
      await trx('inbound_leads')
        .insert({
          tenant_id: r.tenantId,
          lead_id: r.leadId,
          source: r.source,
          owner_id: r.ownerId,
          company_name: r.companyName,
          // Not kept here: the customer made from the lead holds the person, sealed (src/privacy).
          personal_data: null,
          created_at: ctx.occurredAt,
          event_id: ctx.eventId,
        })
        .onConflict(['tenant_id', 'lead_id'])
        .ignore();
      await deps.onLeadCreated?.(trx, r, ctx);
    },

    CustomerProfileUpdatedEvent: async (trx, r, ctx) => {
      const row = {
        tenant_id: r.tenantId,
        customer_id: r.customerId,
        changed_fields: JSON.stringify(r.changedFields),
        updated_by: r.updatedBy,
        updated_at: ctx.occurredAt,
        event_id: ctx.eventId,
        name: r.name,
        status: r.status,
        segment: r.segment,
        primary_contact_id: r.primaryContactId,
      };
      // A value column is overwritten only when this event changed it: null alone cannot tell
      // "cleared" from "not part of this update".
      const changed = Object.entries(PROFILE_VALUE_COLUMNS)
        .filter(([field]) => r.changedFields.includes(field))
        .map(([, column]) => column);
      await upsertIfNewer(trx, 'customer_accounts', ['tenant_id', 'customer_id'], 'updated_at', row, [
        'changed_fields',
        'updated_by',
        'updated_at',
        'event_id',
        ...changed,
      ]);
      // Each update, for the customer's timeline: only the values it changed.
      const changedValue = (field: keyof typeof PROFILE_VALUE_COLUMNS) => (r.changedFields.includes(field) ? r[field] : null);
      await trx('customer_account_updates')
        .insert({
          tenant_id: r.tenantId,
          event_id: ctx.eventId,
          customer_id: r.customerId,
          changed_fields: JSON.stringify(r.changedFields),
          updated_by: r.updatedBy,
          updated_at: ctx.occurredAt,
          name: changedValue('name'),
          status: changedValue('status'),
          segment: changedValue('segment'),
          primary_contact_id: changedValue('primaryContactId'),
        })
        .onConflict(['tenant_id', 'event_id'])
        .ignore();
    },

    CreditLimitExceededEvent: async (trx, r, ctx) => {
      const row = {
        tenant_id: r.tenantId,
        customer_id: r.customerId,
        blocked: true,
        since: ctx.occurredAt,
        credit_limit: r.creditLimit,
        exposure: r.exposure,
        currency: r.currency,
        event_id: ctx.eventId,
      };
      const columns = ['blocked', 'since', 'credit_limit', 'exposure', 'currency', 'event_id'];
      await upsertIfNewer(trx, 'customer_credit_blocks', ['tenant_id', 'customer_id'], 'since', row, columns);
    },

    CreditLimitRestoredEvent: async (trx, r, ctx) => {
      // The last exceeded figures stay for context; `blocked` is what the close rule reads.
      const row = { tenant_id: r.tenantId, customer_id: r.customerId, blocked: false, since: ctx.occurredAt, event_id: ctx.eventId };
      await upsertIfNewer(trx, 'customer_credit_blocks', ['tenant_id', 'customer_id'], 'since', row, ['blocked', 'since', 'event_id']);
    },

    ...deps.commands,
  };
}
