import type { Amount } from '../../shared/money.js';
import type { PersonalData, PostalAddress } from './events.js';

/**
 * Enumerated inputs (status, segment, consent type and status) may arrive in any case; the
 * decider normalises them, so every caller (HTTP, Kafka inbound, lead conversion) gets the
 * same rules.
 */
export type CustomerProfileCommand =
  | {
      type: 'CreateCustomerProfile';
      customerId: string;
      name: string;
      /** ACTIVE (default) | INACTIVE | PROSPECT */
      status?: string;
      primaryContactId?: string;
      /** ENTERPRISE, MID_MARKET, SMB, ... any UPPER_SNAKE code; default UNSEGMENTED. */
      segment?: string;
      personalData?: PersonalData;
      /** Firmographics (seed 004's lead fields), the inputs of segmentation. */
      industry?: string;
      employeeCount?: number;
      annualRevenue?: Amount;
    }
  | {
      type: 'UpdateCustomerProfile';
      name?: string;
      status?: string;
      /** null clears it. */
      primaryContactId?: string | null;
      segment?: string;
      /**
       * Merge-patch of the personal data: a given field replaces, a null field removes, and
       * null as a whole erases it all.
       */
      personalData?: PersonalDataPatch | null;
      /** null clears each. */
      industry?: string | null;
      employeeCount?: number | null;
      annualRevenue?: Amount | null;
    }
  /** The segmentation's verdict (segment codes in the definitions' order); a system actor sends it. */
  | { type: 'AssignSegments'; segments: readonly string[] }
  /** Step 1 of a merge, on the SOURCE. */
  | { type: 'MarkMergedInto'; targetCustomerId: string; mergeReason: string }
  /** Checks that this profile can become a merge target, without recording anything. */
  | { type: 'CheckMergeTarget'; sourceCustomerId: string }
  /** Step 2 of a merge, on the TARGET. */
  | { type: 'AcceptMerge'; sourceCustomerId: string; mergeReason: string }
  /** Records that a data subject's key is destroyed (src/commands/erasures.ts). */
  | { type: 'RecordPersonalDataErasure'; subjectId: string }
  | { type: 'UpdateConsent'; consentType: string; status: string; source?: string };

export type PersonalDataPatch = {
  readonly [K in Exclude<keyof PersonalData, 'address'>]?: string | null;
} & { readonly address?: { readonly [K in keyof PostalAddress]?: string | null } | null };
