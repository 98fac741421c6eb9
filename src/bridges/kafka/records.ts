import type { MarketingLeadPayload } from '../../http/requests/marketingLead.js';
import type { ConsumedEventType } from './topics.js';

/**
 * The decoded Avro records of consumed events, as the schemas in schemas/ define them.
 * Decimals arrive as exact decimal strings, timestamps as epoch millis. RECORD_FIELDS ties
 * these types to the .avsc files (a test compares them), so the casts in inbound.ts are safe.
 */
export interface EnvelopeRecord {
  readonly eventId: string;
  readonly timestamp: number;
  readonly tenantId: string;
}

export interface QuoteCreatedRecord extends EnvelopeRecord {
  readonly quoteId: string;
  readonly opportunityId: string;
  readonly customerId: string;
  readonly totalAmount: string;
  readonly currency: string;
  readonly validUntil: string;
}

export interface CreditLimitExceededRecord extends EnvelopeRecord {
  readonly customerId: string;
  readonly creditLimit: string;
  readonly exposure: string;
  readonly currency: string;
}

export interface CreditLimitRestoredRecord extends EnvelopeRecord {
  readonly customerId: string;
}

/** Personal data of a lead: the one sub-record a crypto-shredding layer will wrap (DESIGN §9). */
export interface LeadPersonalData {
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly email: string | null;
  readonly phone: string | null;
}

export interface LeadCreatedRecord extends EnvelopeRecord {
  readonly leadId: string;
  readonly source: string;
  readonly ownerId: string;
  readonly companyName: string | null;
  readonly personalData: LeadPersonalData | null;
}

export interface ServiceOrderCreatedRecord extends EnvelopeRecord {
  readonly serviceOrderId: string;
  readonly customerId: string;
  readonly description: string;
  readonly createdAt: number;
}

export interface ContractActivatedRecord extends EnvelopeRecord {
  readonly contractId: string;
  readonly customerId: string;
  readonly productId: string;
  readonly entitlement: string;
  readonly startDate: string;
  readonly endDate: string | null;
}

export interface CustomerProfileUpdatedRecord extends EnvelopeRecord {
  readonly customerId: string;
  readonly changedFields: readonly string[];
  readonly updatedBy: string;
  /** New values; meaningful only for the fields changedFields names (null there means cleared). */
  readonly name: string | null;
  readonly status: string | null;
  readonly segment: string | null;
  readonly primaryContactId: string | null;
}

/** Offers (seed 003, "Offers Service Integration"): OfferApproved moves the deal to negotiation. */
export interface OfferApprovedRecord extends EnvelopeRecord {
  readonly offerId: string;
  readonly opportunityId: string;
  readonly customerId: string;
  readonly totalAmount: string;
  readonly currency: string;
  readonly approvedAt: number;
}

/** OfferRejected updates the deal's probability: to `probability` when given. */
export interface OfferRejectedRecord extends EnvelopeRecord {
  readonly offerId: string;
  readonly opportunityId: string;
  readonly customerId: string;
  readonly reason: string;
  readonly rejectedAt: number;
  readonly probability: number | null;
}

/** Orders (seed 003): closes the deal as won and asks for a follow-up; the deal is optional (OrderCompletion). */
export interface OrderCreatedRecord extends EnvelopeRecord {
  readonly orderId: string;
  readonly opportunityId: string | null;
  readonly customerId: string | null;
  readonly totalAmount: string;
  readonly currency: string;
  readonly createdAt: number;
  readonly salesRepId: string | null;
  readonly followUpRequired: boolean;
}

/** Marketing's lead.qualified (seed 004), parsed by the schema of POST /leads/{id}/sync. */
export interface MarketingLeadQualifiedRecord extends EnvelopeRecord {
  readonly payload: MarketingLeadPayload;
}

export interface ConsumedRecords {
  QuoteCreatedEvent: QuoteCreatedRecord;
  CreditLimitExceededEvent: CreditLimitExceededRecord;
  CreditLimitRestoredEvent: CreditLimitRestoredRecord;
  LeadCreatedEvent: LeadCreatedRecord;
  ServiceOrderCreatedEvent: ServiceOrderCreatedRecord;
  ContractActivatedEvent: ContractActivatedRecord;
  CustomerProfileUpdatedEvent: CustomerProfileUpdatedRecord;
  OfferApprovedEvent: OfferApprovedRecord;
  OfferRejectedEvent: OfferRejectedRecord;
  OrderCreatedEvent: OrderCreatedRecord;
  MarketingLeadQualifiedEvent: MarketingLeadQualifiedRecord;
}

// Fails to compile if ConsumedRecords and the consumed topics drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _sameKeys: Same<keyof ConsumedRecords, ConsumedEventType> = true;
void _sameKeys;

const ENVELOPE = ['eventId', 'timestamp', 'tenantId'] as const;

/** Field names of each record type, in schema order (the JSON one: envelope and payload). */
export const RECORD_FIELDS: { readonly [K in ConsumedEventType]: readonly (keyof ConsumedRecords[K])[] } = {
  QuoteCreatedEvent: [...ENVELOPE, 'quoteId', 'opportunityId', 'customerId', 'totalAmount', 'currency', 'validUntil'],
  CreditLimitExceededEvent: [...ENVELOPE, 'customerId', 'creditLimit', 'exposure', 'currency'],
  CreditLimitRestoredEvent: [...ENVELOPE, 'customerId'],
  LeadCreatedEvent: [...ENVELOPE, 'leadId', 'source', 'ownerId', 'companyName', 'personalData'],
  ServiceOrderCreatedEvent: [...ENVELOPE, 'serviceOrderId', 'customerId', 'description', 'createdAt'],
  ContractActivatedEvent: [...ENVELOPE, 'contractId', 'customerId', 'productId', 'entitlement', 'startDate', 'endDate'],
  CustomerProfileUpdatedEvent: [...ENVELOPE, 'customerId', 'changedFields', 'updatedBy', 'name', 'status', 'segment', 'primaryContactId'],
  OfferApprovedEvent: [...ENVELOPE, 'offerId', 'opportunityId', 'customerId', 'totalAmount', 'currency', 'approvedAt'],
  OfferRejectedEvent: [...ENVELOPE, 'offerId', 'opportunityId', 'customerId', 'reason', 'rejectedAt', 'probability'],
  OrderCreatedEvent: [...ENVELOPE, 'orderId', 'opportunityId', 'customerId', 'totalAmount', 'currency', 'createdAt', 'salesRepId', 'followUpRequired'],
  MarketingLeadQualifiedEvent: [...ENVELOPE, 'payload'],
};
