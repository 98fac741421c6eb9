import { randomUUID } from 'node:crypto';
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import {
  CONSENT_STATUSES,
  CUSTOMER_STATUSES,
  type CustomerProfileEvent,
  type CustomerProfileState,
  type PersonalData,
  type PersonalDataPatch,
  type PostalAddress,
  customerProfileAggregate,
  toCode,
} from '../../aggregates/customerProfile/index.js';
import type { CommandResult } from '../../commands/handler.js';
import { keyKnown } from '../../commands/idempotency.js';
import { loadReadable } from '../../commands/load.js';
import { ownerScope } from '../../access/policy.js';
import { streamName } from '../../eventstore/streams.js';
import { type CustomerRow, consentsOf, getCustomer, listCustomers, mergedInto } from '../../projections/customerQueries.js';
import { customersProjection } from '../../projections/customers.js';
import { listOpportunities } from '../../projections/opportunityQueries.js';
import { opportunitiesProjection } from '../../projections/opportunities.js';
import type { ProjectionRunner } from '../../projections/runner.js';
import { snakeKeys } from '../../shared/case.js';
import { notFound } from '../../shared/errors.js';
import { accessOf, can } from '../auth.js';
import { type CommandRouteDeps, commandEnvelope, etagOf, keyOwnerOf, parseIfMatch, runCommand } from '../commandReply.js';
import { awaitReadModel } from '../consistency.js';
import { historyEntry } from '../history.js';
import { asOfQuery, id, oneOf, pagination, text, minPosition } from '../fields.js';
import { readModelAsOf } from '../../compliance/asOf.js';
import { opportunityDto } from '../render/opportunities.js';
import type { ApiRoute } from '../openapi.js';
import { type Unwritten, historyBody } from '../responses/common.js';
import { consentHistoryBody, consentResult, customer360Body, customerBody, customerPage, customerResult } from '../responses/customers.js';

export interface CustomerRouteDeps extends CommandRouteDeps {
  readonly runner: ProjectionRunner;
  readonly maxConsistencyWaitMs: number;
}

/** An enumerated input in any case (seed 004 clients send "active" as well as "ACTIVE"). */
const anyCase = <const T extends readonly [string, ...string[]]>(values: T) => oneOf(values, 'upper');

/** Open code lists (segment, consent type): any UPPER_SNAKE code; the decider normalises and checks. */
const code = z.string().trim().min(1).max(64);

const address = z.strictObject({
  line1: text(200).optional(),
  line2: text(200).optional(),
  city: text(100).optional(),
  postal_code: text(20).optional(),
  region: text(100).optional(),
  country: text(100).optional(),
});

/** The contact person: the only personal data of a profile (DESIGN §9). */
const personalData = z.strictObject({
  first_name: text(100).optional(),
  last_name: text(100).optional(),
  email: z.email().max(254).optional(),
  phone: text(50).optional(),
  title: text(100).optional(),
  address: address.optional(),
});

const nullable = <T extends z.ZodType>(t: T) => t.nullable().optional();

/** PATCH semantics: a given field replaces, null removes it, null as a whole erases the person. */
const personalDataPatch = z.strictObject({
  first_name: nullable(text(100)),
  last_name: nullable(text(100)),
  email: nullable(z.email().max(254)),
  phone: nullable(text(50)),
  title: nullable(text(100)),
  address: nullable(
    z.strictObject({
      line1: nullable(text(200)),
      line2: nullable(text(200)),
      city: nullable(text(100)),
      postal_code: nullable(text(20)),
      region: nullable(text(100)),
      country: nullable(text(100)),
    }),
  ),
});

export const createCustomerBody = z
  .strictObject({
    id: id.optional(),
    customer_id: id.optional(),
    name: text(200),
    status: anyCase(CUSTOMER_STATUSES).optional(),
    primary_contact_id: id.optional(),
    segment: code.optional(),
    personal_data: personalData.optional(),
  })
  .refine((b) => !(b.id && b.customer_id && b.id !== b.customer_id), { message: 'id and customer_id differ', path: ['id'] });

export const updateCustomerBody = z
  .strictObject({
    name: text(200).optional(),
    status: anyCase(CUSTOMER_STATUSES).optional(),
    primary_contact_id: id.nullable().optional(),
    segment: code.optional(),
    personal_data: personalDataPatch.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, {
    message: 'nothing to update: give name, status, primary_contact_id, segment or personal_data',
  });

export const mergeBody = z.strictObject({
  source_customer_id: id,
  reason: text(200).default('DUPLICATE'),
});

export const consentBody = z.strictObject({
  status: anyCase(CONSENT_STATUSES),
  source: code.optional(),
});

const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

export const listCustomersQuery = pagination.extend({
  status: anyCase(CUSTOMER_STATUSES).optional(),
  segment: code.optional(),
  name: text(200).optional(),
  include_merged: flag.optional(),
  min_position: minPosition,
});

export const consentHistoryQuery = z.object({ consent_type: code.optional() });

/** snake_case input (API) to the camelCase sub-object of the events. */
const ADDRESS_KEYS = { line1: 'line1', line2: 'line2', city: 'city', postal_code: 'postalCode', region: 'region', country: 'country' } as const;
const PERSON_KEYS = { first_name: 'firstName', last_name: 'lastName', email: 'email', phone: 'phone', title: 'title' } as const;

function renameKeys(input: object, keys: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) if (v !== undefined && keys[k]) out[keys[k]] = v;
  return out;
}

function toPersonalData(p: z.output<typeof personalData>): PersonalData {
  const { address: a, ...person } = p;
  return { ...renameKeys(person, PERSON_KEYS), ...(a ? { address: renameKeys(a, ADDRESS_KEYS) as PostalAddress } : {}) };
}

function toPersonalDataPatch(p: z.output<typeof personalDataPatch> | null): PersonalDataPatch | null {
  if (p === null) return null;
  const { address: a, ...person } = p;
  return {
    ...renameKeys(person, PERSON_KEYS),
    ...(a === undefined ? {} : { address: a === null ? null : renameKeys(a, ADDRESS_KEYS) }),
  } as PersonalDataPatch;
}

export function customerDto(row: CustomerRow): z.input<typeof customerBody> {
  return {
    id: row.customer_id,
    name: row.name,
    status: row.status,
    segment: row.segment,
    primary_contact_id: row.primary_contact_id,
    personal_data: row.personal_data ? snakeKeys(row.personal_data) : null,
    merged_into: row.merged_into,
    merge_reason: row.merge_reason,
    merged_at: row.merged_at ? new Date(row.merged_at).toISOString() : null,
    revision: row.revision,
    created_by: row.created_by,
    updated_by: row.updated_by,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

/** The command's outcome, from the aggregate's own state (the read model may lag). */
function renderState(result: CommandResult<CustomerProfileState>): Unwritten<typeof customerResult> {
  const s = result.state;
  if (!s.exists) return { id: result.aggregateId };
  return {
    id: s.customerId,
    name: s.name,
    status: s.status,
    segment: s.segment,
    primary_contact_id: s.primaryContactId,
    personal_data: s.personalData ? snakeKeys(s.personalData) : null,
    merged_into: s.mergedInto?.targetCustomerId ?? null,
    merged_from: [...s.mergedFrom],
    consents: s.consents,
    changed: result.events.length > 0,
  };
}

const consentDto = (c: Awaited<ReturnType<typeof consentsOf>>[number]) => ({
  consent_type: c.consent_type,
  status: c.status,
  source: c.source,
  updated_by: c.updated_by,
  updated_at: new Date(c.updated_at).toISOString(),
});

export function customerRoutes(deps: CustomerRouteDeps): Router {
  const r = Router();

  const readEvents = async (res: Response, customerId: string) =>
    (await loadReadable(deps.store, accessOf(res), customerProfileAggregate, customerId, 'Customer')).events;

  r.post('/', can('customer', 'write'), async (req, res) => {
    const b = createCustomerBody.parse(req.body ?? {});
    const customerId = b.id ?? b.customer_id ?? randomUUID();
    await runCommand(deps, req, res, {
      aggregate: customerProfileAggregate,
      aggregateId: customerId,
      status: 201,
      location: `${req.baseUrl}/${encodeURIComponent(customerId)}`,
      command: {
        type: 'CreateCustomerProfile',
        customerId,
        name: b.name,
        ...(b.status ? { status: b.status } : {}),
        ...(b.primary_contact_id ? { primaryContactId: b.primary_contact_id } : {}),
        ...(b.segment ? { segment: b.segment } : {}),
        ...(b.personal_data ? { personalData: toPersonalData(b.personal_data) } : {}),
      },
      render: renderState,
    });
  });

  r.patch('/:id', can('customer', 'write'), async (req, res) => {
    const b = updateCustomerBody.parse(req.body ?? {});
    const customerId = id.parse(req.params.id);
    await runCommand(deps, req, res, {
      aggregate: customerProfileAggregate,
      aggregateId: customerId,
      status: 200,
      command: {
        type: 'UpdateCustomerProfile',
        ...(b.name !== undefined ? { name: b.name } : {}),
        ...(b.status !== undefined ? { status: b.status } : {}),
        ...(b.primary_contact_id !== undefined ? { primaryContactId: b.primary_contact_id } : {}),
        ...(b.segment !== undefined ? { segment: b.segment } : {}),
        ...(b.personal_data !== undefined ? { personalData: toPersonalDataPatch(b.personal_data) } : {}),
      },
      render: renderState,
    });
  });

  /**
   * A merge touches two streams, so it is three steps, each safe to repeat: check that the
   * target can accept (with If-Match, before anything is written), mark the source as merged
   * into the target (its point of no return), then let the target record the source. A retry
   * after a crash between the last two finds the source already marked (no-op) and completes.
   */
  r.post('/:id/merge', can('customer', 'merge'), async (req, res) => {
    const b = mergeBody.parse(req.body ?? {});
    const targetId = id.parse(req.params.id);
    const { tenantId } = accessOf(res);
    // Merges of one tenant run one at a time: two opposite merges (A into B, B into A) checked
    // side by side would each pass and leave both profiles merged away. The lock is
    // transaction-scoped and the transaction writes nothing (it takes no transaction id).
    await deps.db.transaction(async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`merge:${tenantId}`]);
      if (!(await isRetryOfKnownRequest(req, res))) {
        // If-Match concerns the target as the client saw it: checked here, before any write.
        const env = commandEnvelope(req, res, targetId, parseIfMatch(req.get('if-match')));
        await deps.execute(customerProfileAggregate, env, {
          type: 'CheckMergeTarget',
          sourceCustomerId: b.source_customer_id,
        });
        const { expectedRevision: _target, ...unconditional } = env;
        await deps.execute(customerProfileAggregate, { ...unconditional, aggregateId: b.source_customer_id }, {
          type: 'MarkMergedInto',
          targetCustomerId: targetId,
          mergeReason: b.reason,
        });
      }
      await runCommand(deps, req, res, {
        aggregate: customerProfileAggregate,
        aggregateId: targetId,
        status: 200,
        ignoreIfMatch: true,
        command: { type: 'AcceptMerge', sourceCustomerId: b.source_customer_id, mergeReason: b.reason },
        render: (result) => ({ ...renderState(result), source_customer_id: b.source_customer_id, merge_reason: b.reason }),
      });
    });
  });

  /**
   * With an Idempotency-Key that is already known, the earlier request ran the first two
   * steps before claiming the key (or was a different request, which runCommand refuses):
   * skip them and let runCommand replay, refuse or take over.
   */
  async function isRetryOfKnownRequest(req: Request, res: Response): Promise<boolean> {
    const key = req.get('idempotency-key');
    return key !== undefined && (await keyKnown(deps.db, keyOwnerOf(res), key));
  }

  r.put('/:id/consents/:type', can('customer', 'write'), async (req, res) => {
    const b = consentBody.parse(req.body ?? {});
    const customerId = id.parse(req.params.id);
    const consentType = code.parse(req.params.type);
    await runCommand(deps, req, res, {
      aggregate: customerProfileAggregate,
      aggregateId: customerId,
      status: 200,
      command: { type: 'UpdateConsent', consentType, status: b.status, ...(b.source ? { source: b.source } : {}) },
      render: (result) => {
        const state = result.state;
        const last = result.events.at(-1)?.payload as { consentType?: string } | undefined;
        const type = last?.consentType ?? toCode(consentType);
        return {
          id: result.aggregateId,
          consent_type: type,
          status: state.exists ? (state.consents[type] ?? null) : null,
          changed: result.events.length > 0,
        };
      },
    });
  });

  r.get('/', can('customer', 'read'), async (req, res) => {
    const q = listCustomersQuery.parse(req.query);
    await awaitReadModel(req, res, deps.runner, customersProjection.name, deps.maxConsistencyWaitMs);
    const { rows, total } = await listCustomers(
      deps.db,
      accessOf(res).tenantId,
      {
        ...(q.status ? { status: q.status } : {}),
        ...(q.segment ? { segment: toCode(q.segment) } : {}),
        ...(q.name ? { name: q.name } : {}),
        ...(q.include_merged ? { includeMerged: true } : {}),
      },
      { limit: q.limit, offset: q.offset },
    );
    res.json({
      data: rows.map(customerDto),
      pagination: { total, limit: q.limit, offset: q.offset, has_more: q.offset + rows.length < total },
    });
  });

  /** The Customer 360 view: profile, consents, merged profiles and the open deals of them all. */
  r.get('/:id', can('customer', 'read'), async (req, res) => {
    const customerId = id.parse(req.params.id);
    const moment = asOfQuery.parse(req.query);
    const access = accessOf(res);
    if (moment) {
      // The profile and its consents as they stood then, from the customer's own stream.
      const { tenantId } = access;
      const streamId = streamName({ category: customerProfileAggregate.category, tenantId, aggregateId: customerId });
      const past = await readModelAsOf(deps, customersProjection, { streamId }, moment, async (trx) => {
        const row = await getCustomer(trx, tenantId, customerId);
        return row ? { row, consents: await consentsOf(trx, tenantId, customerId) } : undefined;
      });
      if (!past) throw notFound(`Customer ${customerId} did not exist at that moment`, { id: customerId });
      res.setHeader('ETag', etagOf(past.row.revision));
      res.json({ ...customerDto(past.row), consents: past.consents.map(consentDto) });
      return;
    }
    await awaitReadModel(req, res, deps.runner, customersProjection.name, deps.maxConsistencyWaitMs);
    await awaitReadModel(req, res, deps.runner, opportunitiesProjection.name, deps.maxConsistencyWaitMs);
    const { tenantId } = access;
    const row = await getCustomer(deps.db, tenantId, customerId);
    if (!row) throw notFound(`Customer ${customerId} not found`, { id: customerId });
    const [consents, merges, open] = await Promise.all([
      consentsOf(deps.db, tenantId, customerId),
      mergedInto(deps.db, tenantId, customerId),
      // A merged-away profile's deals are shown under its golden record (follow merged_into).
      row.merged_into
        ? Promise.resolve({ rows: [], total: 0 })
        : // Only the deals the caller may see: the account is shared, its pipeline is not.
          listOpportunities(deps.db, tenantId, { owners: ownerScope(access, 'opportunity'), customerId, status: 'open' }, { limit: 100, offset: 0 }),
    ]);
    res.setHeader('ETag', etagOf(row.revision));
    res.json({
      ...customerDto(row),
      consents: consents.map(consentDto),
      merged_from: merges.map((m) => ({
        customer_id: m.source_customer_id,
        merge_reason: m.merge_reason,
        merged_by: m.merged_by,
        merged_at: new Date(m.merged_at).toISOString(),
      })),
      open_opportunities: open.rows.map(opportunityDto),
      open_opportunity_count: open.total,
    });
  });

  r.get('/:id/history', async (req, res) => {
    const customerId = id.parse(req.params.id);
    const events = await readEvents(res, customerId);
    res.setHeader('ETag', etagOf(events.at(-1)!.revision));
    res.json({ id: customerId, data: events.map((e) => historyEntry(e)) });
  });

  r.get('/:id/consents/history', async (req, res) => {
    const customerId = id.parse(req.params.id);
    const q = consentHistoryQuery.parse(req.query);
    const wanted = q.consent_type === undefined ? undefined : toCode(q.consent_type);
    const events = await readEvents(res, customerId);
    const data = events
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
    res.json({ id: customerId, data });
  });

  return r;
}

export const customerApi: readonly ApiRoute[] = [
  { method: 'post', path: '/api/v1/customers', summary: 'Create a customer profile', body: createCustomerBody, success: 201, response: customerResult, access: ['customer', 'write'] },
  { method: 'get', path: '/api/v1/customers', summary: 'List customer profiles (read model)', query: listCustomersQuery, success: 200, response: customerPage, access: ['customer', 'read'] },
  { method: 'get', path: '/api/v1/customers/{id}', summary: 'Customer 360: profile, consents, merged profiles, the open opportunities the caller may see; as_of / as_of_revision: the profile as it was then', query: asOfQuery, success: 200, response: customer360Body, access: ['customer', 'read'] },
  { method: 'patch', path: '/api/v1/customers/{id}', summary: 'Update profile fields (only real changes are recorded)', body: updateCustomerBody, success: 200, response: customerResult, access: ['customer', 'write'], ifMatch: true },
  { method: 'post', path: '/api/v1/customers/{id}/merge', summary: 'Merge source_customer_id into this customer (the golden record)', body: mergeBody, success: 200, response: customerResult, access: ['customer', 'merge'], ifMatch: true },
  { method: 'put', path: '/api/v1/customers/{id}/consents/{type}', summary: 'Grant or revoke a consent (EMAIL, SMS, PHONE, POST, ...)', body: consentBody, success: 200, response: consentResult, access: ['customer', 'write'], ifMatch: true },
  { method: 'get', path: '/api/v1/customers/{id}/consents/history', summary: 'Consent changes, from the stream', query: consentHistoryQuery, success: 200, response: consentHistoryBody, access: ['customer', 'read'] },
  { method: 'get', path: '/api/v1/customers/{id}/history', summary: 'Audit trail of the profile, from its stream', success: 200, response: historyBody, access: ['customer', 'read'] },
];
