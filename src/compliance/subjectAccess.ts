import type { Knex } from 'knex';
import { requireReach } from '../access/policy.js';
import type { Access } from '../access/access.js';
import type { AppContext } from '../commands/context.js';
import { type RecordedEvent, formatPosition } from '../eventstore/port.js';
import { parseStreamName, streamName } from '../eventstore/streams.js';
import { sealedOf } from '../privacy/cipher.js';
import { openEvents, sealedSubjects } from '../privacy/protectedStore.js';
import { emailRef } from '../privacy/subjects.js';
import { unitsOf } from '../privacy/units.js';
import { notFound } from '../shared/errors.js';
import { redacted } from '../shared/redact.js';

/**
 * GDPR Art. 15: everything held about one person, as JSON. Events come from the log as stored,
 * opened with that person's key only: another person's data in the same event (a deal's other
 * contacts) reads as `{ redacted: true }`. Streams that are about the person as a whole (their
 * lead, a customer profile they were the contact of, the activities and tasks on those, their
 * erasure) are given whole; on a deal, only the events that hold their data. Read-model rows: the
 * lead, the customer (its contact person only while that is them) and its consents, the work.
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
  const held = [...new Set(rows.flatMap((r) => (r.stream_id ? [r.stream_id] : [])))].sort();
  const ids = (category: string) => held.flatMap((s) => (parseStreamName(s)?.category === category ? [parseStreamName(s)!.aggregateId] : []));
  const work = await workAbout(app.db, tenantId, ids('lead'), ids('customerProfile'));
  const erasures = subjects.map((id) => streamName({ category: 'dataSubject', tenantId, aggregateId: id }));

  const events: RecordedEvent[] = [];
  const current = new Map<string, string | undefined>();
  for (const stream of [...held, ...work.streams, ...erasures]) {
    const stored = await app.storedLog.readStream(stream);
    const whole = ['lead', 'customerProfile', 'activity', 'task', 'dataSubject'].includes(parseStreamName(stream)?.category ?? '');
    const kept: RecordedEvent[] = [];
    for (const e of stored) if (whole || (await sealedSubjects([e])).some((s) => only.has(s)) || mentions(e, only)) kept.push(e);
    events.push(...(await openEvents(app.vault, kept, only)));
    if (parseStreamName(stream)?.category === 'customerProfile') current.set(parseStreamName(stream)!.aggregateId, await subjectInForce(stored));
  }
  const inTenant = (table: string, column: string, values: string[]) => (values.length ? app.db(table).where({ tenant_id: tenantId }).whereIn(column, values) : Promise.resolve([]));
  const customers = ((await inTenant('customers', 'customer_id', ids('customerProfile'))) as { customer_id: string; personal_data: unknown }[]).map((row) =>
    // The profile's contact person now may be someone else: theirs is not this person's to see.
    only.has(current.get(row.customer_id) ?? '') ? row : { ...row, personal_data: null, personal_data_note: 'another person, or none' },
  );
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
      customers,
      consents: await inTenant('customer_consents', 'customer_id', ids('customerProfile')),
      activities: work.activities,
      tasks: work.tasks,
    },
  };
}

/** The erasure recorded on a deal names the subject, not the person: it belongs in the export. */
const mentions = (e: RecordedEvent, only: ReadonlySet<string>) => typeof e.data.subjectId === 'string' && only.has(e.data.subjectId);

/** Whose data a profile's contact person is now: the subject of its last personal-data unit. */
async function subjectInForce(stored: readonly RecordedEvent[]): Promise<string | undefined> {
  for (const e of [...stored].reverse()) {
    if (!('personalData' in e.data)) continue;
    const [unit] = await unitsOf(e.eventType, e.data);
    return unit ? sealedOf(unit.unit)?.subject : undefined;
  }
  return undefined;
}

/** Activities and tasks about the person's lead or customer: rows, and their streams. */
async function workAbout(db: Knex, tenantId: string, leads: string[], customers: string[]) {
  const about = (q: Knex.QueryBuilder) =>
    q.where({ tenant_id: tenantId }).andWhere((w) => {
      w.where({ related_type: 'lead' }).whereIn('related_id', leads.length ? leads : ['']);
      w.orWhere({ related_type: 'customer' }).whereIn('related_id', customers.length ? customers : ['']);
    });
  const activities = (await about(db('activities'))) as { activity_id: string }[];
  const tasks = (await about(db('tasks'))) as { task_id: string }[];
  const streams = [
    ...activities.map((a) => streamName({ category: 'activity', tenantId, aggregateId: a.activity_id })),
    ...tasks.map((t) => streamName({ category: 'task', tenantId, aggregateId: t.task_id })),
  ];
  return { activities, tasks, streams };
}

async function subjectsOf(app: AppContext, tenantId: string, target: { id: string } | { email: string }): Promise<string[]> {
  if ('email' in target) {
    return ((await app.db('privacy_subject_refs').where({ tenant_id: tenantId, ref: emailRef(target.email) }).select('subject_id')) as { subject_id: string }[]).map((r) => r.subject_id);
  }
  // A subject id, or a lead or customer: the subjects whose data its stream holds.
  const direct = (await app.db('privacy_subjects').where({ tenant_id: tenantId }).andWhereRaw('subject_id::text = ?', [target.id]).select('subject_id')) as { subject_id: string }[];
  if (direct.length) return direct.map((r) => r.subject_id);
  const records = ['lead', 'customerProfile'].map((category) => streamName({ category, tenantId, aggregateId: target.id }));
  const held = (await app.db('privacy_subject_streams').where({ tenant_id: tenantId }).whereIn('stream_id', records).distinct('subject_id')) as { subject_id: string }[];
  return held.map((r) => r.subject_id);
}
