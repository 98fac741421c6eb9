import type { DomainEvent } from '../decider.js';

/** How an erasure was asked for: by a lead, a customer's contact person, a deal's contact, or an email (never stored). */
export type ErasureRequestKind = 'lead' | 'customer' | 'contact' | 'email';

/** A record whose personal data belonged to the subject: a lead, a customer profile, a deal's contacts. */
export interface ErasedRecord {
  readonly type: 'lead' | 'customerProfile' | 'opportunity';
  readonly id: string;
}

/**
 * A data subject's key was destroyed (GDPR Art. 17): everything sealed with it reads as erased
 * from now on. Carries no personal data, so it can be published and kept forever.
 */
export type PersonalDataErased = DomainEvent<
  'PersonalDataErasedEvent',
  {
    subjectId: string;
    requestedBy: ErasureRequestKind;
    /** The lead, customer or deal id the request named; null for a request by email. */
    requestedFor: string | null;
    reason: string | null;
    records: ErasedRecord[];
    erasedAt: string;
  }
>;

export type DataSubjectEvent = PersonalDataErased;

export const DATA_SUBJECT_EVENT_TYPES = ['PersonalDataErasedEvent'] as const satisfies readonly DataSubjectEvent['type'][];
