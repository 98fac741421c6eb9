import { TENANT_ID_PATTERN } from '../../eventstore/streams.js';
import type { AvroRecord } from './avro.js';
import type { IncomingMessage } from './transport.js';

/** The envelope every consumed record must carry; undefined when valid, else why not. */
export function envelopeProblem(record: AvroRecord, msg: IncomingMessage): string | undefined {
  const { eventId, tenantId, timestamp } = record;
  if (typeof eventId !== 'string' || eventId.trim() === '' || eventId.length > 200) return 'eventId is missing or invalid';
  if (typeof tenantId !== 'string' || !TENANT_ID_PATTERN.test(tenantId)) return `tenantId ${JSON.stringify(tenantId)} is missing or invalid`;
  if (typeof timestamp !== 'number' || !Number.isFinite(new Date(timestamp).getTime())) return 'timestamp is not a valid instant';
  if (msg.headers.tenantId !== undefined && msg.headers.tenantId !== tenantId) return 'tenantId header and record disagree';
  return undefined;
}
