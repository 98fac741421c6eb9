import { z } from 'zod';
import { STREAM_CATEGORIES } from '../../aggregates/categories.js';
import { AGGREGATES } from '../../aggregates/registry.js';
import { aggregateStateAsOf } from '../../compliance/asOf.js';
import { type AuditScope, auditCsvHeader, auditCsvRow, auditJsonLine, auditTrail } from '../../compliance/audit.js';
import { streamName } from '../../eventstore/streams.js';
import { jsonReplacer, snakeKeys } from '../../shared/case.js';
import { notFound } from '../../shared/errors.js';
import { redacted } from '../../shared/redact.js';
import type { ApiDeps } from '../deps.js';
import { type Endpoint, endpoint } from '../endpoint.js';
import { asOfQuery, id } from '../fields.js';
import { auditStateBody } from '../responses/admin.js';

export const auditQuery = z
  .strictObject({
    aggregate_type: z.enum(STREAM_CATEGORIES).optional(),
    aggregate_id: id.optional(),
    customer_id: id.optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    format: z.enum(['jsonl', 'csv']).default('jsonl'),
  })
  .refine((q) => Boolean(q.aggregate_type) === Boolean(q.aggregate_id), { message: 'aggregate_type and aggregate_id go together', path: ['aggregate_id'] })
  .refine((q) => !(q.aggregate_id && q.customer_id), { message: 'give an aggregate or a customer, not both', path: ['customer_id'] })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), { message: 'from is after to', path: ['from'] });

export const stateQuery = z.object({ aggregate_type: z.enum(STREAM_CATEGORIES), aggregate_id: id }).and(asOfQuery.transform((moment) => ({ moment })));

const audit = ['audit', 'read'] as const;

/** Compliance: the audit trail as an export, and any aggregate's state as of a moment. */
export const auditEndpoints: readonly Endpoint<ApiDeps>[] = [
  endpoint({
    method: 'get',
    path: '/api/v1/audit/events',
    summary: 'Audit trail export (JSON Lines or CSV) of a stream, a customer or the tenant, over a time window',
    access: audit,
    query: auditQuery,
    success: 200,
    response: { mediaType: 'application/x-ndjson', description: 'JSON Lines, or text/csv with format=csv (RFC 4180, formula cells neutralised)' },
    handle: async ({ query: q, access, res, deps }) => {
      const { tenantId } = access;
      const scope: AuditScope =
        q.aggregate_type && q.aggregate_id
          ? { kind: 'stream', streamId: streamName({ category: q.aggregate_type, tenantId, aggregateId: q.aggregate_id }) }
          : q.customer_id
            ? { kind: 'customer', tenantId, customerId: q.customer_id, categories: STREAM_CATEGORIES }
            : { kind: 'tenant', tenantId, categories: STREAM_CATEGORIES };
      const window = { ...(q.from ? { from: new Date(q.from) } : {}), ...(q.to ? { to: new Date(q.to) } : {}) };
      const csv = q.format === 'csv';
      res.status(200);
      res.setHeader('Content-Type', csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="audit-${tenantId}.${csv ? 'csv' : 'jsonl'}"`);
      if (csv) res.write(auditCsvHeader());
      // Streamed: a tenant's whole log need not fit in memory. Backpressure is respected.
      let gone = false;
      res.once('close', () => (gone = true));
      for await (const record of auditTrail(deps.store, scope, window)) {
        if (gone) return; // the client went away: stop reading the log for nobody
        if (!res.write(csv ? auditCsvRow(record) : auditJsonLine(record))) {
          await new Promise((resolve) => {
            res.once('drain', resolve);
            res.once('close', resolve);
          });
        }
      }
      res.end();
    },
  }),
  endpoint({
    method: 'get',
    path: '/api/v1/audit/state',
    summary: "Any aggregate's state (its decider's fold) as of as_of or as_of_revision",
    access: audit,
    query: stateQuery,
    success: 200,
    response: auditStateBody,
    handle: async ({ query: q, access, deps }) => {
      const moment = q.moment ?? { at: new Date() };
      const stream = streamName({ category: q.aggregate_type, tenantId: access.tenantId, aggregateId: q.aggregate_id });
      const { state, revision, events } = await aggregateStateAsOf(deps.store, AGGREGATES[q.aggregate_type], stream, moment);
      if (events.length === 0) throw notFound(`No ${q.aggregate_type} ${q.aggregate_id} at that moment`, { aggregate_id: q.aggregate_id });
      const last = events.at(-1)!;
      return {
        body: {
          aggregate_type: q.aggregate_type,
          aggregate_id: q.aggregate_id,
          revision: revision.toString(),
          as_of: 'at' in moment && moment.at ? moment.at.toISOString() : null,
          last_event: { event_id: last.eventId, event_type: last.eventType, timestamp: last.timestamp, actor: last.metadata.userId },
          state: snakeKeys(redacted(JSON.parse(JSON.stringify(state, jsonReplacer)))),
        },
      };
    },
  }),
];
