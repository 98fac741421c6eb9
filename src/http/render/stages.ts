import type { z } from 'zod';
import type { PipelineStageEvent, PipelineStageState } from '../../aggregates/pipelineStage/index.js';
import type { StoredEvent } from '../../eventstore/envelope.js';
import type { stageSetBody } from '../responses/admin.js';

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
export function stageChangesOf(e: StoredEvent<PipelineStageEvent>) {
  const d = e.payload;
  if (e.eventType === 'PipelineStagesConfiguredEvent' && 'stages' in d) return stageSetDto({ configured: true, set: d });
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
