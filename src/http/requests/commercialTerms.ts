import { z } from 'zod';
import {
  BILLING_FREQUENCIES,
  CONTACT_TYPES,
  ONBOARDING_PRIORITIES,
  PAYMENT_TERMS,
} from '../../aggregates/opportunity/commercialTerms.js';
import { LosslessNumber } from '../json.js';
import { amount, id, integer, isoDate, metadata, oneOf, text } from '../fields.js';

/** A fraction as exact text: "0.10" or 0.10 (read losslessly), never a float. */
const fraction = z
  .preprocess((v) => (v instanceof LosslessNumber ? v.toString() : typeof v === 'number' ? String(v) : v), z.string())
  .refine((t) => /^(0(\.\d{1,4})?|\.\d{1,4})$/.test(t), 'must be a fraction from 0 up to (not including) 1, at most 4 decimals')
  .meta({ type: 'string', example: '0.10' });

const email = z.string().trim().max(254).email();
const phone = z.string().trim().regex(/^\+?[0-9 ()./-]{3,32}$/, 'must be a phone number');

/** PUT /opportunities/{id}/commercial-terms: seed 004's billing and onboarding fields, snake_case. */
export const commercialTermsBody = z
  .strictObject({
    contract_term: integer(1, 120).meta({ description: 'months' }),
    start_date: isoDate,
    payment_terms: oneOf(PAYMENT_TERMS, 'lower'),
    billing_frequency: oneOf(BILLING_FREQUENCIES, 'lower'),
    products: z
      .array(
        z.strictObject({
          product_id: id,
          product_name: text(200).optional(),
          quantity: integer(1, 1_000_000_000),
          unit_price: amount,
          discount: fraction.default('0'),
          configuration: metadata.optional(),
        }),
      )
      .min(1)
      .max(500),
    special_requirements: text(4000).optional(),
    priority: oneOf(ONBOARDING_PRIORITIES, 'lower').default('normal'),
    contacts: z
      .array(
        z.strictObject({
          type: oneOf(CONTACT_TYPES, 'lower').default('primary'),
          name: text(200),
          email: email.optional(),
          phone: phone.optional(),
        }),
      )
      .max(20)
      .default([]),
  })
  .transform((b) => ({
    terms: {
      contractTermMonths: b.contract_term,
      startDate: b.start_date,
      paymentTerms: b.payment_terms,
      billingFrequency: b.billing_frequency,
      products: b.products.map((p) => ({
        productId: p.product_id,
        productName: p.product_name ?? null,
        quantity: p.quantity,
        unitPrice: p.unit_price,
        discount: p.discount,
        configuration: p.configuration ?? {},
      })),
      specialRequirements: b.special_requirements ?? null,
      onboardingPriority: b.priority,
    },
    contacts: b.contacts.map((c) => ({ type: c.type, name: c.name, email: c.email ?? null, phone: c.phone ?? null })),
  }));
