import type { Amount } from '../../shared/money.js';
import type { LeadPersonalData } from './events.js';

/** Commands carry values already parsed at the edge (Amount, trimmed text); rules live in decide. */
export type LeadCommand =
  | {
      type: 'CreateLead';
      leadId: string;
      source: string;
      personalData: LeadPersonalData;
      company?: string;
      title?: string;
      industry?: string;
      employeeCount?: number;
      annualRevenue?: Amount;
      currency?: string;
      /** Seed 004's `score` from marketing; kept as evidence, never used to qualify. */
      marketingScore?: number;
      metadata?: Record<string, unknown>;
      /** Defaults to the actor. */
      ownerId?: string;
      territoryId?: string;
    }
  | {
      /** Re-score (optionally with a purchase window learnt from the lead) and qualify or disqualify. */
      type: 'QualifyLead';
      /** Months or a label (scoring.ts parseTimeline). */
      timeline?: number | string;
      notes?: string;
    }
  | {
      type: 'AssignLead';
      territoryId: string;
      /** Defaults to the actor. */
      ownerId?: string;
      reason: string;
    }
  | {
      type: 'ConvertLead';
      /** An existing customer to attach to; without it the conversion creates one. */
      customerId?: string;
    };
