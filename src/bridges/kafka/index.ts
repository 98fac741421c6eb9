/** The Kafka bridge's public surface, for whoever wires it (src/app.ts). */
export { avroCodec, loadAvroCodec, type AvroCodec, type AvroField, type AvroRecord } from './avro.js';
export { createPlatformaticTransport, type PlatformaticTransportOptions } from './platformatic.js';
export { createKafkaOutbound, type KafkaOutbound, type OutboundOptions, type OutboundStatus } from './outbound.js';
export { CONSUMER_GROUP, createKafkaInbound, type KafkaInbound } from './inbound.js';
export { RejectedMessageError, type InboundContext, type InboundHandler, type InboundHandlers } from './inboundHandler.js';
export type { InboundStatus } from './inboundStatus.js';
export { createInboundHandlers, type InboundHandlerDeps } from './inboundHandlers.js';
export { postgresLagCounter, storeLagCounter, type LagCounter } from '../../subscriptions/lag.js';
export type * from './records.js';
export * from './topics.js';
export type * from './transport.js';
export { loadKafkaClient, type KafkaClient } from './kafkaClient.js';
export { createKafkaBridge, parseBrokers, type KafkaBridge, type KafkaBridgeOptions } from './bridge.js';
