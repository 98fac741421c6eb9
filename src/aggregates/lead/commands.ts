import type { Amount } from '../../shared/money.js';
import type { LeadPersonalData } from './events.js';
import type { MarketingView } from './marketingSync.js';

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
      /**
       * Marketing's view of the lead (seed 004 lead.qualified, POST /leads/{id}/sync). An unknown
       * lead is created from `create` first; a known one keeps its data and takes the view.
       */
      type: 'SyncFromMarketing';
      create: Omit<Extract<LeadCommand, { type: 'CreateLead' }>, 'type'>;
      view: MarketingView;
      sourceEventId: string | null;
    }
  | {
      /** Records that the subject's key is destroyed (an erasure request; src/commands/erasures.ts). */
      type: 'RecordPersonalDataErasure';
      subjectId: string;
    }
  | {
      type: 'ConvertLead';
      /** An existing customer to attach to; without it the conversion creates one. */
      customerId?: string;
    };
