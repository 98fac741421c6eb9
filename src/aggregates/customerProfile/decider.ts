import { conflict, notFound, validation } from '../../shared/errors.js';
import type { Amount } from '../../shared/money.js';
import { isDeepStrictEqual } from 'node:util';
import type { Decider, DecisionContext } from '../decider.js';
import { applyPatch, cleanPersonalData, code, companyName, employeeCountOf, industryOf, oneOf, requireText } from './fields.js';
import type { CustomerProfileCommand } from './commands.js';
import {
  CONSENT_STATUSES,
  CUSTOMER_STATUSES,
  type ConsentStatus,
  type CustomerProfileEvent,
  type CustomerProfileUpdated,
  type CustomerStatus,
  DEFAULT_SEGMENT,
  type PersonalData,
} from './events.js';

export type CustomerProfileState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly customerId: string;
      readonly name: string;
      readonly status: CustomerStatus;
      readonly primaryContactId: string | null;
      readonly segment: string;
      readonly personalData: PersonalData | null;
      readonly industry: string | null;
      readonly employeeCount: number | null;
      readonly annualRevenue: Amount | null;
      /** Evaluated segment membership, in the definitions' order. */
      readonly segments: readonly string[];
      /** Set once the profile was merged into a golden record: it is closed from then on. */
      readonly mergedInto: { readonly targetCustomerId: string; readonly mergeReason: string } | null;
      /** Sources merged into this profile, in merge order. */
      readonly mergedFrom: readonly string[];
      /** Current consent per type; a type never recorded is absent (not consented). */
      readonly consents: Readonly<Record<string, ConsentStatus>>;
      /** Data subjects whose erasure this profile has recorded. */
      readonly erasedSubjects: readonly string[];
    };

type Existing = Extract<CustomerProfileState, { exists: true }>;
type Changes = Omit<CustomerProfileUpdated['data'], 'customerId' | 'changedFields' | 'updatedBy'>;

function mergedConflict(state: Existing) {
  const target = state.mergedInto!.targetCustomerId;
  return conflict(`Customer ${state.customerId} was merged into ${target}; send changes to ${target}`, {
    customer_id: state.customerId,
    merged_into: target,
  });
}

/** Exists and not merged away: the only state that accepts changes. */
function requireLive(state: CustomerProfileState): Existing {
  if (!state.exists) throw notFound('Customer profile not found');
  if (state.mergedInto) throw mergedConflict(state);
  return state;
}

function checkTarget(state: CustomerProfileState, sourceCustomerId: string): Existing {
  if (!state.exists) throw notFound('The merge target customer does not exist', { target_customer_id: null, source_customer_id: sourceCustomerId });
  if (sourceCustomerId === state.customerId) {
    throw validation('A customer cannot be merged into itself', { field: 'source_customer_id', source_customer_id: sourceCustomerId });
  }
  if (state.mergedInto) throw mergedConflict(state);
  return state;
}

function decide(command: CustomerProfileCommand, state: CustomerProfileState, ctx: DecisionContext): CustomerProfileEvent[] {
  switch (command.type) {
    case 'CreateCustomerProfile': {
      if (state.exists) {
        throw conflict(`Customer ${command.customerId} already exists`, {
          customer_id: command.customerId,
          ...(state.mergedInto ? { merged_into: state.mergedInto.targetCustomerId } : {}),
        });
      }
      return [
        {
          type: 'CustomerProfileCreatedEvent',
          data: {
            customerId: command.customerId,
            name: companyName(command.name),
            status: command.status === undefined ? 'ACTIVE' : oneOf('status', command.status, CUSTOMER_STATUSES),
            primaryContactId: command.primaryContactId?.trim() || null,
            segment: command.segment === undefined ? DEFAULT_SEGMENT : code('segment', command.segment),
            personalData: cleanPersonalData(command.personalData),
            ...(command.industry !== undefined ? { industry: industryOf(command.industry) } : {}),
            ...(command.employeeCount !== undefined ? { employeeCount: employeeCountOf(command.employeeCount) } : {}),
            ...(command.annualRevenue !== undefined ? { annualRevenue: command.annualRevenue } : {}),
          },
        },
      ];
    }

    case 'UpdateCustomerProfile': {
      const current = requireLive(state);
      const data: CustomerProfileUpdated['data'] = { customerId: current.customerId, changedFields: [], updatedBy: ctx.actorId };
      const change = <K extends keyof Changes>(field: K, value: Changes[K], unchanged: boolean) => {
        if (unchanged) return;
        (data as Changes)[field] = value;
        data.changedFields.push(field);
      };
      if (command.name !== undefined) {
        const name = companyName(command.name);
        change('name', name, name === current.name);
      }
      if (command.status !== undefined) {
        const status = oneOf('status', command.status, CUSTOMER_STATUSES);
        change('status', status, status === current.status);
      }
      if (command.primaryContactId !== undefined) {
        const contact = command.primaryContactId?.trim() || null;
        change('primaryContactId', contact, contact === current.primaryContactId);
      }
      if (command.segment !== undefined) {
        const segment = code('segment', command.segment);
        change('segment', segment, segment === current.segment);
      }
      if (command.personalData !== undefined) {
        const personalData = applyPatch(current.personalData, command.personalData);
        change('personalData', personalData, isDeepStrictEqual(personalData, current.personalData));
      }
      if (command.industry !== undefined) {
        const industry = command.industry === null ? null : industryOf(command.industry);
        change('industry', industry, industry === current.industry);
      }
      if (command.employeeCount !== undefined) {
        const count = command.employeeCount === null ? null : employeeCountOf(command.employeeCount);
        change('employeeCount', count, count === current.employeeCount);
      }
      if (command.annualRevenue !== undefined) change('annualRevenue', command.annualRevenue, command.annualRevenue === current.annualRevenue);
      return data.changedFields.length ? [{ type: 'CustomerProfileUpdatedEvent', data }] : [];
    }

    case 'AssignSegments': {
      const current = requireLive(state);
      const segments = [...new Set(command.segments.map((c) => code('segments', c)))];
      // Membership is a set: the same segments in another order (the definitions reordered) change nothing.
      if (segments.length === current.segments.length && segments.every((c) => current.segments.includes(c))) return [];
      return [{ type: 'CustomerProfileUpdatedEvent', data: { customerId: current.customerId, changedFields: ['segments'], updatedBy: ctx.actorId, segments } }];
    }

    case 'MarkMergedInto': {
      if (!state.exists) throw notFound('The customer to merge (source) does not exist', { target_customer_id: command.targetCustomerId });
      if (command.targetCustomerId === state.customerId) {
        throw validation('A customer cannot be merged into itself', { field: 'source_customer_id', source_customer_id: state.customerId });
      }
      if (state.mergedInto) {
        // A retry of the same merge (e.g. after a crash before the target accepted) is not an error.
        if (state.mergedInto.targetCustomerId === command.targetCustomerId) return [];
        throw mergedConflict(state);
      }
      return [
        {
          type: 'CustomerMergedIntoEvent',
          data: {
            sourceCustomerId: state.customerId,
            targetCustomerId: command.targetCustomerId,
            mergeReason: requireText('reason', command.mergeReason),
          },
        },
      ];
    }

    case 'CheckMergeTarget':
      checkTarget(state, command.sourceCustomerId);
      return [];

    case 'AcceptMerge': {
      const target = checkTarget(state, command.sourceCustomerId);
      if (target.mergedFrom.includes(command.sourceCustomerId)) return [];
      return [
        {
          type: 'CustomerMergedEvent',
          data: {
            targetCustomerId: target.customerId,
            sourceCustomerId: command.sourceCustomerId,
            mergeReason: requireText('reason', command.mergeReason),
          },
        },
      ];
    }

    case 'RecordPersonalDataErasure': {
      // Merged or not: erasure is owed. An erased unit opens as {} (src/privacy/units.ts).
      if (!state.exists) throw notFound('Customer not found');
      if (state.erasedSubjects.includes(command.subjectId)) return [];
      const current = state.personalData !== null && Object.keys(state.personalData).length === 0;
      return [{ type: 'CustomerPersonalDataErasedEvent', data: { customerId: state.customerId, subjectId: command.subjectId, current, erasedAt: ctx.now.toISOString() } }];
    }
    case 'UpdateConsent': {
      const current = requireLive(state);
      const consentType = code('consent_type', command.consentType);
      const status = oneOf('status', command.status, CONSENT_STATUSES);
      const previousStatus = current.consents[consentType] ?? null;
      // An explicit REVOKED for a never-recorded type is kept: an opt-out is worth recording.
      if (previousStatus === status) return [];
      return [
        {
          type: 'ConsentUpdatedEvent',
          data: {
            customerId: current.customerId,
            consentType,
            status,
            previousStatus,
            source: command.source === undefined ? null : code('source', command.source),
          },
        },
      ];
    }
  }
}

function evolve(state: CustomerProfileState, event: CustomerProfileEvent): CustomerProfileState {
  switch (event.type) {
    case 'CustomerProfileCreatedEvent': {
      const d = event.data;
      return {
        exists: true,
        customerId: d.customerId,
        name: d.name,
        status: d.status,
        primaryContactId: d.primaryContactId,
        segment: d.segment,
        personalData: d.personalData,
        industry: d.industry ?? null,
        employeeCount: d.employeeCount ?? null,
        annualRevenue: d.annualRevenue ?? null,
        segments: [],
        mergedInto: null,
        mergedFrom: [],
        consents: {},
        erasedSubjects: [],
      };
    }
    case 'CustomerProfileUpdatedEvent': {
      if (!state.exists) return state;
      const d = event.data;
      return {
        ...state,
        name: d.name ?? state.name,
        status: d.status ?? state.status,
        primaryContactId: d.primaryContactId === undefined ? state.primaryContactId : d.primaryContactId,
        segment: d.segment ?? state.segment,
        personalData: d.personalData === undefined ? state.personalData : d.personalData,
        industry: d.industry === undefined ? state.industry : d.industry,
        employeeCount: d.employeeCount === undefined ? state.employeeCount : d.employeeCount,
        annualRevenue: d.annualRevenue === undefined ? state.annualRevenue : d.annualRevenue,
        segments: d.segments ?? state.segments,
      };
    }
    case 'CustomerMergedIntoEvent':
      if (!state.exists) return state;
      return { ...state, mergedInto: { targetCustomerId: event.data.targetCustomerId, mergeReason: event.data.mergeReason } };
    case 'CustomerMergedEvent':
      if (!state.exists) return state;
      return { ...state, mergedFrom: [...state.mergedFrom, event.data.sourceCustomerId] };
    case 'ConsentUpdatedEvent':
      if (!state.exists) return state;
      return { ...state, consents: { ...state.consents, [event.data.consentType]: event.data.status } };
    case 'CustomerPersonalDataErasedEvent':
      if (!state.exists) return state;
      return { ...state, personalData: event.data.current ? null : state.personalData, erasedSubjects: [...state.erasedSubjects, event.data.subjectId] };
  }
}

export const customerProfileDecider: Decider<CustomerProfileCommand, CustomerProfileEvent, CustomerProfileState> = {
  initialState: { exists: false },
  evolve,
  decide,
};
