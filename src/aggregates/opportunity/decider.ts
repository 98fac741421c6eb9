import { DomainError, conflict, notFound, validation } from '../../shared/errors.js';
import { type Amount, toBig } from '../../shared/money.js';
import type { Decider, DecisionContext } from '../decider.js';
import { type StageDefinition, type StageSet, allowedTargets, findStage, firstOpenStage, stageCodes } from '../pipelineStage/stages.js';
import type { OpportunityCommand } from './commands.js';
import { dealScore, decisionCriteriaKnown, isPush } from './dealScore.js';
import type { OpportunityEvent, OpportunityUpdated } from './events.js';
import { probabilityAfterRejection } from './offerRejection.js';

export type OpportunityStatus = 'open' | 'won' | 'lost';

export type OpportunityState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly opportunityId: string;
      readonly customerId: string;
      readonly ownerId: string;
      readonly territoryId: string | null;
      readonly status: OpportunityStatus;
      readonly stage: string;
      readonly probability: number;
      readonly amount: Amount;
      readonly currency: string;
      readonly expectedCloseDate: string | null;
      readonly nextStep: string | null;
      /** Quotes already attached: a redelivered QuoteCreatedEvent changes nothing. */
      readonly quoteIds: readonly string[];
      /** Offers whose rejection is recorded: a redelivered OfferRejected changes nothing. */
      readonly rejectedOfferIds: readonly string[];
      /** What the deal score (dealScore.ts) needs besides the above. */
      readonly leadId: string | null;
      readonly productCount: number;
      readonly decisionCriteriaKnown: boolean;
      readonly closeDatePushes: number;
      readonly probabilityDrops: number;
    };

type Existing = Extract<OpportunityState, { exists: true }>;

const isoDate = (d: Date) => d.toISOString().slice(0, 10);

function requireStage(stages: StageSet, input: string): StageDefinition {
  const stage = findStage(stages, input);
  if (!stage) {
    throw validation(`Unknown stage "${input}"`, { field: 'stage', requested_stage: input, allowed_stages: stageCodes(stages) });
  }
  return stage;
}

/**
 * The tenant's configured transitions (seed 002: stage rules), with seed 004's error: a move
 * the configuration forbids names the current stage, the requested one and where it may go.
 * Staying in the current stage is always allowed.
 */
function requireTransition(stages: StageSet, current: Existing, target: StageDefinition): void {
  // A stage the tenant renamed (its old code now an alias) may move to its new code.
  if (target.code === current.stage || target.code === findStage(stages, current.stage)?.code) return;
  const allowed = allowedTargets(stages, current.stage);
  if (!allowed.includes(target.code)) {
    throw validation('Invalid opportunity stage transition', {
      current_stage: current.stage,
      requested_stage: target.code,
      allowed_stages: [...allowed],
    });
  }
}

function requireOpen(state: OpportunityState): Existing {
  if (!state.exists) throw notFound('Opportunity not found');
  if (state.status !== 'open') {
    throw new DomainError('CONFLICT', `Opportunity is closed (${state.status}); it cannot change any more`, {
      status: state.status,
      stage: state.stage,
    });
  }
  return state;
}

function close(
  state: Existing,
  stage: StageDefinition,
  closeDate: string,
  reason: string | undefined,
  creditHolds: ReadonlySet<string> | undefined,
  orderId?: string,
): OpportunityEvent {
  if (stage.kind === 'won' && creditHolds?.has(state.customerId)) {
    throw new DomainError('CONFLICT', `Closing as won is blocked: customer ${state.customerId} has exceeded its credit limit`, {
      customer_id: state.customerId,
      reason: 'CREDIT_LIMIT_EXCEEDED',
    });
  }
  const common = {
    opportunityId: state.opportunityId,
    customerId: state.customerId,
    amount: state.amount,
    currency: state.currency,
    closeDate,
    fromStage: state.stage,
    toStage: stage.code,
  };
  if (stage.kind === 'won') return { type: 'OpportunityClosedWonEvent', data: orderId === undefined ? common : { ...common, orderId } };
  if (!reason?.trim()) throw validation('A reason is required to close an opportunity as lost', { field: 'reason' });
  return { type: 'OpportunityClosedLostEvent', data: { ...common, reason: reason.trim() } };
}

function decide(command: OpportunityCommand, state: OpportunityState, ctx: DecisionContext): OpportunityEvent[] {
  switch (command.type) {
    case 'CreateOpportunity': {
      if (state.exists) throw conflict(`Opportunity ${command.opportunityId} already exists`);
      const stage = command.stage === undefined ? firstOpenStage(command.stages) : requireStage(command.stages, command.stage);
      if (!stage) throw validation("The tenant's stage set has no open stage", { allowed_stages: stageCodes(command.stages) });
      if (stage.kind !== 'open') {
        throw validation('An opportunity is created in an open stage; close it afterwards', {
          field: 'stage',
          allowed_stages: command.stages.stages.filter((s) => s.kind === 'open').map((s) => s.code),
        });
      }
      return [
        {
          type: 'OpportunityCreatedEvent',
          data: {
            opportunityId: command.opportunityId,
            customerId: command.customerId,
            amount: command.amount,
            currency: command.currency,
            stage: stage.code,
            name: command.name,
            leadId: command.leadId ?? null,
            territoryId: command.territoryId ?? null,
            ownerId: command.ownerId ?? ctx.actorId,
            probability: command.probability ?? stage.probability,
            expectedCloseDate: command.expectedCloseDate ?? null,
            products: command.products ?? [],
            metadata: command.metadata ?? {},
          },
        },
      ];
    }

    case 'ChangeStage': {
      const current = requireOpen(state);
      const target = requireStage(command.stages, command.stage);
      requireTransition(command.stages, current, target);
      if (target.kind !== 'open') {
        return [close(current, target, isoDate(ctx.now), command.lostReason ?? command.notes, command.creditHolds)];
      }
      const probability = command.probability ?? (target.code === current.stage ? current.probability : target.probability);
      if (target.code === current.stage) {
        // Same stage: only the details may change; nothing to record if none does.
        const changes = updateFields(current, { probability, nextStep: command.nextStep, notes: command.notes });
        return changes ? [changes] : [];
      }
      return [
        {
          type: 'OpportunityStageChangedEvent',
          data: {
            opportunityId: current.opportunityId,
            fromStage: current.stage,
            toStage: target.code,
            probability,
            nextStep: command.nextStep ?? null,
            notes: command.notes ?? null,
          },
        },
      ];
    }

    case 'CloseOpportunity': {
      // An order confirms a win already recorded (by this order, or by hand): nothing to add.
      if (command.orderId !== undefined && state.exists && state.status === 'won') return [];
      const current = requireOpen(state);
      // A close is a move to a stage of that kind: the first (by order) the transitions allow.
      const candidates = command.stages.stages.filter((s) => s.kind === command.outcome);
      if (candidates.length === 0) {
        throw validation(`The tenant's stage set has no ${command.outcome} stage`, { allowed_stages: stageCodes(command.stages) });
      }
      const allowed = allowedTargets(command.stages, current.stage);
      const stage = candidates.find((s) => allowed.includes(s.code)) ?? candidates[0]!;
      requireTransition(command.stages, current, stage);
      return [close(current, stage, command.closeDate ?? isoDate(ctx.now), command.reason, command.creditHolds, command.orderId)];
    }

    case 'RecordOfferRejection': {
      if (state.exists && state.rejectedOfferIds.includes(command.offerId)) return [];
      const current = requireOpen(state);
      const data = { opportunityId: current.opportunityId, offerId: command.offerId, reason: command.reason.trim() };
      const probability = probabilityAfterRejection(current.probability, command.probability);
      return [{ type: 'OpportunityOfferRejectedEvent', data: { ...data, fromProbability: current.probability, probability } }];
    }

    case 'AttachPricingSnapshot': {
      const current = requireOpen(state);
      if (current.quoteIds.includes(command.quoteId)) return [];
      return [
        {
          type: 'OpportunityPricingSnapshotAttachedEvent',
          data: {
            opportunityId: current.opportunityId,
            quoteId: command.quoteId,
            totalAmount: command.totalAmount,
            currency: command.currency,
            validUntil: command.validUntil,
            sourceEventId: command.sourceEventId,
          },
        },
      ];
    }

    case 'UpdateOpportunity': {
      const current = requireOpen(state);
      const changes = updateFields(current, command);
      return changes ? [changes] : [];
    }

    case 'AssignOpportunityTerritory': {
      const current = requireOpen(state);
      if (command.territoryId === current.territoryId) return [];
      return [
        {
          type: 'OpportunityTerritoryAssignedEvent',
          data: { opportunityId: current.opportunityId, fromTerritoryId: current.territoryId, toTerritoryId: command.territoryId, reason: command.reason?.trim() || null },
        },
      ];
    }

    case 'ReassignOpportunity': {
      const current = requireOpen(state);
      if (command.ownerId === current.ownerId) return [];
      return [
        {
          type: 'OpportunityReassignedEvent',
          data: { opportunityId: current.opportunityId, fromOwnerId: current.ownerId, toOwnerId: command.ownerId, reason: command.reason ?? null },
        },
      ];
    }
  }
}

/** An update event holding only the fields that really change; undefined when none does. */
function updateFields(
  current: Existing,
  wanted: {
    amount?: Amount;
    currency?: string;
    expectedCloseDate?: string | null;
    probability?: number;
    nextStep?: string | null;
    notes?: string | null;
  },
): OpportunityUpdated | undefined {
  const data: OpportunityUpdated['data'] = { opportunityId: current.opportunityId, changedFields: [] };
  if (wanted.amount !== undefined && wanted.amount !== current.amount) {
    data.amount = wanted.amount;
    data.changedFields.push('amount');
  }
  if (wanted.currency !== undefined && wanted.currency !== current.currency) {
    data.currency = wanted.currency;
    data.changedFields.push('currency');
  }
  if (wanted.expectedCloseDate !== undefined && wanted.expectedCloseDate !== current.expectedCloseDate) {
    data.expectedCloseDate = wanted.expectedCloseDate;
    data.changedFields.push('expectedCloseDate');
  }
  if (wanted.probability !== undefined && wanted.probability !== current.probability) {
    data.probability = wanted.probability;
    data.changedFields.push('probability');
  }
  if (wanted.nextStep !== undefined && wanted.nextStep !== current.nextStep) {
    data.nextStep = wanted.nextStep;
    data.changedFields.push('nextStep');
  }
  if (wanted.notes !== undefined && wanted.notes !== null) {
    data.notes = wanted.notes;
    data.changedFields.push('notes');
  }
  return data.changedFields.length ? { type: 'OpportunityUpdatedEvent', data } : undefined;
}

function evolve(state: OpportunityState, event: OpportunityEvent): OpportunityState {
  switch (event.type) {
    case 'OpportunityCreatedEvent': {
      const d = event.data;
      return {
        exists: true,
        opportunityId: d.opportunityId,
        customerId: d.customerId,
        ownerId: d.ownerId,
        territoryId: d.territoryId ?? null,
        status: 'open',
        stage: d.stage,
        probability: d.probability,
        amount: d.amount,
        currency: d.currency,
        expectedCloseDate: d.expectedCloseDate,
        nextStep: null,
        quoteIds: [],
        rejectedOfferIds: [],
        leadId: d.leadId,
        productCount: d.products.length,
        decisionCriteriaKnown: decisionCriteriaKnown(d.metadata),
        closeDatePushes: 0,
        probabilityDrops: 0,
      };
    }
    case 'OpportunityStageChangedEvent':
      if (!state.exists) return state;
      return {
        ...state,
        stage: event.data.toStage,
        probability: event.data.probability,
        nextStep: event.data.nextStep,
        probabilityDrops: state.probabilityDrops + (event.data.probability < state.probability ? 1 : 0),
      };
    case 'OpportunityClosedWonEvent':
      if (!state.exists) return state;
      return { ...state, status: 'won', stage: event.data.toStage, probability: 100 };
    case 'OpportunityClosedLostEvent':
      if (!state.exists) return state;
      return { ...state, status: 'lost', stage: event.data.toStage, probability: 0 };
    case 'OpportunityPricingSnapshotAttachedEvent':
      if (!state.exists) return state;
      return { ...state, quoteIds: [...state.quoteIds, event.data.quoteId] };
    case 'OpportunityOfferRejectedEvent':
      if (!state.exists) return state;
      return {
        ...state,
        probability: event.data.probability,
        rejectedOfferIds: [...state.rejectedOfferIds, event.data.offerId],
        probabilityDrops: state.probabilityDrops + (event.data.probability < state.probability ? 1 : 0),
      };
    case 'OpportunityReassignedEvent':
      if (!state.exists) return state;
      return { ...state, ownerId: event.data.toOwnerId };
    case 'OpportunityTerritoryAssignedEvent':
      if (!state.exists) return state;
      return { ...state, territoryId: event.data.toTerritoryId };
    case 'OpportunityUpdatedEvent': {
      if (!state.exists) return state;
      const d = event.data;
      return {
        ...state,
        amount: d.amount ?? state.amount,
        currency: d.currency ?? state.currency,
        expectedCloseDate: d.expectedCloseDate === undefined ? state.expectedCloseDate : d.expectedCloseDate,
        probability: d.probability ?? state.probability,
        nextStep: d.nextStep === undefined ? state.nextStep : d.nextStep,
        closeDatePushes: state.closeDatePushes + (isPush(state.expectedCloseDate, d.expectedCloseDate) ? 1 : 0),
        probabilityDrops: state.probabilityDrops + (d.probability !== undefined && d.probability < state.probability ? 1 : 0),
      };
    }
  }
}

/** The deal score of an opportunity as its stream has it (the rubric: dealScore.ts). */
export function dealScoreOf(state: Existing): number {
  return dealScore({
    status: state.status,
    amountPositive: toBig(state.amount).gt(0),
    hasAccount: state.customerId !== '',
    probability: state.probability,
    hasExpectedCloseDate: state.expectedCloseDate !== null,
    productCount: state.productCount,
    fromLead: state.leadId !== null,
    decisionCriteriaKnown: state.decisionCriteriaKnown,
    hasNextStep: state.nextStep !== null,
    closeDatePushes: state.closeDatePushes,
    probabilityDrops: state.probabilityDrops,
  });
}

export const opportunityDecider: Decider<OpportunityCommand, OpportunityEvent, OpportunityState> = {
  initialState: { exists: false },
  evolve,
  decide,
};
