import type * as Platformatic from '@platformatic/kafka';

/**
 * @platformatic/kafka's exports, loaded when a bridge is made and handed to its transport: a
 * service without KAFKA_BROKERS never loads the library, some 8 MB of heap that every full
 * collection would mark (issue 14). Only the library loads late, never a module of ours: a
 * dynamic import of our own modules gave the test runner (tsx) a second copy of them, whose
 * error classes then failed `instanceof`.
 */
export type KafkaClient = typeof Platformatic;

export const loadKafkaClient = (): Promise<KafkaClient> => import('@platformatic/kafka');
