import type { Request, Response } from 'express';
import { parsePosition } from '../eventstore/port.js';
import type { ProjectionRunner } from '../projections/runner.js';
import { DomainError, validation } from '../shared/errors.js';

/**
 * Read-your-writes: a command's response carries the position it wrote; a query may pass it
 * back (?min_position= or X-Min-Position) and waits, within a bound, until its read model has
 * processed that far. If it does not get there in time the query fails with 503 rather than
 * answer from a model that does not yet hold the client's own write.
 */
export async function awaitReadModel(
  req: Request,
  res: Response,
  runner: ProjectionRunner,
  projection: string,
  maxWaitMs: number,
): Promise<void> {
  const raw = (typeof req.query.min_position === 'string' ? req.query.min_position : undefined) ?? req.get('x-min-position');
  if (raw === undefined) return;
  const position = parsePosition(raw);
  if (!position) throw validation('min_position must be a position as returned by a command, e.g. "812/4051"', { field: 'min_position' });
  const outcome = await runner.waitFor(projection, position, maxWaitMs);
  if (outcome === 'beyond-head') {
    throw validation('min_position is beyond the end of the log: pass the position a command answered with', {
      field: 'min_position',
      min_position: raw,
    });
  }
  if (outcome === 'timeout') {
    res.setHeader('Retry-After', '1');
    throw new DomainError('SERVICE_UNAVAILABLE', `The ${projection} read model has not reached position ${raw} yet`, {
      min_position: raw,
      waited_ms: maxWaitMs,
    });
  }
}

/** Read-your-writes for an endpoint: waits for each projection named (see awaitReadModel). */
export async function readYourWrites(
  call: { req: Request; res: Response; deps: { runner: ProjectionRunner; maxConsistencyWaitMs: number } },
  ...projections: string[]
): Promise<void> {
  for (const p of projections) await awaitReadModel(call.req, call.res, call.deps.runner, p, call.deps.maxConsistencyWaitMs);
}
