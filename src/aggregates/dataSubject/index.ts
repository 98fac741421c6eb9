import type { Aggregate } from '../../commands/handler.js';
import type { Decider } from '../decider.js';
import type { DataSubjectEvent, ErasedRecord, ErasureRequestKind } from './events.js';

/** Records the erasure of one data subject, once: erasing again changes nothing. */
export type DataSubjectCommand = {
  type: 'RecordErasure';
  subjectId: string;
  requestedBy: ErasureRequestKind;
  requestedFor: string | null;
  reason: string | null;
  records: readonly ErasedRecord[];
};

export interface DataSubjectState {
  readonly erasedAt: string | null;
}

export const dataSubjectDecider: Decider<DataSubjectCommand, DataSubjectEvent, DataSubjectState> = {
  initialState: { erasedAt: null },
  evolve: (_state, event) => ({ erasedAt: event.data.erasedAt }),
  decide: (command, state, ctx) =>
    state.erasedAt
      ? []
      : [
          {
            type: 'PersonalDataErasedEvent',
            data: {
              subjectId: command.subjectId,
              requestedBy: command.requestedBy,
              requestedFor: command.requestedFor,
              reason: command.reason,
              records: [...command.records],
              erasedAt: ctx.now.toISOString(),
            },
          },
        ],
};

/**
 * One stream per data subject, `dataSubject-<tenant>:<subjectId>`, holding its erasure. The
 * policy's `privacy` resource decides who may erase (admins, compliance).
 */
export const dataSubjectAggregate: Aggregate<DataSubjectCommand, DataSubjectEvent, DataSubjectState> = {
  category: 'dataSubject',
  decider: dataSubjectDecider,
  guard: { resource: 'privacy' },
};

export * from './events.js';
