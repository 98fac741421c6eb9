import type { BaseOptions, Consumer, Message, MessageToConsume, MessagesStream } from '@platformatic/kafka';
import { Backoff } from '../../shared/backoff.js';
import { plainError } from './kafkaErrors.js';
import type { Consumption, ConsumeOptions, IncomingMessage } from './transport.js';

/** A consumed value with its headers as the bridge wants them (see consumedValue). */
interface Received {
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The transport's consume() on @platformatic/kafka: one message at a time per partition, its
 * offset committed only after the handler resolves, redelivered in place when it rejects.
 */
export function startConsumption(
  config: { Consumer: typeof Consumer; base: BaseOptions; maxWaitTimeInMs: number },
  groupId: string,
  topics: readonly string[],
  handler: (message: IncomingMessage) => Promise<void>,
  opts: ConsumeOptions = {},
): Consumption {
  const { base } = config;
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
  const consumer = new config.Consumer<Buffer, Received, Buffer, Buffer>({
    ...base,
    groupId,
    autocommit: false,
    maxWaitTime: config.maxWaitTimeInMs,
    // A killed instance's partitions move to the others within 10 s, as its subscriptions do.
    sessionTimeout: 10_000,
    heartbeatInterval: 3_000,
    deserializers: { value: consumedValue },
  });
  consumer.on('error', reportError); // a failed rejoin; unhandled, it would crash the process
  consumer.on('consumer:group:join', () => markReady());

  /**
   * The callback form: the library calls it in the tick it makes the stream, before the
   * stream's construction (the next tick) can fail. A stream made as the consumer closes (stop()
   * during a join) fails there with "Client is closed", an 'error' nobody listened to yet: it
   * ended the process. Errors still reach the loop below, through the stream's iterator.
   */
  const openStream = () =>
    new Promise<MessagesStream<Buffer, Received, Buffer, Buffer>>((resolve, reject) =>
      consumer.consume({ topics: [...topics], mode: 'committed', fallbackMode: (opts.fromBeginning ?? true) ? 'earliest' : 'latest' }, (err, made) => {
        if (err || !made) return reject(err ?? new Error('Kafka consume gave no stream'));
        made.on('error', () => undefined);
        resolve(made);
      }),
    );

  const run = async (): Promise<void> => {
    const backoff = new Backoff({ initialMs: 500, maxMs: 10_000 });
    while (!stop.signal.aborted) {
      try {
        stream = await openStream();
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

  return {
    ready,
    async stop() {
      stop.abort();
      // Ends a wait for the next message; an in-flight handler call still finishes.
      void stream?.close().catch(() => undefined);
      // A join still waiting for the group (other members' sessions) would hold stop() for as long.
      if (!stream) consumer.close(true, () => undefined);
      await running;
    },
  };
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
