import { randomUUID } from 'node:crypto';
import { systemAccess } from '../access/access.js';
import type { CommandResult, ExecuteCommand } from '../commands/handler.js';
import { tenantsWithCustomers } from '../projections/segmentFactsQueries.js';
import { DomainError } from '../shared/errors.js';
import { errorText } from '../shared/incident.js';
import type { Logger } from '../shared/logger.js';
import type { Lease, Leases } from '../subscriptions/leases.js';
import { nap } from '../subscriptions/nap.js';
import { SEGMENTATION, segmentCommands } from './segmentation.js';
import { type WorkflowReads, workflowActor } from './workflow.js';

/**
 * The periodic re-evaluation of every customer's segments: time alone makes "no activity for N
 * days" or a passed expected close date true, and no event says so. It runs on one instance at a
 * time (the lease `workflow:segmentation-schedule`), once on taking the lease (which also covers
 * customers older than the workflow) and then every SEGMENT_EVALUATION_INTERVAL_MS. Only changed
 * customers get a command, recorded as the segmentation workflow's actor; a run repeated by
 * another instance after a takeover finds nothing left to change.
 */
export const SCHEDULE_LEASE = `workflow:${SEGMENTATION}-schedule`;

export interface ScheduleDeps extends Pick<WorkflowReads, 'store' | 'db'> {
  readonly execute: ExecuteCommand;
  readonly log: Logger;
}

/** One run over every tenant at `now`; returns how many profiles changed. `lease`: stop once it is lost. */
export async function reevaluateSegments(deps: ScheduleDeps, now: Date, lease?: Lease): Promise<number> {
  const correlationId = randomUUID();
  let changed = 0;
  for (const tenantId of await tenantsWithCustomers(deps.db)) {
    for (const c of await segmentCommands(deps, tenantId, 'all', now, { skipKnown: true })) {
      if (lease && !lease.valid()) return changed;
      const envelope = { access: systemAccess(tenantId, workflowActor(SEGMENTATION)), aggregateId: c.aggregateId, correlationId, causationId: null };
      try {
        const result = (await c.run(deps.execute, envelope)) as CommandResult<unknown>;
        if (result.events.length > 0) changed++;
      } catch (err) {
        // Merged away since its facts were read: it holds no segments of its own any more.
        if (!(err instanceof DomainError) || (err.code !== 'CONFLICT' && err.code !== 'NOT_FOUND')) throw err;
      }
    }
  }
  return changed;
}

export interface SegmentSchedule {
  stop(): Promise<void>;
}

export function startSegmentSchedule(deps: ScheduleDeps & { readonly leases?: Leases; readonly intervalMs: number }): SegmentSchedule {
  const stopping = new AbortController();
  const pauses = nap();
  stopping.signal.addEventListener('abort', () => pauses.wake());

  async function runWhileHeld(lease: Lease | undefined): Promise<void> {
    const lost = () => pauses.wake();
    lease?.lost.addEventListener('abort', lost, { once: true });
    while (!stopping.signal.aborted && (!lease || lease.valid())) {
      try {
        const changed = await reevaluateSegments(deps, new Date(), lease);
        deps.log.info('segments re-evaluated', { changed });
      } catch (err) {
        deps.log.error('segment re-evaluation failed; next run at the next interval', { error: errorText(err) });
      }
      await pauses.pause(deps.intervalMs);
    }
    lease?.lost.removeEventListener('abort', lost);
  }

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      const lease = deps.leases ? await deps.leases.acquire(SCHEDULE_LEASE, stopping.signal) : undefined;
      if (stopping.signal.aborted) break;
      await runWhileHeld(lease);
      if (!deps.leases) break;
    }
  })();

  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
