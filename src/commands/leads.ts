import { type LeadPersonalData, type LeadState, type MarketingView, leadAggregate } from '../aggregates/lead/index.js';
import type { Amount } from '../shared/money.js';
import { type AppContext, type Caller, on } from './context.js';
import type { CommandResult } from './handler.js';
import { requireAssignable } from './territories.js';

/** Lead use cases (seeds 003/004): capture (scored at once), qualify, assign. Conversion: leadConversion.ts. */
export type LeadResult = CommandResult<LeadState>;

export interface CaptureLeadInput {
  readonly leadId: string;
  readonly source: string;
  readonly personalData: LeadPersonalData;
  readonly company?: string;
  readonly title?: string;
  readonly industry?: string;
  readonly employeeCount?: number;
  readonly annualRevenue?: Amount;
  readonly currency?: string;
  readonly marketingScore?: number;
  readonly metadata?: Record<string, unknown>;
  /** Default: the caller. */
  readonly ownerId?: string;
  readonly territoryId?: string;
}

export async function captureLead(app: AppContext, caller: Caller, input: CaptureLeadInput): Promise<LeadResult> {
  if (input.territoryId) await requireAssignable(app, caller.access.tenantId, input.territoryId);
  return app.execute(leadAggregate, on(caller, input.leadId), { type: 'CreateLead', ...input });
}

export const qualifyLead = (app: AppContext, caller: Caller, { leadId, ...input }: { leadId: string; timeline?: number | string; notes?: string }) =>
  app.execute(leadAggregate, on(caller, leadId), { type: 'QualifyLead', ...input });

export interface AssignLeadInput {
  readonly leadId: string;
  readonly territoryId: string;
  readonly reason: string;
  /** Default: the caller. */
  readonly ownerId?: string;
}

export async function assignLead(app: AppContext, caller: Caller, { leadId, ...input }: AssignLeadInput): Promise<LeadResult> {
  await requireAssignable(app, caller.access.tenantId, input.territoryId);
  return app.execute(leadAggregate, on(caller, leadId), { type: 'AssignLead', ...input });
}

/**
 * Marketing's lead (seed 004 lead.qualified over Kafka, or POST /leads/{id}/sync): creates the
 * lead when it is new, and records Marketing's score, campaign and attribution when they differ
 * from what the lead holds, so the same message twice has one effect.
 */
export const syncLeadFromMarketing = (
  app: AppContext,
  caller: Caller,
  input: { create: Omit<CaptureLeadInput, 'ownerId' | 'territoryId'>; view: MarketingView; sourceEventId: string | null },
) => app.execute(leadAggregate, on(caller, input.create.leadId), { type: 'SyncFromMarketing', ...input });
