import { TENANT_ID_PATTERN } from '../../eventstore/streams.js';
import { parseJsonLossless } from '../../http/json.js';
import { marketingLeadPayload } from '../../http/requests/marketingLead.js';
import type { AvroCodec, AvroRecord } from './avro.js';
import type { ConsumedEventType } from './topics.js';

/**
 * Consumed events that arrive as JSON in seed 004's standard envelope rather than as Avro:
 * Marketing's lead.qualified. The envelope's event_id, timestamp and tenant_id (our addition to
 * seed 004's envelope, as on our own feeds; a multi-tenant consumer needs it) become the record's
 * envelope; the payload is parsed by the same schema as POST /leads/{id}/sync. Anything else is a
 * decode error: the message goes to the dead-letter topic.
 */
const JSON_PAYLOADS = {
  MarketingLeadQualifiedEvent: { eventType: 'lead.qualified', payload: marketingLeadPayload },
} as const;

export type JsonConsumedType = keyof typeof JSON_PAYLOADS;
export const JSON_CONSUMED_TYPES = Object.keys(JSON_PAYLOADS) as JsonConsumedType[];

function decodeJson(type: JsonConsumedType, value: Buffer): AvroRecord {
  const spec = JSON_PAYLOADS[type];
  const env = parseJsonLossless(value.toString('utf8')) as Record<string, unknown> | null;
  if (!env || typeof env !== 'object' || Array.isArray(env)) throw new Error('not a JSON object');
  if (env.event_type !== spec.eventType) throw new Error(`event_type ${JSON.stringify(env.event_type)} is not ${spec.eventType}`);
  const timestamp = typeof env.timestamp === 'string' ? Date.parse(env.timestamp) : Number.NaN;
  if (!Number.isFinite(timestamp)) throw new Error('timestamp is not an ISO-8601 instant');
  if (typeof env.tenant_id !== 'string' || !TENANT_ID_PATTERN.test(env.tenant_id)) throw new Error('tenant_id is missing or invalid');
  const parsed = spec.payload.safeParse(env.payload);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(`payload.${first?.path.join('.') ?? ''}: ${first?.message ?? 'invalid'}`);
  }
  return { eventId: env.event_id, timestamp, tenantId: env.tenant_id, payload: parsed.data } as AvroRecord;
}

/** Avro for the seeds' events, JSON for these: the one decoder the inbound uses. */
export function consumedCodec(avro: AvroCodec): Pick<AvroCodec, 'has' | 'decode'> {
  const isJson = (t: string): t is JsonConsumedType => (JSON_CONSUMED_TYPES as string[]).includes(t);
  return {
    has: (t) => isJson(t) || avro.has(t),
    decode: (t, value) => (isJson(t) ? decodeJson(t, value) : avro.decode(t, value)),
  };
}

export const isJsonConsumed = (t: ConsumedEventType): boolean => (JSON_CONSUMED_TYPES as string[]).includes(t);
