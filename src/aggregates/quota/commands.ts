import type { Amount } from '../../shared/money.js';

/** Commands carry values parsed at the edge (Amount, period codes); the rules live in decide. */
export type QuotaCommand =
  /**
   * Sets the quota of a target (one user, or one territory, never both) and period: the first
   * time it is created, afterwards updated.
   */
  | { type: 'SetQuota'; quotaId: string; ownerId?: string; territoryId?: string; period: string; amount: Amount; currency: string }
  /** Changes an existing quota's amount and/or currency. */
  | { type: 'UpdateQuota'; amount?: Amount; currency?: string }
  /**
   * What was won in the quota's measure, computed outside (the read models) by the attainment
   * workflow: records the attainment once the won amount reaches the quota.
   */
  | { type: 'RecordQuotaAttainment'; wonAmount: Amount; currency: string };
