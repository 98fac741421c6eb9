import { comparePositions, parsePosition } from '../../src/eventstore/port.js';
import { TABLE, positionOf } from '../../src/subscriptions/checkpoints.js';
import type { TestApp } from './app.js';

/**
 * Until every workflow has handled the whole log as it is now: they work in the background on the
 * app's own database connections, so a test that measures those (statement counts) waits first.
 */
export async function workflowsSettled(app: TestApp, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  const head = async () => (await app.request('GET', '/health', { auth: false })).body.event_store_head as string;
  // Their own commands move the head again: settled once a pass ends where it began.
  for (let from = await head(); ; ) {
    const at = parsePosition(from)!;
    for (;;) {
      const rows = (await app.app.db(TABLE).whereLike('name', 'workflow:%')) as { position_commit: string; position_prepare: string }[];
      if (rows.length > 0 && rows.every((r) => comparePositions(positionOf(r), at) >= 0)) break;
      if (Date.now() > deadline) throw new Error('timed out waiting for the workflows to reach the head of the log');
      await new Promise((r) => setTimeout(r, 50));
    }
    const now = await head();
    if (now === from) return;
    from = now;
  }
}
