import type { Amount } from '../../shared/money.js';
import type { DomainEvent } from '../decider.js';

/**
 * Payloads follow seed 001 (camelCase); fields the seed does not show are additive.
 *
 * Personal data (DESIGN §9): everything that identifies the contact person sits in the one
 * `personalData` sub-object, so a later crypto-shredding layer can encrypt or erase it
 * without changing the event shapes. Company name, status and segment are not personal data.
 */
export interface PostalAddress {
  readonly line1?: string;
  readonly line2?: string;
  readonly city?: string;
  readonly postalCode?: string;
  readonly region?: string;
  readonly country?: string;
}

export interface PersonalData {
  readonly firstName?: string;
  readonly lastName?: string;
  readonly email?: string;
  readonly phone?: string;
  readonly title?: string;
  readonly address?: PostalAddress;
}

export type CustomerStatus = 'ACTIVE' | 'INACTIVE' | 'PROSPECT';
export const CUSTOMER_STATUSES = ['ACTIVE', 'INACTIVE', 'PROSPECT'] as const satisfies readonly CustomerStatus[];

export type ConsentStatus = 'GRANTED' | 'REVOKED';
export const CONSENT_STATUSES = ['GRANTED', 'REVOKED'] as const satisfies readonly ConsentStatus[];

/** seed 001's Avro schema has `segment: string` without a default: a profile always has one. */
export const DEFAULT_SEGMENT = 'UNSEGMENTED';

export type CustomerProfileCreated = DomainEvent<
  'CustomerProfileCreatedEvent',
  {
    customerId: string;
    name: string;
    status: CustomerStatus;
    primaryContactId: string | null;
    segment: string;
    personalData: PersonalData | null;
    /** Firmographics, present when given (older events have none). */
    industry?: string;
    employeeCount?: number;
    annualRevenue?: Amount;
  }
>;

/** Only the fields that changed are present, with their new values; changedFields names them. */
export type CustomerProfileUpdated = DomainEvent<
  'CustomerProfileUpdatedEvent',
  {
    customerId: string;
    changedFields: string[];
    updatedBy: string;
    name?: string;
    status?: CustomerStatus;
    primaryContactId?: string | null;
    segment?: string;
    /** The whole new personal data (null: erased), never a partial diff: one unit to wrap. */
    personalData?: PersonalData | null;
    industry?: string | null;
    employeeCount?: number | null;
    annualRevenue?: Amount | null;
    /**
     * The segments the customer now belongs to (segmentation/membership.ts), decided by the
     * segmentation workflow as `system:segmentation`. `segment` above is the single label a
     * user or Customer 360 assigns (seed 001); `segments` is the evaluated membership.
     */
    segments?: string[];
  }
>;

/** On the TARGET (golden record) stream: seed 001's event. */
export type CustomerMerged = DomainEvent<
  'CustomerMergedEvent',
  { targetCustomerId: string; sourceCustomerId: string; mergeReason: string }
>;

/** On the SOURCE stream: the profile is closed and points to its golden record from now on. */
export type CustomerMergedInto = DomainEvent<
  'CustomerMergedIntoEvent',
  { sourceCustomerId: string; targetCustomerId: string; mergeReason: string }
>;

export type ConsentUpdated = DomainEvent<
  'ConsentUpdatedEvent',
  {
    customerId: string;
    consentType: string;
    status: ConsentStatus;
    /** What the consent was before; null when it had never been recorded. */
    previousStatus: ConsentStatus | null;
    /** The channel the consent came through (WEB_FORM, PHONE_CALL, ...), when known. */
    source: string | null;
  }
>;

/**
 * A data subject whose personal data this profile held was erased (src/privacy). `current`: the
 * profile's present contact person was that subject, so it now has no personal data.
 */
export type CustomerPersonalDataErased = DomainEvent<
  'CustomerPersonalDataErasedEvent',
  { customerId: string; subjectId: string; current: boolean; erasedAt: string }
>;

export type CustomerProfileEvent =
  | CustomerPersonalDataErased
  | CustomerProfileCreated
  | CustomerProfileUpdated
  | CustomerMerged
  | CustomerMergedInto
  | ConsentUpdated;

export const CUSTOMER_PROFILE_EVENT_TYPES = [
  'CustomerProfileCreatedEvent',
  'CustomerProfileUpdatedEvent',
  'CustomerMergedEvent',
  'CustomerMergedIntoEvent',
  'ConsentUpdatedEvent',
  'CustomerPersonalDataErasedEvent',
] as const satisfies readonly CustomerProfileEvent['type'][];
