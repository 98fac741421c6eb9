import type { IncomingMessage, OutgoingMessage } from './transport.js';

/** Why a message went to the dead-letter topic (its `error-type` header). */
export type DeadLetterReason = 'decode-error' | 'unknown-event-type' | 'invalid-envelope' | 'rejected';

/** The dead letter of `msg`: its key, bytes and headers, plus the reason and where it came from. */
export function deadLetterMessage(msg: IncomingMessage, dlqTopic: string, reason: DeadLetterReason, error: string): OutgoingMessage {
  return {
    topic: dlqTopic,
    key: msg.key?.toString() ?? null,
    value: msg.value ?? Buffer.alloc(0),
    headers: {
      ...msg.headers,
      'error-message': error.slice(0, 2_000),
      'error-type': reason,
      'original-topic': msg.topic,
      'original-partition': String(msg.partition),
      'original-offset': msg.offset,
    },
  };
}
