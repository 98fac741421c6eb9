import type { AppContext } from '../commands/context.js';
import type { ProjectionRunner } from '../projections/runner.js';

/** What the REST endpoints work with: the use cases' context, and the projections to wait for. */
export interface ApiDeps extends AppContext {
  readonly runner: ProjectionRunner;
  readonly maxConsistencyWaitMs: number;
}
