import type { EventStore, EventToAppend, JsonObject, RecordedEvent } from '../eventstore/port.js';
import { conflict } from '../shared/errors.js';
import { open, seal, sealedOf } from './cipher.js';
import { type SubjectKeyState, type SubjectVault, contactRef, emailRef } from './subjects.js';
import { ERASED_FORM, PLAIN_FIELDS, type UnitKind, carriesPersonalData, mapUnits, recordOf } from './units.js';

/**
 * The event store port with personal data sealed on the way in and opened on the way out
 * (DESIGN §13): a decorator, so both adapters, every projection, workflow, replay, export and
 * the Kafka bridge read the same thing, and an erased subject reads as erased everywhere.
 * Integrity checks use the store beneath, which holds exactly what was hashed.
 */
export function protectPersonalData(store: EventStore, vault: SubjectVault): EventStore {
  return {
    async append(streamId, events, expected) {
      if (!events.some((e) => carriesPersonalData(e.eventType))) return store.append(streamId, events, expected);
      const tenantId = recordOf(streamId)?.tenantId;
      if (!tenantId) throw new Error(`personal data on stream ${streamId}, which names no tenant`);
      const sealed: EventToAppend[] = [];
      for (const e of events) {
        const data = await mapUnits(e.eventType, e.data, (unit, kind) => sealUnit(vault, { tenantId, streamId, eventId: e.eventId }, unit, kind));
        sealed.push(data === e.data ? e : { ...e, data });
      }
      return store.append(streamId, sealed, expected);
    },
    readStream: async (streamId, options) => openEvents(vault, await store.readStream(streamId, options)),
    readAll: async (options) => openEvents(vault, await store.readAll(options)),
    readPage: async (options) => {
      const page = await store.readPage(options);
      return { ...page, events: await openEvents(vault, page.events) };
    },
    headPosition: () => store.headPosition(),
    ...(store.countEvents ? { countEvents: store.countEvents.bind(store) } : {}),
    subscribeToAll: (options) => openBatches(vault, store.subscribeToAll(options)),
    close: () => store.close(),
  };
}

const split = (unit: JsonObject, kind: UnitKind) => {
  const plain: JsonObject = {};
  const personal: JsonObject = {};
  for (const [k, v] of Object.entries(unit)) (PLAIN_FIELDS[kind].includes(k) ? plain : personal)[k] = v;
  return { plain, personal };
};

export async function sealUnit(vault: SubjectVault, at: { tenantId: string; streamId: string; eventId: string }, unit: JsonObject, kind: UnitKind): Promise<JsonObject> {
  if (sealedOf(unit)) return unit;
  const { plain, personal } = split(unit, kind);
  // Nothing that identifies anyone (an erased lead's data carried into its conversion): as given.
  if (!Object.values(personal).some((v) => v !== null && v !== undefined)) return unit;
  const email = typeof personal.email === 'string' && personal.email.trim() ? personal.email : undefined;
  // Without an email the record is the subject; a deal's contact is also found by its name there.
  const own = kind === 'contact' ? contactRef(at.streamId, String(personal.name)) : `record:${at.streamId}`;
  const refs = email ? [emailRef(email), ...(kind === 'contact' ? [own] : [])] : [own];
  const subject = await vault.subjectFor(at.tenantId, refs, at.streamId);
  if (!('key' in subject)) {
    throw conflict('This person asked to be erased: their personal data cannot be recorded again', { reason: 'PERSONAL_DATA_ERASED', erased_at: subject.erasedAt.toISOString() });
  }
  const where = `${at.streamId}\n${at.eventId}`;
  return { ...plain, $sealed: { ...seal(subject.key, { tenantId: at.tenantId, subject: subject.subject, where }, personal) } };
}

/**
 * Opens every sealed unit with one key lookup for the whole batch; erased ones read as erased.
 * With `only`, other people's units read as `{ redacted: true }` (a subject access export).
 */
export async function openEvents(vault: SubjectVault, events: RecordedEvent[], only?: ReadonlySet<string>): Promise<RecordedEvent[]> {
  const subjects = (await sealedSubjects(events)).filter((s) => !only || only.has(s));
  if (subjects.length === 0) return events;
  const keys = await vault.keysOf(subjects);
  return Promise.all(
    events.map(async (e) => {
      if (!carriesPersonalData(e.eventType)) return e;
      const tenantId = recordOf(e.streamId)?.tenantId ?? '';
      const data = await mapUnits(e.eventType, e.data, async (unit, kind) => openUnit(keys, tenantId, unit, kind, only));
      return data === e.data ? e : { ...e, data };
    }),
  );
}

function openUnit(keys: Map<string, SubjectKeyState>, tenantId: string, unit: JsonObject, kind: UnitKind, only?: ReadonlySet<string>): JsonObject {
  const sealed = sealedOf(unit);
  if (!sealed) return unit;
  const { $sealed: _sealed, ...plain } = unit;
  if (only && !only.has(sealed.subject)) return { ...plain, redacted: true };
  const key = keys.get(sealed.subject);
  // A ciphertext that does not open (altered bytes) reads as erased; verify names the link.
  if (key && 'key' in key) {
    try {
      return { ...plain, ...open(key.key, tenantId, sealed) };
    } catch {
      /* falls through */
    }
  }
  return { ...plain, ...ERASED_FORM[kind] };
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

async function* openBatches(vault: SubjectVault, batches: ReturnType<EventStore['subscribeToAll']>): ReturnType<EventStore['subscribeToAll']> {
  for await (const batch of batches) yield { ...batch, events: await openEvents(vault, [...batch.events]) };
}
