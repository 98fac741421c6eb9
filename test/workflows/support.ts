import { type EventStore, START, comparePositions, parsePosition } from '../../src/eventstore/port.js';
import { stageSetOf } from '../../src/commands/load.js';
import type { WorkflowReads } from '../../src/workflows/workflow.js';
import { TABLE, positionOf } from '../../src/subscriptions/checkpoints.js';
import type { TestApp } from '../support/app.js';

/** Polls `check` until it gives a value (bounded generously: the host is shared). */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Resets a running subscription's checkpoint to position 0 (what an operator does to replay it)
 * and waits until it has worked its way back to the log's head as it was at the reset.
 */
export async function restartWorkflowsFromZero(app: TestApp, subscription: string): Promise<true> {
  const health = await app.request('GET', '/health', { auth: false });
  const head = parsePosition(health.body.event_store_head as string)!;
  await app.app.db(TABLE).where({ name: subscription }).update({ position_commit: '0', position_prepare: '0' });
  return eventually(`${subscription} replayed from 0`, async () => {
    const row = (await app.app.db(TABLE).where({ name: subscription }).first()) as { position_commit: string; position_prepare: string };
    return comparePositions(positionOf(row), head) >= 0 ? true : undefined;
  });
}

/** What a workflow may read, where no projection runs: stage sets from the log, no read model ever reached, nothing shared. */
export function noReadModels(store: EventStore): Pick<WorkflowReads, 'stageSetFor' | 'projectionReached' | 'batchRead'> {
  return { stageSetFor: (tenantId) => stageSetOf(store, tenantId), projectionReached: async () => false, batchRead: (_key, load) => load(START) };
}
