import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { type SubjectKey, subjectKey } from './cipher.js';
import type { KeyWrapper } from './keyWrapper.js';

/**
 * Data subjects and their keys (tables privacy_subjects, privacy_subject_refs,
 * privacy_subject_streams). A subject is a person, recognised by email within a tenant; data
 * without an email belongs to a subject of its own record. Refs hold a SHA-256 of the
 * normalised email, never the email: after erasure they are the suppression list that keeps a
 * destroyed key from being re-created for the same person.
 */
export type SubjectKeyState = { readonly subject: string; readonly key: SubjectKey } | { readonly subject: string; readonly erasedAt: Date };

export const emailRef = (email: string): string => `email:${createHash('sha256').update(email.trim().toLowerCase()).digest('hex')}`;

const normalName = (name: string) => name.trim().replace(/\s+/g, ' ').toLowerCase();

/** A person by name on one record: a deal's contact (erasure "by contact"), a lead's or a customer's person. */
export const recordRef = (streamId: string, name: string): string => `record:${streamId}#${createHash('sha256').update(normalName(name)).digest('hex')}`;

export interface SubjectVault {
  /**
   * The subject the refs name (the first that exists), created with a fresh key when none does;
   * the other refs join it. An erased subject answers its erasure and gains nothing.
   */
  subjectFor(tenantId: string, refs: readonly string[]): Promise<SubjectKeyState>;
  /** Where the subjects' data now is: called once the append that holds it succeeded. */
  noteStream(tenantId: string, subjects: readonly string[], streamId: string): Promise<void>;
  /** Keys by subject id; an erased subject answers its erasure instead, an unknown one nothing. */
  keysOf(subjects: readonly string[]): Promise<Map<string, SubjectKeyState>>;
  /** Destroys the keys; answers the subjects erased now (the others were already). */
  destroy(tenantId: string, subjects: readonly string[], erasedBy: string, request: ErasureNote): Promise<string[]>;
  /** The erasure is recorded in the log (its events written): nothing left to finish. */
  recorded(subject: string): Promise<void>;
  /** Throws, naming the wrapper, when some stored key cannot be unwrapped (a changed master key). */
  checkKeys(): Promise<void>;
  /** Keys destroyed whose erasure was never recorded (a crash in between): to finish. */
  unrecorded(): Promise<{ tenantId: string; subject: string; erasedBy: string; request: ErasureNote }[]>;
}

/** What an erasure was asked for, kept with the destroyed key until its events are written. */
export interface ErasureNote {
  readonly requestedBy: string;
  readonly requestedFor: string | null;
  readonly reason: string | null;
}

interface SubjectRow {
  subject_id: string;
  key: Buffer | null;
  wrapped_by: string;
  erased_at: Date | null;
}

/** Unwrapped, derived keys by their stored bytes: a replay opens many events per person. */
const DERIVED_CACHE = 10_000;

export function createSubjectVault(db: Knex, wrapper: KeyWrapper): SubjectVault {
  // Only ever consulted after the row was read: an erased row (key null) never reaches it.
  const derived = new Map<string, SubjectKey>();
  const keyOf = async (row: SubjectRow & { key: Buffer }): Promise<SubjectKey> => {
    const id = `${row.subject_id}:${row.key.toString('base64')}`;
    let key = derived.get(id);
    if (!key) {
      key = subjectKey(await wrapper.unwrap(row.key, row.wrapped_by));
      if (derived.size >= DERIVED_CACHE) derived.delete(derived.keys().next().value!);
      derived.set(id, key);
    }
    return key;
  };
  const state = async (row: SubjectRow): Promise<SubjectKeyState> =>
    row.erased_at || !row.key ? { subject: row.subject_id, erasedAt: row.erased_at ?? new Date(0) } : { subject: row.subject_id, key: await keyOf({ ...row, key: row.key }) };

  const existing = async (tenantId: string, refs: readonly string[]): Promise<SubjectRow | undefined> => {
    const rows = (await db('privacy_subject_refs as r')
      .join('privacy_subjects as s', function () {
        this.on('s.tenant_id', 'r.tenant_id').andOn('s.subject_id', 'r.subject_id');
      })
      .where('r.tenant_id', tenantId)
      .whereIn('r.ref', refs)
      .select('r.ref', 's.subject_id', 's.key', 's.wrapped_by', 's.erased_at')) as (SubjectRow & { ref: string })[];
    // The first ref given wins: an email before the record's own ref.
    return refs.map((ref) => rows.find((r) => r.ref === ref)).find((r) => r !== undefined);
  };

  return {
    async subjectFor(tenantId, refs) {
      let row = await existing(tenantId, refs);
      if (!row) {
        const material = randomBytes(32);
        const fresh: SubjectRow = { subject_id: randomUUID(), key: await wrapper.wrap(material), wrapped_by: wrapper.name, erased_at: null };
        row = await db.transaction(async (trx) => {
          await trx('privacy_subjects').insert({ tenant_id: tenantId, ...fresh });
          const claimed = await trx('privacy_subject_refs')
            .insert(refs.map((ref) => ({ tenant_id: tenantId, ref, subject_id: fresh.subject_id })))
            .onConflict(['tenant_id', 'ref'])
            .ignore()
            .returning('ref');
          if (claimed.length === refs.length) return fresh;
          // A concurrent append created the subject first: use theirs, leave no orphan key.
          await trx.rollback();
          return undefined;
        }).catch(() => undefined);
        row ??= await existing(tenantId, refs);
        if (!row) throw new Error('data subject could not be resolved');
      } else if (!row.erased_at) {
        await db('privacy_subject_refs')
          .insert(refs.map((ref) => ({ tenant_id: tenantId, ref, subject_id: row!.subject_id })))
          .onConflict(['tenant_id', 'ref'])
          .ignore();
      }
      return state(row);
    },

    async noteStream(tenantId, subjects, streamId) {
      if (subjects.length === 0) return;
      await db('privacy_subject_streams')
        .insert([...new Set(subjects)].map((subject_id) => ({ tenant_id: tenantId, subject_id, stream_id: streamId })))
        .onConflict()
        .ignore();
    },

    async checkKeys() {
      // One live key per wrapper is enough: a wrong master key fails on any of them.
      const rows = (await db('privacy_subjects').whereNotNull('key').distinctOn('wrapped_by').select('subject_id', 'key', 'wrapped_by', 'erased_at')) as SubjectRow[];
      for (const row of rows) await wrapper.unwrap(row.key!, row.wrapped_by);
    },

    async recorded(subject) {
      await db('privacy_subjects').where({ subject_id: subject }).whereNull('erasure_recorded_at').update({ erasure_recorded_at: db.fn.now() });
    },

    async unrecorded() {
      const rows = (await db('privacy_subjects').whereNotNull('erased_at').whereNull('erasure_recorded_at').select('tenant_id', 'subject_id', 'erased_by', 'erasure_request')) as {
        tenant_id: string;
        subject_id: string;
        erased_by: string | null;
        erasure_request: ErasureNote | null;
      }[];
      return rows.map((r) => ({
        tenantId: r.tenant_id,
        subject: r.subject_id,
        erasedBy: r.erased_by ?? 'system:privacy',
        request: r.erasure_request ?? { requestedBy: 'email', requestedFor: null, reason: null },
      }));
    },

    async keysOf(subjects) {
      const unique = [...new Set(subjects)];
      const rows = unique.length ? ((await db('privacy_subjects').whereIn('subject_id', unique).select('subject_id', 'key', 'wrapped_by', 'erased_at')) as SubjectRow[]) : [];
      return new Map(await Promise.all(rows.map(async (r) => [r.subject_id, await state(r)] as const)));
    },

    async destroy(tenantId, subjects, erasedBy, request) {
      if (subjects.length === 0) return [];
      const rows = await db('privacy_subjects')
        .where({ tenant_id: tenantId })
        .whereIn('subject_id', [...new Set(subjects)])
        .whereNull('erased_at')
        .update({ key: null, erased_at: db.fn.now(), erased_by: erasedBy, erasure_request: JSON.stringify(request) })
        .returning('subject_id');
      return rows.map((r: { subject_id: string }) => r.subject_id);
    },
  };
}
