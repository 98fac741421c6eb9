import type { TopicSpec } from './topics.js';

/**
 * The bridge's own view of Kafka (DESIGN §9): the outbound and inbound logic depend on this
 * and nothing else, so the client library can be swapped by writing one more implementation
 * of it. platformatic.ts (@platformatic/kafka) is the current one; kafkajs, unmaintained, was
 * the first.
 */
export type Headers = Readonly<Record<string, string>>;

export interface OutgoingMessage {
  readonly topic: string;
  /** Partitioning key; messages with one key keep their order. */
  readonly key: string | null;
  readonly value: Buffer;
  readonly headers: Headers;
}

export interface IncomingMessage {
  readonly topic: string;
  readonly partition: number;
  /** Decimal string: offsets are int64. */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Header values as UTF-8 text; the first value when a header repeats. */
  readonly headers: Headers;
  /** Broker or producer timestamp, epoch millis as a string. */
  readonly timestamp: string;
}

export type TopicCheck =
  | { readonly topic: string; readonly status: 'created'; readonly partitions: number }
  | { readonly topic: string; readonly status: 'ok'; readonly partitions: number }
  /** Exists with another partition count: reported, never altered (that would reshuffle keys). */
  | { readonly topic: string; readonly status: 'partition-mismatch'; readonly expected: number; readonly actual: number };

export interface ConsumeOptions {
  /** Where a group without committed offsets starts. Defaults to the beginning. */
  readonly fromBeginning?: boolean;
  /** Told about failures the consumer recovers from by itself (reconnects, rebalances). */
  readonly onError?: (err: Error) => void;
}

export interface Consumption {
  /** Resolves once the group has been joined and partitions assigned (first time only). */
  readonly ready: Promise<void>;
  /** Leaves the group; an in-flight handler call is allowed to finish, its offset is not committed if it failed. */
  stop(): Promise<void>;
}

export interface KafkaTransport {
  /** Creates missing topics with their partition count; reports existing ones as they are. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<TopicCheck[]>;
  /**
   * Resolves once every message is acknowledged by all in-sync replicas (acks=-1). Messages of
   * one topic and key are written in array order. On rejection any subset may have been written.
   */
  send(messages: readonly OutgoingMessage[]): Promise<void>;
  /**
   * Consumes `topics` as group `groupId`, one message at a time per partition. A message's offset
   * is committed only after `handler` resolves; if it rejects, the message is delivered again.
   */
  consume(
    groupId: string,
    topics: readonly string[],
    handler: (message: IncomingMessage) => Promise<void>,
    options?: ConsumeOptions,
  ): Consumption;
  /**
   * Whether a broker answered within the last few seconds: cheap (no request per call), for
   * health output. False within seconds of the brokers going away, true again once one answers.
   */
  connected(): boolean;
  close(): Promise<void>;
}
