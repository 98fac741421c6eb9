import type { TopicCheck } from './transport.js';

/** The inbound consumer as /health shows it. */
export interface InboundStatus {
  readonly running: boolean;
  /** A broker answers (the transport's probe). */
  readonly connected: boolean;
  readonly consuming: boolean;
  readonly topics: readonly string[];
  readonly applied: number;
  readonly duplicates: number;
  readonly deadLettered: number;
  /** Our own published events read back from a topic we also consume, and skipped. */
  readonly ownSkipped: number;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  readonly topicChecks: readonly TopicCheck[];
}
