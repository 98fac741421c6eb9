import type { RelatedEntity } from '../aggregates/activity/related.js';
import { uuidV5 } from '../shared/uuid.js';
import { latestDealOwner } from '../projections/customerDealOwner.js';
import { DomainError, validation } from '../shared/errors.js';
import type { Amount } from '../shared/money.js';
import { type TaskResult, createTask } from './activities.js';
import type { AppContext, Caller } from './context.js';
import { type OpportunityResult, closeOpportunity } from './opportunities.js';

/**
 * What the Orders context's OrderCreated does (seed 003): the deal it names is closed as won,
 * and whoever follows the customer up gets a task. Each step is idempotent by itself (the
 * Kafka inbound may run it again): a deal already won stays as it is, and the task's id is
 * derived from the order id, so a second run finds it there.
 */
export interface RecordOrderInput {
  readonly orderId: string;
  readonly opportunityId?: string;
  readonly customerId?: string;
  readonly totalAmount: Amount;
  readonly currency: string;
  /** When the order was placed. */
  readonly createdAt: Date;
  /** Who follows up an order without a deal (else the owner of the customer's latest deal). */
  readonly salesRepId?: string;
  readonly followUpRequired: boolean;
}

export interface OrderOutcome {
  readonly opportunity?: OpportunityResult;
  readonly taskId?: string;
}

/** A follow-up is due this many days after the order, or after we learn of it when that is later. */
export const FOLLOW_UP_DUE_DAYS = 3;
const FOLLOW_UP_NAMESPACE = '8f4b6c2e-1d7a-4e95-b3c0-6a2f9d8e7c41';

export const orderFollowUpTaskId = (orderId: string): string => uuidV5(`order:${orderId}`, FOLLOW_UP_NAMESPACE);

export async function recordOrder(app: AppContext, caller: Caller, input: RecordOrderInput): Promise<OrderOutcome> {
  const tenantId = caller.access.tenantId;
  let opportunity: OpportunityResult | undefined;
  let assigneeId: string | undefined;
  let relatedTo: RelatedEntity;
  if (input.opportunityId !== undefined) {
    opportunity = await closeOpportunity(app, caller, { opportunityId: input.opportunityId, outcome: 'won', orderId: input.orderId });
    assigneeId = opportunity.state.exists ? opportunity.state.ownerId : undefined;
    relatedTo = { type: 'opportunity', id: input.opportunityId };
  } else if (input.customerId !== undefined) {
    assigneeId = input.salesRepId ?? (await latestDealOwner(app.db, tenantId, input.customerId));
    relatedTo = { type: 'customer', id: input.customerId };
  } else {
    throw validation(`Order ${input.orderId} names neither an opportunity nor a customer`, { field: 'opportunityId' });
  }
  if (!input.followUpRequired) return { ...(opportunity ? { opportunity } : {}) };
  if (assigneeId === undefined) {
    throw validation(`No one to follow up order ${input.orderId}: it names no sales rep and customer ${input.customerId} has no deals`, { field: 'salesRepId' });
  }
  const taskId = orderFollowUpTaskId(input.orderId);
  const due = Math.max(input.createdAt.getTime(), Date.now()) + FOLLOW_UP_DUE_DAYS * 86_400_000;
  await createTask(app, caller, {
    taskId,
    title: `Follow up on order ${input.orderId}`,
    description: `Order ${input.orderId} (${input.totalAmount} ${input.currency}) was created: check the customer is satisfied and plan what comes next.`,
    assigneeId,
    relatedTo,
    dueDate: new Date(due).toISOString(),
    taskType: 'follow_up',
  }).catch((err: unknown): TaskResult | undefined => {
    // Created by an earlier run of this order: done.
    if (err instanceof DomainError && err.code === 'CONFLICT') return undefined;
    throw err;
  });
  return { ...(opportunity ? { opportunity } : {}), taskId };
}
