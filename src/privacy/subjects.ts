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

/** A deal's contact by name, on that deal's stream (erasure "by contact"). */
export const contactRef = (streamId: string, name: string): string => `record:${streamId}#${createHash('sha256').update(normalName(name)).digest('hex')}`;

export interface SubjectVault {
  /** The subject the refs name (the first that exists), created with a fresh key when none does. */
  subjectFor(tenantId: string, refs: readonly string[], streamId: string): Promise<SubjectKeyState>;
  /** Keys by subject id; an erased subject answers its erasure instead, an unknown one nothing. */
  keysOf(subjects: readonly string[]): Promise<Map<string, SubjectKeyState>>;
  /** Destroys the keys; answers the subjects erased now (the others were already). */
  destroy(tenantId: string, subjects: readonly string[], erasedBy: string): Promise<string[]>;
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
    async subjectFor(tenantId, refs, streamId) {
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
      } else {
        await db('privacy_subject_refs')
          .insert(refs.map((ref) => ({ tenant_id: tenantId, ref, subject_id: row!.subject_id })))
          .onConflict(['tenant_id', 'ref'])
          .ignore();
      }
      await db('privacy_subject_streams').insert({ tenant_id: tenantId, subject_id: row.subject_id, stream_id: streamId }).onConflict().ignore();
      return state(row);
    },

    async keysOf(subjects) {
      const unique = [...new Set(subjects)];
      const rows = unique.length ? ((await db('privacy_subjects').whereIn('subject_id', unique).select('subject_id', 'key', 'wrapped_by', 'erased_at')) as SubjectRow[]) : [];
      return new Map(await Promise.all(rows.map(async (r) => [r.subject_id, await state(r)] as const)));
    },

    async destroy(tenantId, subjects, erasedBy) {
      if (subjects.length === 0) return [];
      const rows = await db('privacy_subjects')
        .where({ tenant_id: tenantId })
        .whereIn('subject_id', [...new Set(subjects)])
        .whereNull('erased_at')
        .update({ key: null, erased_at: db.fn.now(), erased_by: erasedBy })
        .returning('subject_id');
      return rows.map((r: { subject_id: string }) => r.subject_id);
    },
  };
}
