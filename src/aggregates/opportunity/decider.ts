import { isDeepStrictEqual } from 'node:util';
import { DomainError, conflict, notFound, validation } from '../../shared/errors.js';
import type { Decider, DecisionContext } from '../decider.js';
import { type StageDefinition, type StageSet, allowedTargets, findStage, firstOpenStage, stageCodes } from '../pipelineStage/stages.js';
import type { OpportunityCommand } from './commands.js';
import type { OpportunityEvent } from './events.js';
import { probabilityAfterRejection } from './offerRejection.js';
import { type ExistingOpportunity as Existing, type OpportunityState, evolve } from './state.js';
import { updateFields } from './updateFields.js';
import { checkCommercialTerms } from './commercialTerms.js';

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

    case 'SetCommercialTerms': {
      const current = requireOpen(state);
      checkCommercialTerms(command.terms);
      // Structurally: a stored event's keys come back from jsonb in another order.
      const same = isDeepStrictEqual([command.terms, command.contacts], [current.commercialTerms, current.contacts]);
      if (same) return [];
      const data = { opportunityId: current.opportunityId, ...command.terms, personalData: { contacts: command.contacts } };
      return [{ type: 'OpportunityCommercialTermsSetEvent', data }];
    }

    case 'RecordPersonalDataErasure': {
      if (!state.exists) throw notFound('Opportunity not found');
      if (state.erasedSubjects.includes(command.subjectId)) return [];
      const contactIndexes = state.contacts.flatMap((c, i) => (c.erased ? [i] : []));
      return [{ type: 'OpportunityContactsErasedEvent', data: { opportunityId: state.opportunityId, subjectId: command.subjectId, contactIndexes, erasedAt: ctx.now.toISOString() } }];
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

export const opportunityDecider: Decider<OpportunityCommand, OpportunityEvent, OpportunityState> = {
  initialState: { exists: false },
  evolve,
  decide,
};
