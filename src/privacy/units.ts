import type { Json, JsonObject } from '../eventstore/port.js';
import { parseStreamName } from '../eventstore/streams.js';

/**
 * Where personal data sits in the log (DESIGN §9, §13): data, not code. A unit is one person's
 * data in one event: the marked `personalData` sub-object, or one contact of a deal's terms.
 * Each unit is sealed with its own data subject's key; anything not listed here is not
 * personal data and is stored as given.
 */
export type UnitKind = 'lead' | 'person' | 'contact';

interface UnitPlace {
  /** Keys from the payload down to the unit; '*' walks every element of an array. */
  readonly path: readonly string[];
  readonly kind: UnitKind;
}

export const PERSONAL_DATA: Readonly<Record<string, UnitPlace>> = {
  LeadCreatedEvent: { path: ['personalData'], kind: 'lead' },
  CustomerProfileCreatedEvent: { path: ['personalData'], kind: 'person' },
  CustomerProfileUpdatedEvent: { path: ['personalData'], kind: 'person' },
  OpportunityCommercialTermsSetEvent: { path: ['personalData', 'contacts', '*'], kind: 'contact' },
};

/** Fields of a unit that identify nobody and stay readable after erasure (a contact's role). */
export const PLAIN_FIELDS: Readonly<Record<UnitKind, readonly string[]>> = { lead: [], person: [], contact: ['type'] };

/**
 * What an erased unit reads as, everywhere (API answers, exports, as-of views, replays, Kafka):
 * the shape its readers expect, with every personal field emptied.
 */
export const ERASED_FORM: Readonly<Record<UnitKind, JsonObject>> = {
  lead: { firstName: null, lastName: null, email: null, phone: null },
  person: {},
  contact: { name: null, email: null, phone: null, erased: true },
};

export const carriesPersonalData = (eventType: string): boolean => eventType in PERSONAL_DATA;

/** The payload with every unit replaced by `f(unit, kind)`; the payload itself is not changed. */
export async function mapUnits(
  eventType: string,
  data: JsonObject,
  f: (unit: JsonObject, kind: UnitKind) => Promise<JsonObject>,
): Promise<JsonObject> {
  const place = PERSONAL_DATA[eventType];
  if (!place) return data;
  const walk = async (value: Json | undefined, path: readonly string[]): Promise<Json | undefined> => {
    if (value === null || value === undefined) return value;
    if (path.length === 0) return typeof value === 'object' && !Array.isArray(value) ? f(value, place.kind) : value;
    const [head, ...rest] = path;
    if (head === '*') return Array.isArray(value) ? Promise.all(value.map(async (v) => (await walk(v, rest)) ?? null)) : value;
    if (typeof value !== 'object' || Array.isArray(value) || !(head! in value)) return value;
    return { ...value, [head!]: (await walk(value[head!], rest)) ?? null };
  };
  return ((await walk(data, place.path)) as JsonObject | undefined) ?? data;
}

/** Every unit of a payload, in order, without changing it. */
export async function unitsOf(eventType: string, data: JsonObject): Promise<{ unit: JsonObject; kind: UnitKind }[]> {
  const found: { unit: JsonObject; kind: UnitKind }[] = [];
  await mapUnits(eventType, data, async (unit, kind) => (found.push({ unit, kind }), unit));
  return found;
}

/** The record a stream holds, as erasure and export name it. */
export function recordOf(streamId: string): { tenantId: string; kind: string; id: string } | undefined {
  const s = parseStreamName(streamId);
  return s && { tenantId: s.tenantId, kind: s.category, id: s.aggregateId };
}
