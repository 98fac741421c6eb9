import { uuidV5 } from '../../shared/uuid.js';
import { DomainError, conflict, notFound, validation } from '../../shared/errors.js';
import type { Decider, DecisionContext } from '../decider.js';
import { marketingChanges } from './marketingSync.js';
import { type LeadState, type LeadStatus, evolve } from './state.js';
import type { LeadCommand } from './commands.js';
import type { LeadEvent, LeadScored } from './events.js';
import {
  QUALIFICATION_THRESHOLD,
  type ScoreBreakdown,
  isQualifyingScore,
  parseTimeline,
  scoreLead,
  timelineFromMetadata,
} from './scoring.js';

type Existing = Extract<LeadState, { exists: true }>;

const OPPORTUNITY_NAMESPACE = '5b0f3a4e-2c8d-4f6a-9e1b-7d3c2a1f0e91';
const CUSTOMER_NAMESPACE = 'c1d7e2a9-8b4f-4e3a-a6d5-0f9e8b7c6d52';

/**
 * The ids a conversion uses, derived from the lead id alone, so that a retried or concurrent
 * conversion lands on the same opportunity and customer instead of creating duplicates.
 * Streams are per tenant, so the lead id is unique where it matters.
 */
export function conversionIds(leadId: string, customerId?: string): { opportunityId: string; customerId: string; customerCreated: boolean } {
  return {
    opportunityId: uuidV5(`lead:${leadId}`, OPPORTUNITY_NAMESPACE),
    customerId: customerId ?? uuidV5(`lead:${leadId}`, CUSTOMER_NAMESPACE),
    customerCreated: customerId === undefined,
  };
}

function requireOpen(state: LeadState): Existing {
  if (!state.exists) throw notFound('Lead not found');
  if (state.status === 'converted') {
    throw new DomainError('CONFLICT', 'Lead is converted; it cannot change any more', {
      status: state.status,
      opportunity_id: state.opportunityId,
      customer_id: state.customerId,
    });
  }
  return state;
}

function scored(leadId: string, input: Parameters<typeof scoreLead>[0]): LeadScored {
  const s = scoreLead(input);
  return {
    type: 'LeadScoredEvent',
    data: {
      leadId,
      score: s.score,
      breakdown: s.breakdown,
      basis: s.basis,
      rubricVersion: s.rubricVersion,
      timeline: input.timeline ?? null,
    },
  };
}

const sameBreakdown = (a: ScoreBreakdown, b: ScoreBreakdown) =>
  a.companySize === b.companySize &&
  a.industry === b.industry &&
  a.budget === b.budget &&
  a.timeline === b.timeline &&
  a.decisionMaker === b.decisionMaker;

function decide(command: LeadCommand, state: LeadState, ctx: DecisionContext): LeadEvent[] {
  const now = ctx.now.toISOString();
  switch (command.type) {
    case 'CreateLead': {
      if (state.exists) throw conflict(`Lead ${command.leadId} already exists`);
      const source = command.source.trim().toLowerCase();
      if (!source) throw validation('A lead needs a source', { field: 'source' });
      const metadata = command.metadata ?? {};
      const created: LeadEvent = {
        type: 'LeadCreatedEvent',
        data: {
          leadId: command.leadId,
          source,
          ownerId: command.ownerId ?? ctx.actorId,
          territoryId: command.territoryId ?? null,
          companyName: command.company ?? null,
          title: command.title ?? null,
          industry: command.industry ?? null,
          employeeCount: command.employeeCount ?? null,
          annualRevenue: command.annualRevenue ?? null,
          currency: command.currency ?? (command.annualRevenue !== undefined ? 'USD' : null),
          marketingScore: command.marketingScore ?? null,
          metadata,
          personalData: command.personalData,
          createdAt: now,
        },
      };
      // Scored at once: a lead always has our rubric score, from its own data.
      return [
        created,
        scored(command.leadId, {
          employeeCount: command.employeeCount ?? null,
          industry: command.industry ?? null,
          annualRevenue: command.annualRevenue ?? null,
          title: command.title ?? null,
          timeline: timelineFromMetadata(metadata) ?? null,
        }),
      ];
    }

    case 'SyncFromMarketing': {
      const created = state.exists ? [] : decide({ type: 'CreateLead', ...command.create }, state, ctx);
      const held = state.exists ? state : { marketingScore: command.create.marketingScore ?? null, campaignId: null, attribution: null };
      const synced = marketingChanges(command.create.leadId, held, command.view, command.sourceEventId);
      return [...created, ...(synced ? [synced] : [])];
    }

    case 'QualifyLead': {
      const current = requireOpen(state);
      let timeline = current.timeline ?? timelineFromMetadata(current.metadata) ?? null;
      if (command.timeline !== undefined) {
        const parsed = parseTimeline(command.timeline);
        if (parsed === undefined) {
          throw validation('timeline must be a number of months (0-120) or a known label such as "this_quarter"', { field: 'timeline' });
        }
        timeline = parsed;
      }
      const rescored = scored(current.leadId, {
        employeeCount: current.employeeCount,
        industry: current.industry,
        annualRevenue: current.annualRevenue,
        title: current.title,
        timeline,
      });
      const events: LeadEvent[] = [];
      const d = rescored.data;
      if (d.score !== current.score || !sameBreakdown(d.breakdown, current.breakdown) || d.timeline !== current.timeline) {
        events.push(rescored);
      }
      // Seed 003: qualified at score >= 70, unqualified below; nothing else decides it.
      const target: LeadStatus = isQualifyingScore(d.score) ? 'qualified' : 'unqualified';
      if (target !== current.status) {
        events.push(
          target === 'qualified'
            ? {
                type: 'LeadQualifiedEvent',
                data: { leadId: current.leadId, score: d.score, threshold: QUALIFICATION_THRESHOLD, notes: command.notes ?? null },
              }
            : {
                type: 'LeadDisqualifiedEvent',
                data: {
                  leadId: current.leadId,
                  score: d.score,
                  threshold: QUALIFICATION_THRESHOLD,
                  reason: command.notes ?? `score ${d.score} is below the qualification threshold of ${QUALIFICATION_THRESHOLD}`,
                },
              },
        );
      }
      return events;
    }

    case 'AssignLead': {
      const current = requireOpen(state);
      const reason = command.reason.trim();
      if (!reason) throw validation('An assignment needs a reason', { field: 'reason' });
      const ownerId = command.ownerId ?? ctx.actorId;
      if (ownerId === current.ownerId && command.territoryId === current.territoryId) return [];
      return [
        {
          type: 'LeadAssignedEvent',
          data: {
            leadId: current.leadId,
            ownerId,
            territoryId: command.territoryId,
            reason,
            previousOwnerId: current.ownerId,
            previousTerritoryId: current.territoryId,
            assignedAt: now,
          },
        },
      ];
    }

    case 'ConvertLead': {
      if (!state.exists) throw notFound('Lead not found');
      if (state.status === 'converted') {
        // A retry or a concurrent twin: the outcome is already in the state; asking to attach
        // to another customer than the one recorded is a real conflict.
        if (command.customerId !== undefined && command.customerId !== state.customerId) {
          throw conflict('Lead was already converted with another customer', {
            opportunity_id: state.opportunityId,
            customer_id: state.customerId,
            requested_customer_id: command.customerId,
          });
        }
        return [];
      }
      if (state.status !== 'qualified') {
        throw conflict(`Only a qualified lead can be converted; this one is ${state.status}`, {
          status: state.status,
          score: state.score,
          threshold: QUALIFICATION_THRESHOLD,
        });
      }
      const ids = conversionIds(state.leadId, command.customerId);
      return [{ type: 'LeadConvertedEvent', data: { leadId: state.leadId, ...ids, convertedAt: now } }];
    }

    case 'RecordPersonalDataErasure': {
      // Also on a converted lead: erasure is owed whatever became of the lead. Once is enough.
      if (!state.exists) throw notFound('Lead not found');
      if (state.personalDataErasedAt) return [];
      return [{ type: 'LeadPersonalDataErasedEvent', data: { leadId: state.leadId, subjectId: command.subjectId, erasedAt: now } }];
    }
  }
}

export const leadDecider: Decider<LeadCommand, LeadEvent, LeadState> = {
  initialState: { exists: false },
  evolve,
  decide,
};
