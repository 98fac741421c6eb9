import type { EventStore, EventToAppend, JsonObject, RecordedEvent } from '../eventstore/port.js';
import { conflict } from '../shared/errors.js';
import { open, seal, sealedOf } from './cipher.js';
import { type SubjectKeyState, type SubjectVault, emailRef, recordRef } from './subjects.js';
import { ERASED_FORM, PLAIN_FIELDS, type UnitKind, carriesPersonalData, mapUnits, recordOf } from './units.js';

/**
 * The event store port with personal data sealed on the way in and opened on the way out
 * (DESIGN §13): a decorator, so both adapters, every projection, workflow, replay, export and
 * the Kafka bridge read the same thing, and an erased subject reads as erased everywhere.
 * Integrity checks use the store beneath, which holds exactly what was hashed.
 */
export function protectPersonalData(store: EventStore, vault: SubjectVault, onUnreadable: Unreadable = () => {}): EventStore {
  const opened = (events: RecordedEvent[]) => openEvents(vault, events, undefined, onUnreadable);
  return {
    async append(streamId, events, expected, options) {
      if (!events.some((e) => carriesPersonalData(e.eventType))) return store.append(streamId, events, expected, options);
      const tenantId = recordOf(streamId)?.tenantId;
      if (!tenantId) throw new Error(`personal data on stream ${streamId}, which names no tenant`);
      const sealed: EventToAppend[] = [];
      const subjects: string[] = [];
      for (const e of events) {
        const data = await mapUnits(e.eventType, e.data, (unit, kind) => sealUnit(vault, { tenantId, streamId, eventId: e.eventId }, unit, kind, subjects));
        sealed.push(data === e.data ? e : { ...e, data });
      }
      const result = await store.append(streamId, sealed, expected, options);
      // Only once the data is stored: a failed append leaves no trace of the subject here.
      await vault.noteStream(tenantId, subjects, streamId);
      return result;
    },
    readStream: async (streamId, options) => opened(await store.readStream(streamId, options)),
    readAll: async (options) => opened(await store.readAll(options)),
    readPage: async (options) => {
      const page = await store.readPage(options);
      return { ...page, events: await opened(page.events) };
    },
    headPosition: () => store.headPosition(),
    ...(store.countEvents ? { countEvents: store.countEvents.bind(store) } : {}),
    subscribeToAll: (options) => openBatches(opened, store.subscribeToAll(options)),
    close: () => store.close(),
  };
}

const split = (unit: JsonObject, kind: UnitKind) => {
  const plain: JsonObject = {};
  const personal: JsonObject = {};
  for (const [k, v] of Object.entries(unit)) (PLAIN_FIELDS[kind].includes(k) ? plain : personal)[k] = v;
  return { plain, personal };
};

/** A sealed unit that does not open with its live key: altered bytes (verify names the link). */
export type Unreadable = (event: RecordedEvent, subject: string) => void;

/** A unit's person by name, on its record: who the record's data is about when no email says. */
const nameOf = (kind: UnitKind, p: JsonObject) => (kind === 'contact' ? String(p.name ?? '') : `${String(p.firstName ?? '')} ${String(p.lastName ?? '')}`);

export async function sealUnit(
  vault: SubjectVault,
  at: { tenantId: string; streamId: string; eventId: string },
  unit: JsonObject,
  kind: UnitKind,
  subjects: string[] = [],
): Promise<JsonObject> {
  if (sealedOf(unit)) return unit;
  const { plain, personal } = split(unit, kind);
  // Nothing that identifies anyone (an erased lead's data carried into its conversion): as given.
  if (!Object.values(personal).some((v) => v !== null && v !== undefined)) return unit;
  const email = typeof personal.email === 'string' && personal.email.trim() ? personal.email : undefined;
  // The same name on the same record is the same person (a changed email stays theirs); else the
  // email says who it is (a lead and the customer made from it are one person).
  const refs = [recordRef(at.streamId, nameOf(kind, personal)), ...(email ? [emailRef(email)] : [])];
  const subject = await vault.subjectFor(at.tenantId, refs);
  if (!('key' in subject)) {
    throw conflict('This person asked to be erased: their personal data cannot be recorded again', { reason: 'PERSONAL_DATA_ERASED', erased_at: subject.erasedAt.toISOString() });
  }
  subjects.push(subject.subject);
  const where = `${at.streamId}\n${at.eventId}`;
  return { ...plain, $sealed: { ...seal(subject.key, { tenantId: at.tenantId, subject: subject.subject, where }, personal) } };
}

/**
 * Opens every sealed unit with one key lookup for the whole batch; erased ones read as erased.
 * With `only`, other people's units read as `{ redacted: true }` (a subject access export).
 */
export async function openEvents(vault: SubjectVault, events: RecordedEvent[], only?: ReadonlySet<string>, onUnreadable: Unreadable = () => {}): Promise<RecordedEvent[]> {
  const subjects = await sealedSubjects(events);
  if (subjects.length === 0) return events;
  const wanted = only ? subjects.filter((s) => only.has(s)) : subjects;
  const keys = wanted.length ? await vault.keysOf(wanted) : new Map<string, SubjectKeyState>();
  return Promise.all(
    events.map(async (e) => {
      if (!carriesPersonalData(e.eventType)) return e;
      const tenantId = recordOf(e.streamId)?.tenantId ?? '';
      const data = await mapUnits(e.eventType, e.data, async (unit, kind) => {
        const sealed = sealedOf(unit);
        if (!sealed) return unit;
        const { $sealed: _sealed, ...plain } = unit;
        if (only && !only.has(sealed.subject)) return { ...plain, redacted: true };
        const key = keys.get(sealed.subject);
        if (key && 'key' in key) {
          try {
            return { ...plain, ...open(key.key, tenantId, sealed) };
          } catch {
            // Altered bytes: reported (verify names the link), and shown as nothing rather than guessed.
            onUnreadable(e, sealed.subject);
          }
        }
        return { ...plain, ...ERASED_FORM[kind] };
      });
      return { ...e, data };
    }),
  );
}

/** The subjects whose keys a batch needs. */
export async function sealedSubjects(events: readonly RecordedEvent[]): Promise<string[]> {
  const subjects = new Set<string>();
  for (const e of events) {
    if (!carriesPersonalData(e.eventType)) continue;
    await mapUnits(e.eventType, e.data, async (unit) => {
      const s = sealedOf(unit);
      if (s) subjects.add(s.subject);
      return unit;
    });
  }
  return [...subjects];
}

async function* openBatches(opened: (events: RecordedEvent[]) => Promise<RecordedEvent[]>, batches: ReturnType<EventStore['subscribeToAll']>): ReturnType<EventStore['subscribeToAll']> {
  for await (const batch of batches) yield { ...batch, events: await opened([...batch.events]) };
}
