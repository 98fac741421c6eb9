import type { Priority, RelatedEntity } from '../activity/related.js';
import type { TaskType } from './events.js';

export type TaskCommand =
  | {
      type: 'CreateTask';
      taskId: string;
      title: string;
      description?: string;
      /** Default: the actor. */
      assigneeId?: string;
      relatedTo?: RelatedEntity;
      dueDate: string;
      priority?: Priority;
      taskType?: TaskType;
    }
  /** null clears an optional field. */
  | {
      type: 'UpdateTask';
      title?: string;
      description?: string | null;
      relatedTo?: RelatedEntity | null;
      dueDate?: string;
      priority?: Priority;
      taskType?: TaskType;
    }
  | { type: 'CompleteTask'; note?: string }
  | { type: 'ReopenTask'; reason?: string }
  | { type: 'CancelTask'; reason?: string }
  | { type: 'ReassignTask'; assigneeId: string; reason?: string };
