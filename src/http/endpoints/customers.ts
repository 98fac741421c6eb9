import { type CustomerProfileEvent, customerProfileAggregate, toCode } from '../../aggregates/customerProfile/index.js';
import type { Caller } from '../../commands/context.js';
import { type CustomerResult, createCustomer, mergeCustomers, updateConsent, updateCustomer } from '../../commands/customers.js';
import { loadReadable } from '../../commands/load.js';
import { readModelAsOf } from '../../compliance/asOf.js';
import { streamName } from '../../eventstore/streams.js';
import { consentsOf, customer360For, getCustomer, listCustomers } from '../../projections/customerQueries.js';
import { customersProjection } from '../../projections/customers.js';
import { customerTimelineProjection } from '../../projections/customerTimeline.js';
import { TIMELINE_KINDS, customerTimeline } from '../../projections/customerTimelineQueries.js';
import { activitiesProjection, tasksProjection } from '../../projections/activities.js';
import { leadsProjection } from '../../projections/leads.js';
import { opportunitiesProjection } from '../../projections/opportunities.js';
import { notFound } from '../../shared/errors.js';
import { commandReply, etagOf } from '../commandReply.js';
import { readYourWrites } from '../consistency.js';
import type { ApiDeps } from '../deps.js';
import { type Call, type Endpoint, endpoint, paged } from '../endpoint.js';
import { asOfQuery } from '../fields.js';
import { historyEntry } from '../history.js';
import { consentDto, customer360Dto, customerDto, renderCustomer, timelineEntryDto } from '../render/customers.js';
import { code, consentBody, consentHistoryQuery, createCustomerBody, listCustomersQuery, mergeBody, timelineQuery, updateCustomerBody } from '../requests/customers.js';
import { historyBody } from '../responses/common.js';
import { consentHistoryBody, consentResult, customer360Body, customerPage, customerResult, timelinePage } from '../responses/customers.js';

const BASE = '/api/v1/customers';
const write = ['customer', 'write'] as const;
const read = ['customer', 'read'] as const;

const onCustomer = (call: Call<unknown, unknown, ApiDeps>, run: (caller: Caller) => Promise<CustomerResult>, render: (r: CustomerResult) => object = renderCustomer) =>
  commandReply(call, { aggregate: customerProfileAggregate, aggregateId: call.params.id!, status: 200, run, render });

/** The read models the 360 view and the timeline join (deals, leads, work), for read-your-writes. */
const CUSTOMER_VIEW_PROJECTIONS = [customersProjection, opportunitiesProjection, leadsProjection, activitiesProjection, tasksProjection].map((p) => p.name);

const eventsOf = async (call: Call<unknown, unknown, ApiDeps>) =>
  (await loadReadable(call.deps.store, call.access, customerProfileAggregate, call.params.id!, 'Customer')).events;

/** Customer 360 (seed 001): profiles, consents, merges; accounts are shared, their deals are not. */
export const customerEndpoints: readonly Endpoint<ApiDeps>[] = [
  endpoint({
    method: 'post',
    path: BASE,
    summary: 'Create a customer profile',
    access: write,
    body: createCustomerBody,
    success: 201,
    response: customerResult,
    handle: (call) =>
      commandReply(call, {
        aggregate: customerProfileAggregate,
        aggregateId: call.body.customerId,
        status: 201,
        location: `${BASE}/${encodeURIComponent(call.body.customerId)}`,
        run: (caller) => createCustomer(call.deps, caller, call.body),
        render: renderCustomer,
      }),
  }),
  endpoint({
    method: 'get',
    path: BASE,
    summary: 'List customer profiles (read model)',
    access: read,
    query: listCustomersQuery,
    success: 200,
    response: customerPage,
    handle: async (call) => {
      const q = call.query;
      await readYourWrites(call, customersProjection.name);
      const filters = {
        status: q.status,
        ...(q.segment ? { segment: toCode(q.segment) } : {}),
        ...(q.assigned_segment ? { assignedSegment: toCode(q.assigned_segment) } : {}),
        name: q.name,
        includeMerged: q.include_merged,
      };
      const { rows, total } = await listCustomers(call.deps.db, call.access.tenantId, filters, q);
      return { body: paged(rows.map(customerDto), total, q) };
    },
  }),
  endpoint({
    method: 'get',
    path: `${BASE}/{id}`,
    summary:
      'Customer 360: profile, consents, merged profiles, and what the caller may see of its open opportunities, recent activities and open tasks; service history, entitlements, synced account data, credit; as_of / as_of_revision: the profile as it was then',
    access: read,
    query: asOfQuery,
    success: 200,
    response: customer360Body,
    handle: async (call) => {
      const id = call.params.id!;
      const { tenantId } = call.access;
      if (call.query) {
        // The profile and its consents as they stood then, from the customer's own stream.
        const streamId = streamName({ category: customerProfileAggregate.category, tenantId, aggregateId: id });
        const past = await readModelAsOf(call.deps, customersProjection, { streamId }, call.query, async (trx) => {
          const row = await getCustomer(trx, tenantId, id);
          return row ? { row, consents: await consentsOf(trx, tenantId, id) } : undefined;
        });
        if (!past) throw notFound(`Customer ${id} did not exist at that moment`, { id });
        return { headers: { ETag: etagOf(past.row.revision) }, body: { ...customerDto(past.row), consents: past.consents.map(consentDto) } };
      }
      await readYourWrites(call, ...CUSTOMER_VIEW_PROJECTIONS);
      const now = new Date();
      const view = await customer360For(call.deps.db, call.access, id, now);
      if (!view) throw notFound(`Customer ${id} not found`, { id });
      return { headers: { ETag: etagOf(view.row.revision) }, body: customer360Dto(view, now) };
    },
  }),
  endpoint({
    method: 'patch',
    path: `${BASE}/{id}`,
    summary: 'Update profile fields (only real changes are recorded)',
    access: write,
    body: updateCustomerBody,
    success: 200,
    response: customerResult,
    ifMatch: true,
    handle: (call) => onCustomer(call, (caller) => updateCustomer(call.deps, caller, { customerId: call.params.id!, ...call.body })),
  }),
  endpoint({
    method: 'post',
    path: `${BASE}/{id}/merge`,
    summary: 'Merge source_customer_id into this customer (the golden record); If-Match applies to it',
    access: ['customer', 'merge'],
    body: mergeBody,
    success: 200,
    response: customerResult,
    ifMatch: true,
    handle: (call) =>
      onCustomer(
        call,
        (caller) => mergeCustomers(call.deps, caller, { targetCustomerId: call.params.id!, ...call.body }),
        (result) => ({ ...renderCustomer(result), source_customer_id: call.body.sourceCustomerId, merge_reason: call.body.reason }),
      ),
  }),
  endpoint({
    method: 'put',
    path: `${BASE}/{id}/consents/{type}`,
    summary: 'Grant or revoke a consent (EMAIL, SMS, PHONE, POST, ...)',
    access: write,
    body: consentBody,
    success: 200,
    response: consentResult,
    ifMatch: true,
    handle: (call) => {
      const consentType = code.parse(call.params.type);
      return onCustomer(
        call,
        (caller) => updateConsent(call.deps, caller, { customerId: call.params.id!, consentType, status: call.body.status, source: call.body.source }),
        (result) => {
          const last = result.events.at(-1)?.payload as { consentType?: string } | undefined;
          const type = last?.consentType ?? toCode(consentType);
          return { id: result.aggregateId, consent_type: type, status: result.state.exists ? (result.state.consents[type] ?? null) : null, changed: result.events.length > 0 };
        },
      );
    },
  }),
  endpoint({
    method: 'get',
    path: `${BASE}/{id}/consents/history`,
    summary: 'Consent changes, from the stream',
    access: read,
    query: consentHistoryQuery,
    success: 200,
    response: consentHistoryBody,
    handle: async (call) => {
      const wanted = call.query.consent_type === undefined ? undefined : toCode(call.query.consent_type);
      const data = (await eventsOf(call))
        .filter((e) => e.eventType === 'ConsentUpdatedEvent')
        .map((e) => ({ e, p: e.payload as Extract<CustomerProfileEvent, { type: 'ConsentUpdatedEvent' }>['data'] }))
        .filter(({ p }) => wanted === undefined || p.consentType === wanted)
        .map(({ e, p }) => ({
          event_id: e.eventId,
          revision: e.revision.toString(),
          consent_type: p.consentType,
          status: p.status,
          previous_status: p.previousStatus ?? null,
          source: p.source ?? null,
          actor: e.metadata.userId,
          timestamp: e.timestamp,
        }));
      return { body: { id: call.params.id!, data } };
    },
  }),
  endpoint({
    method: 'get',
    path: `${BASE}/{id}/timeline`,
    summary:
      'Interaction timeline, newest first (ties: kind, reference, entry): activities done, task completions, stage changes, closes and orders of the deals, service orders, contract activations, profile changes (ours and those synced from Customer 360), each as the caller may see it; ?kind=… filters',
    access: read,
    query: timelineQuery,
    success: 200,
    response: timelinePage,
    handle: async (call) => {
      const q = call.query;
      await eventsOf(call); // 404 for a customer we do not hold, from its stream
      await readYourWrites(call, ...CUSTOMER_VIEW_PROJECTIONS, customerTimelineProjection.name);
      const { rows, total } = await customerTimeline(call.deps.db, call.access, { customerId: call.params.id!, kinds: q.kind ?? new Set(TIMELINE_KINDS) }, q);
      return { body: paged(rows.map(timelineEntryDto), total, q) };
    },
  }),
  endpoint({
    method: 'get',
    path: `${BASE}/{id}/history`,
    summary: 'Audit trail of the profile, from its stream',
    access: read,
    success: 200,
    response: historyBody,
    handle: async (call) => {
      const events = await eventsOf(call);
      return { headers: { ETag: etagOf(events.at(-1)!.revision) }, body: { id: call.params.id!, data: events.map((e) => historyEntry(e)) } };
    },
  }),
];
