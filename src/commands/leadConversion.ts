import type { DomainEvent } from '../aggregates/decider.js';
import { customerProfileAggregate } from '../aggregates/customerProfile/index.js';
import type { CustomerProfileCommand } from '../aggregates/customerProfile/index.js';
import { type LeadState, conversionIds, leadAggregate } from '../aggregates/lead/index.js';
import { type OpportunityCommand, opportunityAggregate } from '../aggregates/opportunity/index.js';
import type { StageSet } from '../aggregates/pipelineStage/stages.js';
import { fromRecorded } from '../eventstore/envelope.js';
import { type EventStore, type Position, comparePositions } from '../eventstore/port.js';
import { streamName } from '../eventstore/streams.js';
import { DomainError, conflict } from '../shared/errors.js';
import type { Amount } from '../shared/money.js';
import type { AppContext, Caller } from './context.js';
import type { Aggregate, CommandEnvelope } from './handler.js';

/**
 * Lead conversion, a small saga over three aggregates, each written by the generic handler:
 *
 *  1. ConvertLead on the lead stream. The decider derives the opportunity id (and the customer
 *     id unless one is given) from the lead id, so every attempt agrees on them; a lead already
 *     converted answers [] and its state still names them.
 *  2. CreateCustomerProfile, when the conversion creates the customer (none was given).
 *  3. CreateOpportunity for that customer.
 *
 * Steps 2 and 3 are creations of fixed ids: "already exists" means an earlier attempt or a
 * concurrent twin did it, which is success. So a retry after any crash, or two requests at
 * once, converge on one lead conversion, one profile and one opportunity. Both creations are
 * decided against an empty stream before step 1 (the deciders are pure), so a request they
 * would refuse fails before the lead is marked converted.
 *
 * The customer comes before the opportunity that refers to it, so a reader of the log never
 * sees an opportunity whose customer does not exist yet.
 */
export interface ConvertLeadInput {
  readonly leadId: string;
  /** Attach to this existing customer instead of creating one. */
  readonly customerId?: string;
  readonly opportunity: {
    readonly name?: string;
    /** Default: the first open stage. */
    readonly stage?: string;
    readonly amount: Amount;
    readonly currency?: string;
    readonly probability?: number;
    readonly expectedCloseDate?: string;
  };
}

export interface ConvertLeadOutcome {
  readonly leadId: string;
  readonly opportunityId: string;
  readonly customerId: string;
  readonly customerCreated: boolean;
  readonly convertedAt: string;
  /** True when this call converted the lead; false when it found it converted already. */
  readonly convertedNow: boolean;
  readonly leadRevision: bigint;
  /** The furthest position written or found; waiting on it covers all three read models. */
  readonly position: Position | undefined;
}

type ConvertLeadDeps = Pick<AppContext, 'execute' | 'store' | 'stageSetFor'>;

const DEFAULT_CURRENCY = 'USD';
/** A profile's name is a company name (not personal data); a lead without one is a person. */
const INDIVIDUAL_CUSTOMER_NAME = 'Individual customer';

export async function convertLead(deps: ConvertLeadDeps, env: Caller, input: ConvertLeadInput): Promise<ConvertLeadOutcome> {
  const stages = await deps.stageSetFor(env.access.tenantId);
  const { leadId } = input;
  const leadStream = streamName({ category: leadAggregate.category, tenantId: env.access.tenantId, aggregateId: leadId });
  const current = await currentLead(deps.store, leadStream);
  if (!current.exists) throw new DomainError('NOT_FOUND', `Lead ${leadId} not found`, { id: leadId });

  // Dry runs: the lead as it stands must yield creations the other deciders accept.
  const preview = previewConversion(input, stages, current);
  if (preview) {
    const ctx = { now: new Date(), actorId: env.access.actorId };
    if (preview.customer) customerProfileAggregate.decider.decide(preview.customer, customerProfileAggregate.decider.initialState, ctx);
    opportunityAggregate.decider.decide(preview.opportunity, opportunityAggregate.decider.initialState, ctx);
  }

  // The ids a conversion derives must still be free: a record created under them by anyone else
  // (ids are predictable from the lead) would otherwise be adopted, or strand the lead.
  if (current.status !== 'converted') {
    const ids = conversionIds(leadId, input.customerId);
    const taken = [
      ...(ids.customerCreated ? [{ aggregate: customerProfileAggregate as Aggregate<unknown, DomainEvent, unknown>, id: ids.customerId }] : []),
      { aggregate: opportunityAggregate as Aggregate<unknown, DomainEvent, unknown>, id: ids.opportunityId },
    ];
    for (const t of taken) {
      const stream = streamName({ category: t.aggregate.category, tenantId: env.access.tenantId, aggregateId: t.id });
      if ((await deps.store.readStream(stream, { maxCount: 1 })).length > 0) {
        throw conflict(`The id ${t.id} this conversion derives is taken by another record`, { id: t.id, lead_id: leadId });
      }
    }
  }

  // 1. The lead: converted exactly once; the ids come from its state either way.
  const lead = await deps.execute(leadAggregate, { ...env, aggregateId: leadId }, {
    type: 'ConvertLead',
    ...(input.customerId !== undefined ? { customerId: input.customerId } : {}),
  });
  const state = lead.state;
  if (!state.exists || state.status !== 'converted' || !state.opportunityId || !state.customerId || !state.convertedAt) {
    throw new Error(`lead ${leadId} is not converted after ConvertLead`); // the decider guarantees it
  }
  const convertedNow = lead.events.length > 0;
  const convertedEventId =
    lead.events.find((e) => e.eventType === 'LeadConvertedEvent')?.eventId ??
    (await deps.store.readStream(leadStream)).find((e) => e.eventType === 'LeadConvertedEvent')?.eventId;
  // What the conversion causes is caused by its event: the audit trail links the three streams.
  // If-Match is about the lead: the creations are of new streams.
  const { expectedRevision: _leadRevision, ...rest } = env;
  const caused: Caller = { ...rest, causationId: convertedEventId ?? env.causationId ?? null };
  const plan = conversionCommands(input, stages, { ...state, opportunityId: state.opportunityId, customerId: state.customerId });
  const positions: (Position | undefined)[] = [lead.position];

  // 2. The customer, when the conversion creates it.
  if (plan.customer) {
    positions.push(await createOnce(deps, customerProfileAggregate, { ...caused, aggregateId: state.customerId }, plan.customer));
  }
  // 3. The opportunity.
  positions.push(await createOnce(deps, opportunityAggregate, { ...caused, aggregateId: state.opportunityId }, plan.opportunity));

  return {
    leadId,
    opportunityId: state.opportunityId,
    customerId: state.customerId,
    customerCreated: state.customerCreated,
    convertedAt: state.convertedAt,
    convertedNow,
    leadRevision: lead.revision,
    position: positions.reduce<Position | undefined>((a, p) => (!a ? p : p && comparePositions(p, a) > 0 ? p : a), undefined),
  };
}

type Converted = Extract<LeadState, { exists: true }> & { opportunityId: string; customerId: string };

/** The creations a converted lead calls for. */
function conversionCommands(
  input: ConvertLeadInput,
  stages: StageSet,
  lead: Converted,
): { customer?: Extract<CustomerProfileCommand, { type: 'CreateCustomerProfile' }>; opportunity: Extract<OpportunityCommand, { type: 'CreateOpportunity' }> } {
  const p = lead.personalData;
  const personalData = {
    ...(p.firstName ? { firstName: p.firstName } : {}),
    ...(p.lastName ? { lastName: p.lastName } : {}),
    ...(p.email ? { email: p.email } : {}),
    ...(p.phone ? { phone: p.phone } : {}),
    ...(lead.title ? { title: lead.title } : {}),
  };
  const o = input.opportunity;
  return {
    ...(lead.customerCreated
      ? {
          customer: {
            type: 'CreateCustomerProfile' as const,
            customerId: lead.customerId,
            name: lead.companyName ?? INDIVIDUAL_CUSTOMER_NAME,
            // Not a customer yet: there is an open opportunity, no contract.
            status: 'PROSPECT',
            personalData,
            // The lead's firmographics are the account's: segmentation starts from them.
            ...(lead.industry !== null ? { industry: lead.industry } : {}),
            ...(lead.employeeCount !== null ? { employeeCount: lead.employeeCount } : {}),
            ...(lead.annualRevenue !== null ? { annualRevenue: lead.annualRevenue } : {}),
          },
        }
      : {}),
    opportunity: {
      type: 'CreateOpportunity',
      stages,
      opportunityId: lead.opportunityId,
      name: o.name ?? lead.companyName ?? `Lead ${lead.leadId}`,
      customerId: lead.customerId,
      leadId: lead.leadId,
      ...(lead.territoryId ? { territoryId: lead.territoryId } : {}),
      ownerId: lead.ownerId,
      ...(o.stage !== undefined ? { stage: o.stage } : {}),
      amount: o.amount,
      currency: o.currency ?? lead.currency ?? DEFAULT_CURRENCY,
      ...(o.probability !== undefined ? { probability: o.probability } : {}),
      ...(o.expectedCloseDate !== undefined ? { expectedCloseDate: o.expectedCloseDate } : {}),
      metadata: { convertedFromLead: lead.leadId, leadSource: lead.source },
    },
  };
}

/** The commands as they would be if the lead were converted now; undefined if it cannot be. */
function previewConversion(input: ConvertLeadInput, stages: StageSet, state: LeadState) {
  if (!state.exists) return undefined;
  if (state.status === 'converted') {
    return state.opportunityId && state.customerId ? conversionCommands(input, stages, state as Converted) : undefined;
  }
  if (state.status !== 'qualified') return undefined; // ConvertLead itself refuses it, with its own error
  return conversionCommands(input, stages, {
    ...state,
    opportunityId: 'preview',
    customerId: input.customerId ?? 'preview',
    customerCreated: input.customerId === undefined,
  });
}

async function currentLead(store: EventStore, stream: string): Promise<LeadState> {
  const events = (await store.readStream(stream)).map((r) => fromRecorded(r));
  return events.reduce(
    (s, e) => leadAggregate.decider.evolve(s, { type: e.eventType, data: e.payload } as Parameters<typeof leadAggregate.decider.evolve>[1]),
    leadAggregate.decider.initialState,
  );
}

/**
 * Creates a fixed-id aggregate unless it exists: a CONFLICT from the decider on an existing
 * stream means an earlier attempt made it. Returns the position of the write or of what exists.
 */
async function createOnce<C, E extends DomainEvent, S>(
  deps: ConvertLeadDeps,
  aggregate: Aggregate<C, E, S>,
  env: CommandEnvelope,
  command: C,
): Promise<Position | undefined> {
  try {
    return (await deps.execute(aggregate, env, command)).position;
  } catch (err) {
    if (!(err instanceof DomainError) || err.code !== 'CONFLICT') throw err;
    const stream = streamName({ category: aggregate.category, tenantId: env.access.tenantId, aggregateId: env.aggregateId });
    const events = await deps.store.readStream(stream);
    // Done by this conversion (an earlier attempt) only if caused by its LeadConvertedEvent.
    if (events.length === 0 || fromRecorded(events[0]!).metadata.causationId !== env.causationId) throw err;
    return events.at(-1)!.position;
  }
}
