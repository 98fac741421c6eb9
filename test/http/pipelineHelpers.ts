import BigNumber from 'bignumber.js';
import { expect } from 'chai';
import type { TestApp } from '../support/app.js';
import { BASE, createOpportunity } from './opportunityHelpers.js';

/**
 * Shared by the pipeline and forecast HTTP suites (not a test file itself): opportunities made
 * through the API, and the pipeline computed independently of the SQL, in code, from them.
 */

export const PIPELINE = `${BASE}/pipeline`;

/** Seed 003's default probabilities of the open stages, in stage order. */
export const OPEN_STAGES: readonly [string, number][] = [
  ['PROSPECTING', 10],
  ['QUALIFICATION', 25],
  ['PROPOSAL', 50],
  ['NEGOTIATION', 75],
];

export interface Deal {
  readonly id: string;
  readonly stage: string;
  readonly amount: string;
  readonly close?: string;
  readonly owner?: string;
  readonly territory?: string;
  readonly probability?: number;
  readonly currency?: string;
  /** Closed after creation (won / lost): no longer in the pipeline. */
  readonly outcome?: 'won' | 'lost';
}

/** Creates each deal (and closes it when it has an outcome); returns the last position written. */
export async function createDeals(app: TestApp, deals: readonly Deal[], identity?: { tenantId?: string; userId?: string }): Promise<string> {
  let position = '';
  for (const d of deals) {
    const created = await createOpportunity(
      app,
      {
        id: d.id,
        stage: d.stage,
        amount: d.amount,
        currency: d.currency ?? 'USD',
        ...(d.close ? { expected_close_date: d.close } : {}),
        ...(d.owner ? { owner_id: d.owner } : {}),
        ...(d.territory ? { territory_id: d.territory } : {}),
        ...(d.probability !== undefined ? { probability: d.probability } : {}),
      },
      identity ? { identity } : {},
    );
    position = created.position;
    if (d.outcome) {
      const closed = await app.request('POST', `${BASE}/${d.id}/close`, {
        body: { outcome: d.outcome, ...(d.outcome === 'lost' ? { reason: 'PRICE' } : {}) },
        ...(identity ? { identity } : {}),
      });
      expect(closed.status, JSON.stringify(closed.body)).to.equal(200);
      position = closed.body.position;
    }
  }
  return position;
}

const stageCode = (s: string) => (s.trim().toUpperCase().replace(/[\s-]+/g, '_') === 'DISCOVERY' ? 'PROSPECTING' : s.trim().toUpperCase().replace(/[\s-]+/g, '_'));

/** amount × probability / 100, rounded half up to cents, per opportunity. */
export const weighted = (amount: string, probability: number) =>
  new BigNumber(amount).times(probability).div(100).decimalPlaces(2, BigNumber.ROUND_HALF_UP);

export interface Expected {
  summary: { total_count: number; total_amount: string; weighted_amount: string };
  by_stage: { stage: string; count: number; total_amount: string; probability: number; weighted_amount: string }[];
}

/** The pipeline of `deals` over [from, until) as the API should report it, computed in code. */
export function expectedPipeline(
  deals: readonly Deal[],
  scope: { from: string; until: string; owner?: string; territory?: string; currency?: string; defaultOwner?: string },
): Expected {
  const selected = deals.filter(
    (d) =>
      !d.outcome &&
      d.close !== undefined &&
      d.close >= scope.from &&
      d.close < scope.until &&
      (d.currency ?? 'USD') === (scope.currency ?? 'USD') &&
      (scope.owner === undefined || (d.owner ?? scope.defaultOwner ?? 'user-200') === scope.owner) &&
      (scope.territory === undefined || d.territory === scope.territory),
  );
  const byStage = OPEN_STAGES.map(([stage, probability]) => {
    const inStage = selected.filter((d) => stageCode(d.stage) === stage);
    const total = inStage.reduce((a, d) => a.plus(d.amount), new BigNumber(0));
    const w = inStage.reduce((a, d) => a.plus(weighted(d.amount, d.probability ?? probability)), new BigNumber(0));
    return { stage, count: inStage.length, total_amount: total.toFixed(2), probability, weighted_amount: w.toFixed(2) };
  });
  return {
    summary: {
      total_count: byStage.reduce((n, s) => n + s.count, 0),
      total_amount: byStage.reduce((a, s) => a.plus(s.total_amount), new BigNumber(0)).toFixed(2),
      weighted_amount: byStage.reduce((a, s) => a.plus(s.weighted_amount), new BigNumber(0)).toFixed(2),
    },
    by_stage: byStage,
  };
}
