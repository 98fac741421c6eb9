import {
  Admin,
  Consumer,
  type MessagesStream,
  Producer,
  type BaseOptions,
  type Message,
  type MessageToConsume,
  compatibilityPartitioner,
  stringSerializer,
} from '@platformatic/kafka';
import type { Logger } from '../../shared/logger.js';
import { Backoff } from '../../shared/backoff.js';
import type { TopicSpec } from './topics.js';
import type { Consumption, ConsumeOptions, IncomingMessage, KafkaTransport, OutgoingMessage, TopicCheck } from './transport.js';

export interface PlatformaticTransportOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  readonly log: Logger;
  /** Replication factor of topics we create; the broker's default.replication.factor when unset. */
  readonly replicationFactor?: number;
  /** Consumer long-poll; small values make stop() quick (a close waits out the in-flight fetch). */
  readonly maxWaitTimeInMs?: number;
  /** How often connected() is re-checked with a metadata request. */
  readonly probeEveryMs?: number;
}

/** A consumed value with its headers as the bridge wants them (see consumedValue). */
interface Received {
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

const CREATE_WAIT_MS = 15_000;

/**
 * @platformatic/kafka behind the bridge's transport interface.
 *
 * Producer: idempotent, which the library pairs with acks=-1 and one request in flight per
 * connection, so a retried request is never overtaken by a later one and is not written twice.
 * Its retries are bounded (the library's idempotent default is "forever"): the bridge wants a
 * failure it can back off from and show in its status, and it owns the long backoff. A failed
 * producer is closed and the next send starts a new one, with a new producer id, so a batch
 * resent from the checkpoint never trips over the old one's sequence numbers.
 * Keys go to partitions as the Java client and kafkajs put them (murmur2 & 0x7fffffff), so
 * keys keep their partition, and their order, across the switch from kafkajs.
 */
export function createPlatformaticTransport(options: PlatformaticTransportOptions): KafkaTransport {
  const clientId = options.clientId ?? 'crm-pipeline';
  const base: BaseOptions = {
    clientId,
    bootstrapBrokers: [...options.brokers],
    connectTimeout: 3_000,
    timeout: 30_000,
    retries: 5,
    retryDelay: 300,
  };

  let producer: Producer<Buffer, Buffer, string, string> | undefined;
  const consumptions = new Set<Consumption>();
  let closed = false;
  const probe = connectionProbe(base, options.probeEveryMs ?? 1_000, options.log);

  function getProducer(): Producer<Buffer, Buffer, string, string> {
    producer ??= new Producer<Buffer, Buffer, string, string>({
      ...base,
      idempotent: true,
      retries: 5, // kept: the library turns an idempotent producer's retries <= 1 into "forever"
      partitioner: compatibilityPartitioner,
      autocreateTopics: false,
      serializers: { headerKey: stringSerializer, headerValue: stringSerializer },
    });
    return producer;
  }

  async function ensureTopics(specs: readonly TopicSpec[]): Promise<TopicCheck[]> {
    const admin = new Admin({ ...base, retries: 3 });
    try {
      const existing = new Set(await admin.listTopics());
      const created = new Set<string>();
      // One request per topic: the API takes one partition count per call.
      for (const s of specs.filter((x) => !existing.has(x.topic))) {
        try {
          await admin.createTopics({ topics: [s.topic], partitions: s.partitions, replicas: options.replicationFactor ?? -1 });
          created.add(s.topic);
        } catch (err) {
          // Another instance created it first: then it is checked like any existing one.
          if (!hasKafkaError(err, 'TOPIC_ALREADY_EXISTS')) throw err;
        }
      }
      const names = specs.map((s) => s.topic);
      // A new topic's partitions need leaders before the first produce can succeed.
      const deadline = Date.now() + CREATE_WAIT_MS;
      for (;;) {
        const metadata = await admin.metadata({ topics: names, forceUpdate: true });
        const ready = [...created].every((t) => metadata.topics.get(t)?.partitions.every((p) => p.leader >= 0));
        if (ready || Date.now() > deadline) {
          return specs.map((s): TopicCheck => {
            const partitions = metadata.topics.get(s.topic)?.partitionsCount ?? 0;
            if (partitions !== s.partitions) {
              return { topic: s.topic, status: 'partition-mismatch', expected: s.partitions, actual: partitions };
            }
            return { topic: s.topic, status: created.has(s.topic) ? 'created' : 'ok', partitions };
          });
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    } catch (err) {
      throw plainError(err);
    } finally {
      await admin.close().catch(() => undefined);
    }
  }

  async function send(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    if (closed) throw new Error('Kafka transport is closed');
    const p = getProducer();
    try {
      // One call: messages of one partition go in one batch, in array order.
      await p.send({
        messages: messages.map((m) => ({
          topic: m.topic,
          ...(m.key === null ? {} : { key: Buffer.from(m.key) }),
          value: m.value,
          headers: { ...m.headers },
        })),
      });
    } catch (err) {
      if (producer === p) producer = undefined;
      await p.close().catch(() => undefined);
      throw plainError(err);
    }
  }

  function consume(
    groupId: string,
    topics: readonly string[],
    handler: (message: IncomingMessage) => Promise<void>,
    opts: ConsumeOptions = {},
  ): Consumption {
    const stop = new AbortController();
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const reportError = (err: unknown) => opts.onError?.(plainError(err));
    let stream: MessagesStream<Buffer, Received, Buffer, Buffer> | undefined;

    /** Calls the handler until it resolves (true) or the consumption stops (false). */
    async function deliver(message: Message<Buffer, Received, Buffer, Buffer>): Promise<boolean> {
      const incoming: IncomingMessage = {
        topic: message.topic,
        partition: message.partition,
        offset: message.offset.toString(),
        key: message.key ?? null,
        value: message.value.value,
        headers: message.value.headers,
        timestamp: message.timestamp.toString(),
      };
      const backoff = new Backoff({ initialMs: 500, maxMs: 10_000 });
      for (;;) {
        try {
          await handler(incoming);
          return true;
        } catch (err) {
          // Delivered again in place: the next message of the partition must wait for this one.
          if (stop.signal.aborted) return false;
          reportError(err);
          await backoff.wait(stop.signal);
          if (stop.signal.aborted) return false;
        }
      }
    }

    // One consumer for the whole consumption: after a failed fetch, commit or join ends the
    // stream, a new stream resumes from the committed offsets after a backoff. Keeping the
    // consumer keeps its member id, so after a broker restart it rejoins at once instead of
    // waiting for its old membership's session to expire.
    const consumer = new Consumer<Buffer, Received, Buffer, Buffer>({
      ...base,
      groupId,
      autocommit: false,
      maxWaitTime: options.maxWaitTimeInMs ?? 500,
      // A killed instance's partitions move to the others within 10 s, as its subscriptions do.
      sessionTimeout: 10_000,
      heartbeatInterval: 3_000,
      deserializers: { value: consumedValue },
    });
    consumer.on('error', reportError); // a failed rejoin; unhandled, it would crash the process
    consumer.on('consumer:group:join', () => markReady());

    const run = async (): Promise<void> => {
      const backoff = new Backoff({ initialMs: 500, maxMs: 10_000 });
      while (!stop.signal.aborted) {
        try {
          stream = await consumer.consume({
            topics: [...topics],
            mode: 'committed',
            fallbackMode: (opts.fromBeginning ?? true) ? 'earliest' : 'latest',
          });
          if (stop.signal.aborted) break;
          for await (const message of stream as AsyncIterable<Message<Buffer, Received, Buffer, Buffer>>) {
            if (!(await deliver(message))) break;
            await message.commit(); // offset + 1, for this partition only
            backoff.reset();
            if (stop.signal.aborted) break;
          }
        } catch (err) {
          if (!stop.signal.aborted) reportError(err);
        } finally {
          await stream?.close().catch(() => undefined);
          stream = undefined;
        }
        if (!stop.signal.aborted) await backoff.wait(stop.signal);
      }
      // Forced: leaves the group even if a stream is still open. The callback form, because the
      // typings give close(boolean) the callback overload.
      await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
    };
    const running = run();

    const consumption: Consumption = {
      ready,
      async stop() {
        stop.abort();
        // Ends a wait for the next message; an in-flight handler call still finishes.
        void stream?.close().catch(() => undefined);
        // A join still waiting for the group (other members' sessions) would hold stop() for as long.
        if (!stream) consumer.close(true, () => undefined);
        await running;
        consumptions.delete(consumption);
      },
    };
    consumptions.add(consumption);
    return consumption;
  }

  async function close(): Promise<void> {
    closed = true;
    await Promise.all([...consumptions].map((c) => c.stop()));
    await probe.close();
    const p = producer;
    producer = undefined;
    if (p) await p.close().catch(() => undefined);
  }

  return { ensureTopics, send, consume, connected: probe.connected, close };
}

/**
 * The value with the record's headers, first value winning when a header repeats (the
 * library's header Map keeps the last): only the value deserializer sees the raw record.
 */
function consumedValue(data?: Buffer, _headers?: Map<Buffer, Buffer>, record?: MessageToConsume): Received {
  const headers: Record<string, string> = {};
  for (const [name, value] of record?.headers ?? []) {
    if (name === null || value === null) continue;
    const key = name.toString();
    if (!(key in headers)) headers[key] = value.toString();
  }
  return { value: data ?? null, headers };
}

/**
 * Whether a broker answers, for /health: a metadata request every `everyMs` (2 s timeout, no
 * retries), and false at once when the probe's connection drops (a stopped broker closes it),
 * so an outage shows within about a second rather than when a send finally gives up.
 */
function connectionProbe(base: BaseOptions, everyMs: number, log: Logger): { connected(): boolean; close(): Promise<void> } {
  const admin = new Admin({ ...base, clientId: `${base.clientId}-probe`, retries: 0, timeout: 2_000, connectTimeout: 2_000 });
  let connected = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const set = (now: boolean, why: string) => {
    if (now !== connected) log.debug(`kafka connection probe: ${now ? 'a broker answers' : 'no broker answers'}`, { why });
    connected = now;
  };
  admin.on('client:broker:disconnect', () => set(false, 'connection closed'));
  admin.on('client:broker:failed', () => set(false, 'connection failed'));
  const tick = async (): Promise<void> => {
    try {
      await admin.metadata({ topics: [], forceUpdate: true });
      set(true, 'metadata');
    } catch (err) {
      set(false, err instanceof Error ? err.message : String(err));
    }
    if (!stopped) {
      timer = setTimeout(() => void tick(), everyMs);
      timer.unref(); // the probe alone must not keep a process alive
    }
  };
  const first = tick();
  return {
    connected: () => connected,
    async close() {
      stopped = true;
      clearTimeout(timer);
      await first.catch(() => undefined);
      clearTimeout(timer);
      await admin.close().catch(() => undefined);
    },
  };
}

/** The library nests the cause of a failure (often several levels deep): one readable line, cause kept. */
function plainError(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(String(err));
  const parts: string[] = [];
  const walk = (e: unknown, depth: number) => {
    if (!(e instanceof Error) || depth > 4) return;
    const text = e.message.replace(/\.$/, '');
    if (text && !parts.includes(text)) parts.push(text);
    if (e instanceof AggregateError) for (const inner of e.errors.slice(0, 3)) walk(inner, depth + 1);
    walk(e.cause, depth + 1);
  };
  walk(err, 0);
  return new Error(parts.join(': ').slice(0, 1_000), { cause: err });
}

function hasKafkaError(err: unknown, apiId: string): boolean {
  const seen = (e: unknown, depth: number): boolean => {
    if (!(e instanceof Error) || depth > 4) return false;
    if ((e as { apiId?: unknown }).apiId === apiId) return true;
    if (e instanceof AggregateError && e.errors.some((inner) => seen(inner, depth + 1))) return true;
    return seen(e.cause, depth + 1);
  };
  return seen(err, 0);
}
