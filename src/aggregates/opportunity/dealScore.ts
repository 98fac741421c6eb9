/**
 * Deal score (seed 004's `deal_score`): how healthy a deal looks, 0–100, from its own recorded
 * facts only, so that the same history always gives the same score and the read model, the
 * command answers and GraphQL agree. A pure function: no clock, no I/O, no other deal. Changing
 * a weight below changes scores: bump DEAL_SCORE_VERSION and the opportunities projection's
 * version (which rebuilds the read model).
 *
 * | fact                                                     | points                      |
 * |----------------------------------------------------------|-----------------------------|
 * | won / lost                                               | 100 / 0 (nothing else counts)|
 * | an open deal with an account and an amount above 0       | 25                          |
 * | win probability                                          | probability / 10, rounded   |
 * | an expected close date                                   | 15                          |
 * | products itemised                                        | 10                          |
 * | it came from a lead                                      | 8                           |
 * | decision criteria known (metadata.decision_criteria)     | 5                           |
 * | a next step recorded                                     | 4                           |
 * | each move of the expected close date to a later day      | −5 (at most −20)            |
 * | each change that lowered the probability                 | −5 (at most −15)            |
 *
 * Seed 004's example: created in discovery at 20 % with a close date, products, a lead and
 * decision criteria: 25 + 2 + 15 + 10 + 8 + 5 = 65; moved to proposal at 50 % with a next
 * step: 25 + 5 + 15 + 10 + 8 + 5 + 4 = 72.
 */
export const DEAL_SCORE_VERSION = 1;

export interface DealFacts {
  readonly status: 'open' | 'won' | 'lost';
  readonly amountPositive: boolean;
  readonly hasAccount: boolean;
  readonly probability: number;
  readonly hasExpectedCloseDate: boolean;
  readonly productCount: number;
  readonly fromLead: boolean;
  readonly decisionCriteriaKnown: boolean;
  readonly hasNextStep: boolean;
  readonly closeDatePushes: number;
  readonly probabilityDrops: number;
}

export function dealScore(f: DealFacts): number {
  if (f.status === 'won') return 100;
  if (f.status === 'lost') return 0;
  const score =
    (f.hasAccount && f.amountPositive ? 25 : 0) +
    Math.round(f.probability / 10) +
    (f.hasExpectedCloseDate ? 15 : 0) +
    (f.productCount > 0 ? 10 : 0) +
    (f.fromLead ? 8 : 0) +
    (f.decisionCriteriaKnown ? 5 : 0) +
    (f.hasNextStep ? 4 : 0) -
    Math.min(20, 5 * f.closeDatePushes) -
    Math.min(15, 5 * f.probabilityDrops);
  return Math.max(0, Math.min(100, score));
}

/** Whether metadata names decision criteria (seed 004's metadata.decision_criteria). */
export function decisionCriteriaKnown(metadata: unknown): boolean {
  if (!metadata || typeof metadata !== 'object') return false;
  const c = (metadata as Record<string, unknown>).decision_criteria ?? (metadata as Record<string, unknown>).decisionCriteria;
  return Array.isArray(c) ? c.length > 0 : typeof c === 'string' && c.trim() !== '';
}

/** A later expected close date than before: a slip. */
export const isPush = (from: string | null, to: string | null | undefined) => from !== null && to !== null && to !== undefined && to > from;
