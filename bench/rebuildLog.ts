import type { ActivityEvent } from '../src/aggregates/activity/events.js';
import type { ApiKeyEvent } from '../src/aggregates/apiKey/events.js';
import type { CustomerProfileEvent } from '../src/aggregates/customerProfile/events.js';
import type { DomainEvent } from '../src/aggregates/decider.js';
import type { ForecastEvent } from '../src/aggregates/forecast/events.js';
import type { LeadEvent } from '../src/aggregates/lead/events.js';
import type { OpportunityEvent } from '../src/aggregates/opportunity/events.js';
import type { QuotaEvent } from '../src/aggregates/quota/events.js';
import type { TaskEvent } from '../src/aggregates/task/events.js';
import type { TeamEvent } from '../src/aggregates/team/events.js';
import type { TerritoryEvent } from '../src/aggregates/territory/events.js';
import type { Amount } from '../src/shared/money.js';

/**
 * The generated log of bench/rebuild.ts: streams of every kind a read model reads, each a
 * function from its n-th event to the event (undefined past its end). Per opportunity k the
 * opportunity's own `per` events; per 10 opportunities a customer, a lead, an activity and a
 * task; per 20 a territory, a team, a quota, a forecast and an API key. Real event types and
 * shapes (src/aggregates/*), so every read model's rule runs.
 */
export interface BenchStream {
  readonly streamId: string;
  readonly aggregateId: string;
  event(n: number): DomainEvent | undefined;
}

const STAGES = ['QUALIFICATION', 'PROPOSAL', 'NEGOTIATION', 'PROSPECTING'];
const day = (n: number) => `2026-0${1 + (n % 9)}-${String(10 + (n % 18))}`;
const amount = (n: number) => `${1000 + (n % 9000)}.${String(n % 100).padStart(2, '0')}` as Amount;

function opportunity(opp: number, n: number): OpportunityEvent {
  const opportunityId = `OPP-${opp}`;
  if (n === 0) {
    return {
      type: 'OpportunityCreatedEvent',
      data: {
        opportunityId,
        customerId: `CUST-${opp % 500}`,
        amount: amount(opp),
        currency: 'USD',
        stage: 'PROSPECTING',
        name: `Deal ${opp}`,
        leadId: null,
        territoryId: `T-${opp % 20}`,
        ownerId: `rep-${opp % 50}`,
        probability: 10,
        expectedCloseDate: '2026-06-30',
        products: [],
        metadata: {},
      },
    };
  }
  if (n % 5 === 0) {
    return {
      type: 'OpportunityUpdatedEvent',
      data: { opportunityId, changedFields: ['amount', 'expectedCloseDate'], amount: `${2000 + n}.50` as Amount, expectedCloseDate: `2026-0${1 + (n % 9)}-15` },
    };
  }
  const from = STAGES[(n - 1) % STAGES.length]!;
  const to = STAGES[n % STAGES.length]!;
  return { type: 'OpportunityStageChangedEvent', data: { opportunityId, fromStage: from, toStage: to, probability: 25 + (n % 50), nextStep: null, notes: null } };
}

function customer(k: number, n: number): CustomerProfileEvent | undefined {
  const customerId = `CUST-${k}`;
  if (n >= 10) return undefined;
  if (n === 0) {
    return {
      type: 'CustomerProfileCreatedEvent',
      data: { customerId, name: `Customer ${k}`, status: 'PROSPECT', primaryContactId: null, segment: 'SMB', personalData: { firstName: 'Ada', email: `c${k}@example.com` }, industry: 'software', employeeCount: 10 + k },
    };
  }
  if (n % 2 === 1) return { type: 'ConsentUpdatedEvent', data: { customerId, consentType: 'EMAIL', status: n % 4 === 1 ? 'GRANTED' : 'REVOKED', previousStatus: n === 1 ? null : 'GRANTED', source: 'WEB_FORM' } };
  return { type: 'CustomerProfileUpdatedEvent', data: { customerId, changedFields: ['status'], updatedBy: 'rep-1', status: n % 4 === 0 ? 'ACTIVE' : 'INACTIVE' } };
}

function lead(k: number, n: number): LeadEvent | undefined {
  const leadId = `LEAD-${k}`;
  if (n === 0) {
    return {
      type: 'LeadCreatedEvent',
      data: {
        leadId, source: 'webinar', ownerId: `rep-${k % 50}`, territoryId: `T-${k % 20}`, companyName: `Company ${k}`, title: null, industry: 'software', employeeCount: 50,
        annualRevenue: null, currency: null, marketingScore: 40, metadata: {}, personalData: { firstName: 'Ada', lastName: 'Lovelace', email: `l${k}@example.com`, phone: null }, createdAt: '2026-01-05T09:00:00Z',
      },
    };
  }
  const to = `T-${(k + n) % 20}`;
  const from = `T-${(k + n - 1) % 20}`;
  return n < 6 ? { type: 'LeadAssignedEvent', data: { leadId, ownerId: `rep-${(k + n) % 50}`, territoryId: to, reason: 'rebalance', previousOwnerId: `rep-${(k + n - 1) % 50}`, previousTerritoryId: from, assignedAt: '2026-01-06T09:00:00Z' } } : undefined;
}

function activity(k: number, n: number): ActivityEvent | undefined {
  const activityId = `ACT-${k}`;
  const relatedTo = { type: 'opportunity' as const, id: `OPP-${k}` };
  if (n === 0) {
    return { type: 'ActivityCreatedEvent', data: { activityId, type: 'call', subject: `Call ${k}`, description: null, relatedTo, ownerId: `rep-${k % 50}`, dueDate: day(k), priority: 'normal', status: 'planned', completedDate: null, createdBy: 'rep-1' } };
  }
  if (n >= 6) return undefined;
  if (n % 2 === 1) return { type: 'ActivityCompletedEvent', data: { activityId, completedBy: 'rep-1', completedDate: `${day(n)}T10:00:00Z`, outcome: 'talked' } };
  return n === 2 ? { type: 'ActivityReopenedEvent', data: { activityId, reopenedBy: 'rep-1' } } : { type: 'ActivityUpdatedEvent', data: { activityId, changedFields: ['subject'], updatedBy: 'rep-1', subject: `Call ${k} (${n})` } };
}

function task(k: number, n: number): TaskEvent | undefined {
  const taskId = `TASK-${k}`;
  if (n === 0) {
    return { type: 'TaskCreatedEvent', data: { taskId, title: `Follow up ${k}`, description: null, assigneeId: `rep-${k % 50}`, relatedTo: { type: 'customer', id: `CUST-${k}` }, dueDate: day(k), priority: 'high', taskType: 'follow_up', createdBy: 'rep-1' } };
  }
  if (n >= 6) return undefined;
  if (n % 2 === 1) return { type: 'TaskCompletedEvent', data: { taskId, completedBy: 'rep-1', completedAt: `${day(n)}T10:00:00Z`, note: null } };
  return n === 2 ? { type: 'TaskReopenedEvent', data: { taskId, reopenedBy: 'rep-1', reason: null } } : { type: 'TaskReassignedEvent', data: { taskId, fromAssigneeId: `rep-${k % 50}`, assigneeId: `rep-${(k + n) % 50}`, reassignedBy: 'rep-1', reason: null } };
}

function territory(k: number, n: number): TerritoryEvent | undefined {
  const territoryId = `T-${k}`;
  if (n === 0) return { type: 'TerritoryCreatedEvent', data: { territoryId, name: `Territory ${k}`, ownerId: `rep-${k % 50}`, region: 'EMEA', rule: null } };
  return n < 4 ? { type: 'TerritoryUpdatedEvent', data: { territoryId, changedFields: ['name'], name: `Territory ${k}.${n}` } } : undefined;
}

function team(k: number, n: number): TeamEvent | undefined {
  const teamId = `TEAM-${k}`;
  if (n === 0) return { type: 'TeamCreatedEvent', data: { teamId, name: `Team ${k}`, managerId: `rep-${k % 50}`, memberIds: [`rep-${(k + 1) % 50}`] } };
  return n < 6 ? { type: 'TeamMemberAddedEvent', data: { teamId, userId: `rep-${(k + n + 1) % 50}` } } : undefined;
}

function quota(k: number, n: number): QuotaEvent | undefined {
  const quotaId = `QUOTA-${k}`;
  if (n === 0) return { type: 'QuotaSetEvent', data: { quotaId, ownerId: `rep-${k % 50}`, territoryId: null, period: `Q${1 + (k % 4)}_2026`, amount: amount(k), currency: 'USD', setBy: 'rep-1' } };
  const from = n === 1 ? amount(k) : (`${5000 + n - 1}.00` as Amount);
  return n < 4 ? { type: 'QuotaUpdatedEvent', data: { quotaId, fromAmount: from, toAmount: `${5000 + n}.00` as Amount, fromCurrency: 'USD', toCurrency: 'USD', updatedBy: 'rep-1' } } : undefined;
}

function forecast(k: number, n: number): ForecastEvent | undefined {
  const forecastId = `FC-${k}`;
  if (n === 0) {
    return { type: 'ForecastCreatedEvent', data: { forecastId, period: `Q${1 + (k % 4)}_2026`, territoryId: null, ownerId: `rep-${k % 50}`, forecastType: 'commit', amount: amount(k), currency: 'USD', notes: null, dealScope: 'own' } };
  }
  const from = n === 1 ? amount(k) : (`${7000 + n - 1}.00` as Amount);
  return n < 4 ? { type: 'ForecastAdjustedEvent', data: { forecastId, fromAmount: from, toAmount: `${7000 + n}.00` as Amount, reason: 'bench' } } : undefined;
}

function apiKey(k: number, n: number): ApiKeyEvent | undefined {
  const keyId = `KEY-${k}`;
  if (n === 0) return { type: 'ApiKeyIssuedEvent', data: { keyId, name: `Key ${k}`, roles: ['admin'], expiresAt: null, secretHash: k.toString(16).padStart(64, '0') } };
  return n === 1 ? { type: 'ApiKeyRevokedEvent', data: { keyId, reason: null } } : undefined;
}

/** Every kind of stream but the opportunities': how often one comes (per opportunities) and how long it is. */
const KINDS: readonly { category: string; prefix: string; every: number; length: number; event: (k: number, n: number) => DomainEvent | undefined }[] = [
  { category: 'customerProfile', prefix: 'CUST', every: 10, length: 10, event: customer },
  { category: 'lead', prefix: 'LEAD', every: 10, length: 6, event: lead },
  { category: 'activity', prefix: 'ACT', every: 10, length: 6, event: activity },
  { category: 'task', prefix: 'TASK', every: 10, length: 6, event: task },
  { category: 'territory', prefix: 'T', every: 20, length: 4, event: territory },
  { category: 'team', prefix: 'TEAM', every: 20, length: 6, event: team },
  { category: 'quota', prefix: 'QUOTA', every: 20, length: 4, event: quota },
  { category: 'forecast', prefix: 'FC', every: 20, length: 4, event: forecast },
  { category: 'apiKey', prefix: 'KEY', every: 20, length: 2, event: apiKey },
];

const streamOf = (category: string, id: string, event: (n: number) => DomainEvent | undefined): BenchStream => ({ streamId: `${category}-bench:${id}`, aggregateId: id, event });

/** Every stream of the log, in the order they are appended to round by round. */
export function benchStreams(opportunities: number, per: number): BenchStream[] {
  const streams: BenchStream[] = [];
  for (let k = 0; k < opportunities; k++) {
    streams.push(streamOf('opportunity', `OPP-${k}`, (n) => (n < per ? opportunity(k, n) : undefined)));
    for (const kind of KINDS) {
      if (k % kind.every === 0) streams.push(streamOf(kind.category, `${kind.prefix}-${k}`, (n) => kind.event(k, n)));
    }
  }
  return streams;
}

/**
 * A log of about `events` events of the kinds whose event types a read model reads, and no
 * other: the read model's own rate over that many events, which a log where its kind is rare
 * cannot show (there, the fixed costs of a rebuild weigh). Streams of at most 10 events, like
 * the mixed log's other kinds; its kinds in turn, each with an equal share.
 */
export function ownStreams(eventTypes: readonly string[], events: number): BenchStream[] {
  const wanted = new Set(eventTypes);
  const kinds = [{ category: 'opportunity', prefix: 'OPP', every: 1, length: 10, event: opportunity }, ...KINDS].filter((kind) => Array.from({ length: kind.length }, (_, n) => kind.event(0, n)).some((e) => e && wanted.has(e.type)));
  const streams: BenchStream[] = [];
  for (const kind of kinds) {
    const count = Math.ceil(events / kinds.length / kind.length);
    for (let k = 0; k < count; k++) streams.push(streamOf(kind.category, `${kind.prefix}-${k}`, (n) => (n < kind.length ? kind.event(k, n) : undefined)));
  }
  return streams;
}
