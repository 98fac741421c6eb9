import BigNumber from 'bignumber.js';
import type { Amount } from '../../shared/money.js';
import { validation } from '../../shared/errors.js';
import type { DomainEvent } from '../decider.js';

/**
 * The commercial terms Billing and Operations need when the deal closes (seed 004's
 * opportunity.closed_won and onboarding.trigger): contract, payment, products with discount and
 * provisioning configuration, onboarding needs. Set with the deal or later while it is open;
 * each setting replaces the whole set and is an event with its actor.
 */
export const PAYMENT_TERMS = ['due_on_receipt', 'net_15', 'net_30', 'net_45', 'net_60', 'net_90'] as const;
export const BILLING_FREQUENCIES = ['monthly', 'quarterly', 'semi_annually', 'annually', 'one_time'] as const;
export const ONBOARDING_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export const CONTACT_TYPES = ['primary', 'technical', 'billing', 'executive', 'other'] as const;

export interface CommercialProduct {
  readonly productId: string;
  readonly productName: string | null;
  readonly quantity: number;
  readonly unitPrice: Amount;
  /** A fraction of the list price, 0 ≤ discount < 1, as a decimal string ("0.10"). */
  readonly discount: string;
  /** Provisioning settings for Operations (data centre, features...), as given. */
  readonly configuration: Record<string, unknown>;
}

export interface CommercialTerms {
  readonly contractTermMonths: number;
  readonly startDate: string;
  readonly paymentTerms: (typeof PAYMENT_TERMS)[number];
  readonly billingFrequency: (typeof BILLING_FREQUENCIES)[number];
  readonly products: readonly CommercialProduct[];
  readonly specialRequirements: string | null;
  readonly onboardingPriority: (typeof ONBOARDING_PRIORITIES)[number];
}

/** People at the customer Operations contacts: personal data, kept in the marked sub-object. */
export interface OnboardingContact {
  readonly type: (typeof CONTACT_TYPES)[number];
  /** Null only once erased. */
  readonly name: string | null;
  readonly email: string | null;
  readonly phone: string | null;
  /** The contact's data subject was erased (src/privacy): name, email and phone read as null. */
  readonly erased?: true;
}

export type OpportunityCommercialTermsSet = DomainEvent<
  'OpportunityCommercialTermsSetEvent',
  CommercialTerms & { opportunityId: string; personalData: { contacts: OnboardingContact[] } }
>;

/**
 * A data subject among the deal's contacts was erased (src/privacy): the contacts at these
 * indexes of the terms in force read as erased. Names the subject, never the person.
 */
export type OpportunityContactsErased = DomainEvent<
  'OpportunityContactsErasedEvent',
  { opportunityId: string; subjectId: string; contactIndexes: number[]; erasedAt: string }
>;

/** The rules the edge's parsing cannot see: a discount's range, products once each. */
export function checkCommercialTerms(terms: CommercialTerms): void {
  terms.products.forEach((p, i) => {
    const d = new BigNumber(p.discount);
    if (!d.isFinite() || d.isNegative() || d.gte(1) || (d.decimalPlaces() ?? 0) > 4) {
      throw validation('A discount is a fraction from 0 up to (not including) 1, at most 4 decimals', {
        field: `products[${i}].discount`,
      });
    }
  });
  const ids = terms.products.map((p) => p.productId);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) throw validation(`Product ${twice} is listed twice; give one line per product`, { field: 'products' });
}
