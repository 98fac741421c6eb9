import { Router } from 'express';
import { z } from 'zod';
import {
  type PipelineStageEvent,
  type PipelineStageState,
  STAGE_SET_AGGREGATE_ID,
  pipelineStageAggregate,
  pipelineStageDecider,
} from '../../aggregates/pipelineStage/index.js';
import { loadStageSet, stageStreamOf } from '../../aggregates/pipelineStage/loadStageSet.js';
import { type StoredEvent, fromRecorded, toDomainEvent } from '../../eventstore/envelope.js';
import { accessOf, can } from '../auth.js';
import { historyEntry } from '../history.js';
import { type CommandRouteDeps, etagOf, runCommand } from '../commandRoute.js';
import { integer, text } from '../fields.js';
import type { ApiRoute } from '../openapi.js';
import { stageSetBody, stageHistoryBody, stageSetResult, stageSetViewBody } from '../responses/admin.js';

/**
 * A tenant's pipeline stage configuration (seed 002: "pipeline stage configuration and
 * rules"): the stages with their default probabilities, the allowed transitions and the
 * accepted aliases. Reads come from the stream itself (a few events), so they are strongly
 * consistent; writes go through the PipelineStage aggregate like any other command.
 */
export type StageRouteDeps = CommandRouteDeps;

const stageCode = z.string().trim().min(1).max(64);
// Map keys are stage codes or aliases too; the decider normalises and checks them.
const stageKey = z.string().min(1).max(64);
const stageKind = z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(['open', 'won', 'lost']));

export const stageInput = z.strictObject({
  code: stageCode,
  name: text(100),
  order: integer(0, 1_000_000).optional(),
  probability: integer(0, 100),
  kind: stageKind,
});

export const configureStagesBody = z.strictObject({
  stages: z.array(stageInput).min(1).max(50),
  /** By from-stage; an open stage not listed may move to any other stage. */
  transitions: z.record(stageKey, z.array(stageCode).max(50)).optional(),
  /** alias → stage code, e.g. {"DISCOVERY": "PROSPECTING"}. */
  aliases: z.record(stageKey, stageCode).optional(),
});

export const updateStageBody = z
  .strictObject({
    name: text(100).optional(),
    probability: integer(0, 100).optional(),
  })
  .refine((b) => b.name !== undefined || b.probability !== undefined, { message: 'nothing to update: give name or probability' });

/**
 * The set in the API's shape; `stages`, `transitions` and `aliases` are exactly what PUT
 * takes, so a client can GET, edit and PUT back. Transitions are listed in stage order.
 */
export function stageSetDto(state: PipelineStageState): z.input<typeof stageSetBody> {
  const { set } = state;
  return {
    configured: state.configured,
    stages: set.stages.map((s) => ({ code: s.code, name: s.name, order: s.order, probability: s.probability, kind: s.kind })),
    transitions: Object.fromEntries(set.stages.map((s) => [s.code, [...(set.transitions[s.code] ?? [])]])),
    aliases: Object.fromEntries(Object.entries(set.aliases).sort(([a], [b]) => a.localeCompare(b))),
  };
}

/** An event's payload in the API's shape (explicit: map keys are stage codes, not field names). */
function changesOf(e: StoredEvent<PipelineStageEvent>) {
  const d = e.payload;
  if (e.eventType === 'PipelineStagesConfiguredEvent' && 'stages' in d) {
    return stageSetDto({ configured: true, set: d });
  }
  if ('stageCode' in d) {
    return {
      stage_code: d.stageCode,
      changed_fields: d.changedFields,
      ...(d.name !== undefined ? { name: d.name } : {}),
      ...(d.probability !== undefined ? { probability: d.probability } : {}),
    };
  }
  return {};
}

export function stageRoutes(deps: StageRouteDeps): Router {
  const r = Router();

  r.get('/', can('stages', 'read'), async (_req, res) => {
    const { tenantId } = accessOf(res);
    const loaded = await loadStageSet(deps.store, tenantId);
    res.setHeader('ETag', etagOf(loaded.revision));
    res.json({
      ...stageSetDto(loaded.state),
      revision: loaded.revision.toString(),
      updated_at: loaded.last?.timestamp ?? null,
      updated_by: loaded.last?.metadata.userId ?? null,
    });
  });

  r.put('/', can('stages', 'write'), async (req, res) => {
    const b = configureStagesBody.parse(req.body ?? {});
    await runCommand(deps, req, res, {
      aggregate: pipelineStageAggregate,
      aggregateId: STAGE_SET_AGGREGATE_ID,
      status: 200,
      command: {
        type: 'ConfigureStages',
        stages: b.stages.map((s) => ({
          code: s.code,
          name: s.name,
          probability: s.probability,
          kind: s.kind,
          ...(s.order !== undefined ? { order: s.order } : {}),
        })),
        ...(b.transitions ? { transitions: b.transitions } : {}),
        ...(b.aliases ? { aliases: b.aliases } : {}),
      },
      render: (result) => stageSetDto(result.state),
    });
  });

  // The audit trail: every change with its actor, and the set in force from that revision on.
  r.get('/history', can('stages', 'read'), async (_req, res) => {
    const { tenantId } = accessOf(res);
    const events = (await deps.store.readStream(stageStreamOf(tenantId))).map((e) => fromRecorded<PipelineStageEvent>(e));
    let state = pipelineStageDecider.initialState;
    const data = events.map((e) => {
      state = pipelineStageDecider.evolve(state, toDomainEvent(e));
      return { ...historyEntry(e, { stage_set: stageSetDto(state) }), changes: changesOf(e) };
    });
    res.setHeader('ETag', etagOf(events.at(-1)?.revision ?? -1n));
    res.json({ data });
  });

  r.patch('/:code', can('stages', 'write'), async (req, res) => {
    const b = updateStageBody.parse(req.body ?? {});
    await runCommand(deps, req, res, {
      aggregate: pipelineStageAggregate,
      aggregateId: STAGE_SET_AGGREGATE_ID,
      status: 200,
      command: {
        type: 'UpdateStage',
        stage: String(req.params.code),
        ...(b.name !== undefined ? { name: b.name } : {}),
        ...(b.probability !== undefined ? { probability: b.probability } : {}),
      },
      render: (result) => stageSetDto(result.state),
    });
  });

  return r;
}

export const stageApi: readonly ApiRoute[] = [
  { method: 'get', path: '/api/v1/pipeline/stages', summary: "The tenant's stage set with transitions and aliases (defaults until configured; ETag -1)", success: 200, response: stageSetViewBody, access: ['stages', 'read'] },
  { method: 'put', path: '/api/v1/pipeline/stages', summary: 'Replace the stage set (admin)', body: configureStagesBody, success: 200, response: stageSetResult, access: ['stages', 'write'], ifMatch: true },
  { method: 'patch', path: '/api/v1/pipeline/stages/{code}', summary: "One stage's name or default probability (admin)", body: updateStageBody, success: 200, response: stageSetResult, access: ['stages', 'write'], ifMatch: true },
  { method: 'get', path: '/api/v1/pipeline/stages/history', summary: 'Audit trail of the stage configuration, from its stream', success: 200, response: stageHistoryBody, access: ['stages', 'read'] },
];
