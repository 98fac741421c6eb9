import type { CommercialTerms, OnboardingContact } from '../aggregates/opportunity/commercialTerms.js';
import { randomUUID } from 'node:crypto';
import { type OpportunityState, type ProductLine, opportunityAggregate } from '../aggregates/opportunity/index.js';
import { type StageSet, findStage } from '../aggregates/pipelineStage/stages.js';
import { activeCreditHolds } from '../projections/creditHolds.js';
import type { Amount } from '../shared/money.js';
import { type AppContext, type Caller, on } from './context.js';
import { type CommandResult, type DecisionReads, deferred } from './handler.js';
import { stageSetIn } from './load.js';
import { requireAssignable } from './territories.js';

/**
 * The opportunity use cases. Each takes the caller and its input, and runs one command through
 * the handler, which asks the access policy on the loaded state before the decider decides.
 * What a command needs from outside (the tenant's stage set, the customers on credit hold) is
 * looked up here, once, for every front door, while the handler reads the deal (`deferred`); the
 * stage set through the handler's reads, so that it may be remembered and is checked at the append.
 */
export type OpportunityResult = CommandResult<OpportunityState>;

export interface CreateOpportunityInput {
  readonly opportunityId?: string;
  readonly name?: string;
  readonly customerId: string;
  readonly leadId?: string;
  readonly territoryId?: string;
  /** Default: the caller. */
  readonly ownerId?: string;
  /** Default: the first open stage. */
  readonly stage?: string;
  readonly amount: Amount;
  readonly currency: string;
  readonly probability?: number;
  readonly expectedCloseDate?: string;
  readonly products?: readonly ProductLine[];
  readonly metadata?: Record<string, unknown>;
}

export async function createOpportunity(app: AppContext, caller: Caller, input: CreateOpportunityInput): Promise<OpportunityResult> {
  if (input.territoryId) await requireAssignable(app, caller.access.tenantId, input.territoryId);
  const opportunityId = input.opportunityId ?? randomUUID();
  const { opportunityId: _id, name, products, ...rest } = input;
  return app.execute(
    opportunityAggregate,
    on(caller, opportunityId),
    deferred('CreateOpportunity', async (reads) => ({
      type: 'CreateOpportunity' as const,
      stages: await stageSetIn(reads),
      opportunityId,
      name: name ?? opportunityId,
      ...rest,
      ...(products ? { products: [...products] } : {}),
    })),
  );
}

export interface ChangeStageInput {
  readonly opportunityId: string;
  readonly stage: string;
  readonly probability?: number;
  readonly nextStep?: string;
  readonly notes?: string;
  /** Needed when the target stage is a lost one. */
  readonly lostReason?: string;
}

/**
 * What a move between stages is decided against: the tenant's stage set and, only when the move
 * can win the deal, the customers on credit hold (the one rule that asks for them, decider.ts).
 */
async function stageRules(app: AppContext, caller: Caller, reads: DecisionReads, canWin: (stages: StageSet) => boolean) {
  const stages = await stageSetIn(reads);
  return { stages, ...(canWin(stages) ? { creditHolds: await activeCreditHolds(app.db, caller.access.tenantId) } : {}) };
}

export async function changeStage(app: AppContext, caller: Caller, { opportunityId, ...input }: ChangeStageInput): Promise<OpportunityResult> {
  const canWin = (stages: StageSet) => findStage(stages, input.stage)?.kind === 'won';
  return app.execute(
    opportunityAggregate,
    on(caller, opportunityId),
    deferred('ChangeStage', async (reads) => ({ type: 'ChangeStage' as const, ...(await stageRules(app, caller, reads, canWin)), ...input })),
  );
}

export interface CloseOpportunityInput {
  readonly opportunityId: string;
  readonly outcome: 'won' | 'lost';
  readonly closeDate?: string;
  readonly reason?: string;
  /** The order that wins it (Orders' OrderCreated, commands/orders.ts). */
  readonly orderId?: string;
}

export async function closeOpportunity(app: AppContext, caller: Caller, { opportunityId, ...input }: CloseOpportunityInput): Promise<OpportunityResult> {
  return app.execute(
    opportunityAggregate,
    on(caller, opportunityId),
    deferred('CloseOpportunity', async (reads) => ({ type: 'CloseOpportunity' as const, ...(await stageRules(app, caller, reads, () => input.outcome === 'won')), ...input })),
  );
}

export interface UpdateOpportunityInput {
  readonly opportunityId: string;
  readonly amount?: Amount;
  readonly currency?: string;
  readonly expectedCloseDate?: string | null;
}

export async function updateOpportunity(app: AppContext, caller: Caller, { opportunityId, ...input }: UpdateOpportunityInput): Promise<OpportunityResult> {
  return app.execute(opportunityAggregate, on(caller, opportunityId), { type: 'UpdateOpportunity', ...input });
}

/** Seed 004's billing and onboarding terms, replacing any set before; while the deal is open. */
export async function setCommercialTerms(
  app: AppContext,
  caller: Caller,
  opportunityId: string,
  input: { terms: CommercialTerms; contacts: OnboardingContact[] },
): Promise<OpportunityResult> {
  return app.execute(opportunityAggregate, on(caller, opportunityId), { type: 'SetCommercialTerms', ...input });
}

export interface ReassignOpportunityInput {
  readonly opportunityId: string;
  readonly ownerId: string;
  readonly reason?: string;
}

/** A manager within its team, an admin anywhere: the policy checks both owners. */
export async function reassignOpportunity(app: AppContext, caller: Caller, { opportunityId, ...input }: ReassignOpportunityInput): Promise<OpportunityResult> {
  return app.execute(opportunityAggregate, on(caller, opportunityId), { type: 'ReassignOpportunity', ...input });
}
