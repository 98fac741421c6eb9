import type { Priority, RelatedEntity } from './related.js';
import type { ActivityType } from './events.js';

export type ActivityCommand =
  | {
      type: 'CreateActivity';
      activityId: string;
      activityType: ActivityType;
      subject: string;
      description?: string;
      relatedTo: RelatedEntity;
      /** Default: the actor. */
      ownerId?: string;
      /** When it is planned for (seed 003 dueDate). */
      dueDate?: string;
      priority?: Priority;
      /** Logging something already done (a call just made): created completed at this instant. */
      completedDate?: string;
    }
  /** null clears an optional field. */
  | {
      type: 'UpdateActivity';
      activityType?: ActivityType;
      subject?: string;
      description?: string | null;
      relatedTo?: RelatedEntity;
      dueDate?: string | null;
      priority?: Priority;
    }
  | { type: 'CompleteActivity'; completedDate?: string; outcome?: string }
  | { type: 'ReopenActivity' }
  | { type: 'CancelActivity'; reason?: string }
  | { type: 'ReassignActivity'; ownerId: string; reason?: string };
