import { type StoredEvent, fromRecorded } from '../eventstore/envelope.js';
import type { EventStore, Position } from '../eventstore/port.js';
import { START, formatPosition } from '../eventstore/port.js';
import { tenantStreamPrefix } from '../eventstore/streams.js';
import { redacted } from '../shared/redact.js';

/**
 * The audit trail for compliance: every event with its time, actor, correlation and what it
 * changed, for one stream, one customer or a whole tenant, over a time window. Read from the
 * log itself, so it holds exactly what happened, in order.
 */
export interface AuditRecord {
  readonly time: string;
  readonly actor: string;
  readonly event_type: string;
  readonly event_id: string;
  readonly stream: string;
  readonly aggregate_id: string;
  readonly revision: string;
  readonly position: string;
  readonly correlation_id: string;
  readonly causation_id: string | null;
  readonly changes: unknown;
}

export type AuditScope =
  | { readonly kind: 'stream'; readonly streamId: string }
  | { readonly kind: 'customer'; readonly tenantId: string; readonly customerId: string; readonly categories: readonly string[] }
  | { readonly kind: 'tenant'; readonly tenantId: string; readonly categories: readonly string[] };

export interface AuditWindow {
  readonly from?: Date;
  readonly to?: Date;
}

export function toAuditRecord(e: StoredEvent): AuditRecord {
  return {
    time: e.timestamp,
    actor: e.metadata.userId,
    event_type: e.eventType,
    event_id: e.eventId,
    stream: e.streamId,
    aggregate_id: e.aggregateId,
    revision: e.revision.toString(),
    position: formatPosition(e.position),
    correlation_id: e.metadata.correlationId,
    causation_id: e.metadata.causationId,
    changes: redacted(e.payload),
  };
}

const inWindow = (e: StoredEvent, w: AuditWindow) => {
  const t = Date.parse(e.timestamp);
  return (!w.from || t >= w.from.getTime()) && (!w.to || t <= w.to.getTime());
};

const CUSTOMER_FIELDS = ['customerId', 'targetCustomerId', 'sourceCustomerId'] as const;

function mentions(e: StoredEvent, customerId: string): boolean {
  const p = e.payload as Record<string, unknown>;
  return CUSTOMER_FIELDS.some((f) => p[f] === customerId);
}

export async function* auditTrail(store: EventStore, scope: AuditScope, window: AuditWindow = {}): AsyncGenerator<AuditRecord> {
  if (scope.kind === 'stream') {
    for (const r of await store.readStream(scope.streamId)) {
      const e = fromRecorded(r);
      if (inWindow(e, window)) yield toAuditRecord(e);
    }
    return;
  }
  const prefixes = scope.categories.map((c) => tenantStreamPrefix(c, scope.tenantId));
  // A customer's trail: every stream that ever mentions the customer, from its first event
  // (an opportunity's later events no longer name the customer, but belong to the trail).
  const linked = new Set<string>();
  let after: Position = START;
  for (;;) {
    const { events: page, next, end } = await store.readPage({ after, filter: { streamPrefixes: prefixes }, maxCount: 1000 });
    for (const r of page) {
      const e = fromRecorded(r);
      if (scope.kind === 'customer') {
        const ownProfile = e.streamId.startsWith('customerProfile-') && e.aggregateId === scope.customerId;
        if (!linked.has(e.streamId) && (ownProfile || mentions(e, scope.customerId))) {
          linked.add(e.streamId);
        }
        if (!linked.has(e.streamId)) continue;
      }
      if (inWindow(e, window)) yield toAuditRecord(e);
    }
    if (end) return;
    after = next;
  }
}

export const AUDIT_CSV_COLUMNS = [
  'time',
  'actor',
  'event_type',
  'event_id',
  'stream',
  'aggregate_id',
  'revision',
  'position',
  'correlation_id',
  'causation_id',
  'changes',
] as const satisfies readonly (keyof AuditRecord)[];

/**
 * RFC 4180: quote a field holding a comma, quote or line break; double inner quotes. A cell a
 * spreadsheet would run as a formula (=, +, -, @, tab, CR first: OWASP's list) is neutralised
 * with a leading apostrophe: actors, correlation ids and free text come from clients.
 */
export function csvField(value: unknown): string {
  const raw = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  const text = /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const auditCsvHeader = () => `${AUDIT_CSV_COLUMNS.join(',')}\r\n`;
export const auditCsvRow = (r: AuditRecord) => `${AUDIT_CSV_COLUMNS.map((c) => csvField(r[c])).join(',')}\r\n`;
export const auditJsonLine = (r: AuditRecord) => `${JSON.stringify(r)}\n`;
