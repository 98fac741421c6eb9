import { systemAccess } from '../access/access.js';
import { requireReach } from '../access/policy.js';
import { customerProfileAggregate } from '../aggregates/customerProfile/index.js';
import { type ErasedRecord, type ErasureRequestKind, dataSubjectAggregate } from '../aggregates/dataSubject/index.js';
import { leadAggregate } from '../aggregates/lead/index.js';
import { opportunityAggregate } from '../aggregates/opportunity/index.js';
import type { Position, RecordedEvent } from '../eventstore/port.js';
import { parseStreamName, streamName } from '../eventstore/streams.js';
import { sealedSubjects } from '../privacy/protectedStore.js';
import { hasUnsealedPersonalData } from '../privacy/sealExisting.js';
import { type ErasureNote, emailRef, recordRef } from '../privacy/subjects.js';
import { conflict, notFound } from '../shared/errors.js';
import { type AppContext, type Caller, on } from './context.js';
import type { Aggregate } from './handler.js';

export type ErasureRequest = ({ leadId: string } | { customerId: string } | { email: string } | { contact: { opportunityId: string; name: string } }) & {
  readonly reason: string | null;
};

export interface ErasureOutcome {
  readonly subjects: readonly { subjectId: string; erasedNow: boolean }[];
  readonly records: readonly ErasedRecord[];
  /** Where the last erasure event landed: pass as min_position to read the scrubbed models. */
  readonly position: Position | undefined;
}

type Erasable = Aggregate<{ type: 'RecordPersonalDataErasure'; subjectId: string }, never, unknown>;
const RECORDS: Readonly<Record<ErasedRecord['type'], Erasable>> = {
  lead: leadAggregate as unknown as Erasable,
  customerProfile: customerProfileAggregate as unknown as Erasable,
  opportunity: opportunityAggregate as unknown as Erasable,
};

/**
 * GDPR Art. 17 by crypto-shredding (DESIGN §13): find the data subjects the request names,
 * destroy their keys (from then on their personal data opens as erased everywhere), record the
 * erasure on every record that held their data (projections scrub the read models from those
 * events) and once per subject (the published fact). Each step is idempotent, so a retry after
 * a failure finishes the job and a second request changes nothing.
 */
export async function eraseSubjects(app: AppContext, caller: Caller, request: ErasureRequest): Promise<ErasureOutcome> {
  requireReach(caller.access, 'privacy', 'write');
  const { tenantId, actorId } = caller.access;
  const subjects = await subjectsNamed(app, tenantId, request);
  const note: ErasureNote = {
    requestedBy: 'leadId' in request ? 'lead' : 'customerId' in request ? 'customer' : 'contact' in request ? 'contact' : 'email',
    requestedFor: 'leadId' in request ? request.leadId : 'customerId' in request ? request.customerId : 'contact' in request ? request.contact.opportunityId : null,
    reason: request.reason,
  };
  await app.vault.destroy(tenantId, subjects, actorId, note);
  // Authorised above by the privacy policy; the records' own grants (a rep's lead) do not apply.
  const { idempotencyKey: _key, expectedRevision: _rev, ...rest } = caller;
  const asPrivacyOfficer: Caller = { ...rest, access: { ...caller.access, system: true } };
  const outcomes: { subjectId: string; erasedNow: boolean }[] = [];
  const all: ErasedRecord[] = [];
  let position: Position | undefined;
  for (const subjectId of subjects) {
    const recorded = await recordErasure(app, asPrivacyOfficer, subjectId, note);
    outcomes.push({ subjectId, erasedNow: recorded.erasedNow });
    all.push(...recorded.records.filter((r) => !all.some((a) => a.type === r.type && a.id === r.id)));
    position = recorded.position ?? position;
  }
  return { subjects: outcomes, records: all, position };
}

/**
 * The log's side of one subject's erasure (its key already destroyed): an event on each record
 * that held their data, then the subject's own; then the stored answers that showed them go.
 */
async function recordErasure(app: AppContext, caller: Caller, subjectId: string, note: ErasureNote) {
  const tenantId = caller.access.tenantId;
  const streams = ((await app.db('privacy_subject_streams').where({ tenant_id: tenantId, subject_id: subjectId }).orderBy('stream_id')) as { stream_id: string }[]).map((s) => s.stream_id);
  const records = streams.flatMap(recordOf);
  for (const record of records) await app.execute(RECORDS[record.type], on(caller, record.id), { type: 'RecordPersonalDataErasure', subjectId });
  const result = await app.execute(dataSubjectAggregate, on(caller, subjectId), { type: 'RecordErasure', subjectId, ...note, requestedBy: note.requestedBy as ErasureRequestKind, records });
  // Stored answers to Idempotency-Keys (a customer's or a deal's shows its contacts): a retry of such a request runs again.
  if (streams.length) await app.db('idempotency_keys').where({ tenant_id: tenantId, status: 'done' }).whereIn('stream_id', streams).delete();
  await app.vault.recorded(subjectId);
  return { records, erasedNow: result.events.length > 0, position: result.position };
}

/** Keys destroyed whose events were never written (a crash in between): finished at start. */
export async function finishErasures(app: AppContext): Promise<number> {
  const pending = await app.vault.unrecorded();
  for (const p of pending) {
    const caller: Caller = { access: { ...systemAccess(p.tenantId, p.erasedBy), system: true }, correlationId: `erasure:${p.subject}`, causationId: null };
    await recordErasure(app, caller, p.subject, p.request);
  }
  return pending.length;
}

function recordOf(stream: string): ErasedRecord[] {
  const s = parseStreamName(stream);
  return s && s.category in RECORDS ? [{ type: s.category as ErasedRecord['type'], id: s.aggregateId }] : [];
}

/**
 * The subjects a request names, read from the log as stored (the sealed units name their
 * subject, also after erasure): a lead's person (and the copy its conversion made of it on a new
 * customer), a customer's contact persons, or whoever has the email.
 */
async function subjectsNamed(app: AppContext, tenantId: string, request: ErasureRequest): Promise<string[]> {
  const stored = (category: string, aggregateId: string) => app.storedLog.readStream(streamName({ category, tenantId, aggregateId }));
  if ('email' in request || 'contact' in request) {
    const ref = 'email' in request ? emailRef(request.email) : recordRef(streamName({ category: 'opportunity', tenantId, aggregateId: request.contact.opportunityId }), request.contact.name);
    const rows = (await app.db('privacy_subject_refs').where({ tenant_id: tenantId, ref }).select('subject_id')) as { subject_id: string }[];
    if (rows.length === 0) throw notFound('No personal data is held under that ' + ('email' in request ? 'email' : 'contact'), { field: 'email' in request ? 'email' : 'contact' });
    return rows.map((r) => r.subject_id);
  }
  if ('customerId' in request) {
    const events = await stored('customerProfile', request.customerId);
    if (events.length === 0) throw notFound('Customer not found', { customer_id: request.customerId });
    return sealedSubjectsOf(events);
  }
  const events = await stored('lead', request.leadId);
  if (events.length === 0) throw notFound('Lead not found', { lead_id: request.leadId });
  const converted = events.find((e) => e.eventType === 'LeadConvertedEvent')?.data as { customerId?: string; customerCreated?: boolean } | undefined;
  const copy = converted?.customerCreated && converted.customerId ? (await stored('customerProfile', converted.customerId)).filter((e) => e.eventType === 'CustomerProfileCreatedEvent') : [];
  return [...new Set([...(await sealedSubjectsOf(events)), ...(await sealedSubjectsOf(copy))])];
}

/** Data written before sealing existed cannot be shredded: say so rather than answer "erased". */
async function sealedSubjectsOf(events: RecordedEvent[]): Promise<string[]> {
  if (await hasUnsealedPersonalData(events)) {
    throw conflict('This record holds personal data written before it was encrypted: run `npm run replay -- seal-personal-data` once, then erase', {
      reason: 'UNSEALED_PERSONAL_DATA',
    });
  }
  return sealedSubjects(events);
}
