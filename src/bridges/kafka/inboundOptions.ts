import type { Knex } from 'knex';
import type { Metrics } from '../../observability/metrics.js';
import type { BackoffOptions } from '../../shared/backoff.js';
import type { Logger } from '../../shared/logger.js';
import type { AvroCodec, AvroRecord } from './avro.js';
import type { InboundHandlers } from './inboundHandler.js';
import type { ConsumedEventType, TopicConfig } from './topics.js';
import type { KafkaTransport } from './transport.js';

/** What the inbound consumer (inbound.ts) runs with. */
export interface InboundOptions {
  readonly db: Knex;
  readonly transport: KafkaTransport;
  readonly log: Logger;
  /** kafka_inbound_messages_total by topic and outcome. */
  readonly metrics?: Metrics;
  readonly handlers: InboundHandlers;
  readonly topics?: TopicConfig;
  readonly codec?: AvroCodec;
  readonly groupId?: string;
  readonly backoff?: BackoffOptions;
  /**
   * Whether a consumed record is one this service published itself (a type we both publish
   * and consume: CustomerProfileUpdatedEvent on crm.customer360.profile.updated). Such a
   * record is skipped: no inbox row, no effect, counted as `own`. See ownEvents.ts.
   */
  readonly isOwnEvent?: (eventType: ConsumedEventType, record: AvroRecord) => Promise<boolean>;
}
