import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import type { StoredEvent } from '../../eventstore/envelope.js';
import { DecimalType } from './decimal.js';

/**
 * Avro values of the bridge: one schemas/<EventType>.avsc per event type, encoded with avsc.
 * Raw Avro binary, no schema-registry framing: the full schema name travels in a header.
 *
 * The seeds declare `"logicalType": "timestamp-millis"` on the field, beside `"type": "long"`.
 * Avro only honours a logical type on the type itself, so avsc treats those fields as plain
 * longs, which is what we want: we write epoch millis as a long, exactly as the seed says.
 */
export type AvroRecord = { readonly [field: string]: unknown };

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** schemas/ at the project root: three levels above src/bridges/kafka, four from dist/src/bridges/kafka. */
export function defaultSchemaDir(): string {
  const candidates = [path.resolve(HERE, '../../../schemas'), path.resolve(HERE, '../../../../schemas')];
  return candidates.find((dir) => existsSync(dir)) ?? candidates[0]!;
}

/**
 * The options every schema here is parsed with: decimals become exact strings. A new object per
 * parse, because avsc keeps its registry of named types in the options it is given.
 */
export function avroTypeOptions(): Partial<avro.ForSchemaOptions> {
  return { logicalTypes: { decimal: DecimalType }, wrapUnions: 'auto' };
}

function avroType(schema: avro.Schema): avro.Type {
  return avro.Type.forSchema(schema, avroTypeOptions());
}

export interface AvroField {
  readonly name: string;
  /** avsc's type name: 'string', 'long', 'logical:decimal', 'union:unwrapped', 'array'... */
  readonly typeName: string;
}

export class AvroEncodingError extends Error {
  override name = 'AvroEncodingError';
}

export class AvroDecodingError extends Error {
  override name = 'AvroDecodingError';
}

export interface AvroCodec {
  readonly eventTypes: readonly string[];
  has(eventType: string): boolean;
  /** Full Avro name, e.g. com.erp.crm.pipeline.events.OpportunityCreatedEvent. */
  schemaName(eventType: string): string;
  /** Top-level fields in schema order. */
  fields(eventType: string): readonly AvroField[];
  /** A stored event → Avro: eventId, timestamp (epoch millis) and tenantId from the envelope, the rest from the payload by name. */
  encode(eventType: string, event: StoredEvent): Buffer;
  /** A record already in Avro shape (what another context would produce). */
  encodeRecord(eventType: string, record: AvroRecord): Buffer;
  /**
   * Throws on anything that is not exactly one value of the event type's schema. With
   * `readerSchema`, the value is resolved into that schema as Avro schema evolution says (what a
   * consumer holding another version of the schema would see).
   */
  decode(eventType: string, buf: Buffer, readerSchema?: avro.Schema): AvroRecord;
}

export function loadAvroCodec(dir: string = defaultSchemaDir()): AvroCodec {
  const types = new Map<string, avro.types.RecordType>();
  const schemas = new Map<string, avro.Schema>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.avsc')).sort()) {
    const eventType = file.slice(0, -'.avsc'.length);
    const schema = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as avro.Schema;
    const type = avroType(schema);
    if (!(type instanceof avro.types.RecordType) || type.name?.split('.').at(-1) !== eventType) {
      throw new Error(`${file}: expected a record named ${eventType}`);
    }
    types.set(eventType, type);
    schemas.set(eventType, schema);
  }

  const typeOf = (eventType: string): avro.types.RecordType => {
    const type = types.get(eventType);
    if (!type) throw new AvroEncodingError(`no Avro schema for ${eventType} in ${dir}`);
    return type;
  };

  /** Checked in full first: avsc's writer does not check, and would write a wrong value as bytes. */
  function checkedBuffer(eventType: string, type: avro.types.RecordType, value: Record<string, unknown>): Buffer {
    // Without a hook avsc stops at the first problem; the problems are gathered only for a refusal.
    if (!type.isValid(value)) {
      const problems: string[] = [];
      type.isValid(value, { errorHook: (p: string[], v: unknown) => problems.push(`${p.join('.') || '(record)'}=${describe(v)}`) });
      throw new AvroEncodingError(`${eventType} does not match its Avro schema: ${problems.join(', ')}`);
    }
    return type.toBuffer(value);
  }

  function encodeRecord(eventType: string, record: AvroRecord): Buffer {
    const type = typeOf(eventType);
    // Missing fields with a default take it, so optional fields may be left out of payloads.
    const value: Record<string, unknown> = {};
    for (const field of type.fields) {
      const v = record[field.name];
      value[field.name] = v === undefined ? (field.defaultValue() as unknown) : v;
    }
    return checkedBuffer(eventType, type, value);
  }

  return {
    eventTypes: [...types.keys()],
    has: (eventType) => types.has(eventType),
    schemaName: (eventType) => typeOf(eventType).name!,
    fields: (eventType) => typeOf(eventType).fields.map((f) => ({ name: f.name, typeName: f.type.typeName })),
    encodeRecord,
    encode(eventType, event) {
      const timestamp = Date.parse(event.timestamp);
      if (Number.isNaN(timestamp)) throw new AvroEncodingError(`event ${event.eventId}: timestamp "${event.timestamp}" is not an instant`);
      const payload = (event.payload ?? {}) as AvroRecord;
      // As encodeRecord of { ...payload, eventId, timestamp, tenantId }, without the copy (the outbound's per-event cost).
      const type = typeOf(eventType);
      const value: Record<string, unknown> = {};
      for (const field of type.fields) {
        const name = field.name;
        const v =
          name === 'eventId' ? event.eventId : name === 'timestamp' ? timestamp : name === 'tenantId' ? event.tenantId : Object.hasOwn(payload, name) ? payload[name] : undefined;
        value[name] = v === undefined ? (field.defaultValue() as unknown) : v;
      }
      return checkedBuffer(eventType, type, value);
    },
    decode(eventType, buf, readerSchema) {
      const writer = typeOf(eventType);
      const reader = readerSchema === undefined ? undefined : avroType(readerSchema);
      let value: unknown;
      try {
        value = reader ? reader.fromBuffer(buf, reader.createResolver(writer)) : writer.fromBuffer(buf);
      } catch (err) {
        // avsc reports garbage as whatever its reader tripped on, often a JS TypeError: say what is wrong instead.
        const why = bytesProblem(avro.Type.forSchema(schemas.get(eventType)!, { wrapUnions: 'auto' }), buf) ?? ownMessage(err);
        throw new AvroDecodingError(`value is not a valid Avro encoding of ${writer.name}: ${why}`);
      }
      // avsc returns instances of generated record classes; callers get plain data.
      return structuredClone(value) as AvroRecord;
    },
  };
}

/**
 * Why `buf` is not one record of `raw` (the schema without logical types), found by reading it
 * field by field; undefined when the bytes do hold one record (then a logical type refused a value).
 */
function bytesProblem(raw: avro.Type, buf: Buffer): string | undefined {
  if (!(raw instanceof avro.types.RecordType)) return undefined;
  let pos = 0;
  for (const field of raw.fields) {
    let read: { offset: number };
    try {
      read = field.type.decode(buf, pos);
    } catch {
      return `field ${field.name} (from byte ${pos}) is malformed`;
    }
    if (read.offset < 0) {
      return `its ${buf.length} bytes end inside field ${field.name} (truncated, or not Avro at all)`;
    }
    pos = read.offset;
  }
  return pos < buf.length ? `${buf.length - pos} bytes of trailing data after the record's ${pos}` : undefined;
}

/** Our own errors (the decimal type's) say what is wrong; a JS engine error would not. */
function ownMessage(err: unknown): string {
  if (err instanceof TypeError || err instanceof RangeError || !(err instanceof Error)) return 'a value its schema cannot hold';
  return err.message;
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  const text = JSON.stringify(v);
  return text === undefined ? typeof v : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

let defaultCodec: AvroCodec | undefined;

/** The codec over the project's schemas/ directory, loaded once. */
export function avroCodec(): AvroCodec {
  return (defaultCodec ??= loadAvroCodec());
}

export const encode = (eventType: string, event: StoredEvent): Buffer => avroCodec().encode(eventType, event);
export const decode = (eventType: string, buf: Buffer): AvroRecord => avroCodec().decode(eventType, buf);
