import { requireReach } from '../access/policy.js';
import type { Access } from '../access/access.js';
import type { AppContext } from '../commands/context.js';
import { type RecordedEvent, formatPosition } from '../eventstore/port.js';
import { parseStreamName } from '../eventstore/streams.js';
import { openEvents, sealedSubjects } from '../privacy/protectedStore.js';
import { emailRef } from '../privacy/subjects.js';
import { notFound } from '../shared/errors.js';
import { redacted } from '../shared/redact.js';

/**
 * GDPR Art. 15: everything held about one person, as JSON. Events come from the log as stored,
 * opened with that person's key only: another person's data in the same event (a deal's other
 * contacts) reads as `{ redacted: true }`. Streams that are about the person as a whole (their
 * lead, a customer profile they are the contact of) are given whole; on a deal, only the events
 * that hold their data. Read-model rows: the lead, the customer and its consents, Sales' copy.
 */
export interface SubjectExport {
  readonly tenant_id: string;
  readonly generated_at: string;
  readonly subjects: { subject_id: string; created_at: string; erased_at: string | null; streams: string[] }[];
  readonly events: Record<string, unknown>[];
  readonly read_models: Record<string, Record<string, unknown>[]>;
}

/** `id`: a subject id, a lead id or a customer id; `email` finds the subject by email. */
export async function exportSubject(app: AppContext, access: Access, target: { id: string } | { email: string }): Promise<SubjectExport> {
  requireReach(access, 'privacy', 'read');
  const { tenantId } = access;
  const subjects = await subjectsOf(app, tenantId, target);
  if (subjects.length === 0) throw notFound('No personal data is held about that person', 'email' in target ? { field: 'email' } : { id: target.id });
  const only = new Set(subjects);
  const rows = (await app.db('privacy_subjects as s')
    .leftJoin('privacy_subject_streams as t', 's.subject_id', 't.subject_id')
    .where('s.tenant_id', tenantId)
    .whereIn('s.subject_id', subjects)
    .select('s.subject_id', 's.created_at', 's.erased_at', 't.stream_id')) as { subject_id: string; created_at: Date; erased_at: Date | null; stream_id: string | null }[];
  const streams = [...new Set(rows.flatMap((r) => (r.stream_id ? [r.stream_id] : [])))].sort();

  const events: RecordedEvent[] = [];
  for (const stream of streams) {
    const stored = await app.storedLog.readStream(stream);
    const whole = ['lead', 'customerProfile'].includes(parseStreamName(stream)?.category ?? '');
    const held: RecordedEvent[] = [];
    for (const e of stored) if (whole || (await sealedSubjects([e])).some((s) => only.has(s)) || mentions(e, only)) held.push(e);
    events.push(...(await openEvents(app.vault, held, only)));
  }
  const ids = (category: string) => streams.flatMap((s) => (parseStreamName(s)?.category === category ? [parseStreamName(s)!.aggregateId] : []));
  const inTenant = (table: string, column: string, values: string[]) => (values.length ? app.db(table).where({ tenant_id: tenantId }).whereIn(column, values) : Promise.resolve([]));
  return {
    tenant_id: tenantId,
    generated_at: new Date().toISOString(),
    subjects: subjects.map((id) => {
      const mine = rows.filter((r) => r.subject_id === id);
      return { subject_id: id, created_at: mine[0]!.created_at.toISOString(), erased_at: mine[0]!.erased_at?.toISOString() ?? null, streams: mine.flatMap((r) => (r.stream_id ? [r.stream_id] : [])) };
    }),
    events: events.map((e) => ({
      stream_id: e.streamId,
      revision: e.revision.toString(),
      position: formatPosition(e.position),
      event_id: e.eventId,
      event_type: e.eventType,
      recorded_at: e.created.toISOString(),
      actor: e.metadata.userId ?? null,
      data: redacted(e.data),
    })),
    read_models: {
      leads: await inTenant('leads', 'lead_id', ids('lead')),
      customers: await inTenant('customers', 'customer_id', ids('customerProfile')),
      consents: await inTenant('customer_consents', 'customer_id', ids('customerProfile')),
      inbound_leads: await inTenant('inbound_leads', 'lead_id', ids('lead')),
    },
  };
}

/** The erasure recorded on a deal names the subject, not the person: it belongs in the export. */
const mentions = (e: RecordedEvent, only: ReadonlySet<string>) => typeof e.data.subjectId === 'string' && only.has(e.data.subjectId);

async function subjectsOf(app: AppContext, tenantId: string, target: { id: string } | { email: string }): Promise<string[]> {
  if ('email' in target) {
    return ((await app.db('privacy_subject_refs').where({ tenant_id: tenantId, ref: emailRef(target.email) }).select('subject_id')) as { subject_id: string }[]).map((r) => r.subject_id);
  }
  // A subject id, or a lead or customer: the subjects whose data its stream holds.
  const direct = (await app.db('privacy_subjects').where({ tenant_id: tenantId }).andWhereRaw('subject_id::text = ?', [target.id]).select('subject_id')) as { subject_id: string }[];
  if (direct.length) return direct.map((r) => r.subject_id);
  const held = (await app.db('privacy_subject_streams')
    .where({ tenant_id: tenantId })
    .whereIn('stream_id', [`lead-${tenantId}:${target.id}`, `customerProfile-${tenantId}:${target.id}`])
    .distinct('subject_id')) as { subject_id: string }[];
  return held.map((r) => r.subject_id);
}
